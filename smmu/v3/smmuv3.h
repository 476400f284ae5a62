/* The SMMUv3 driver (EL2 image only; docs/smmu.md). It programs the
 * hardware as the core (smmu/smmu.c, smmu/spt.c) decides:
 *
 *   spec (index, cbndx)   SMMUv3 instance `index` (QEMU virt has one: 0),
 *                         context descriptor `cbndx` of that instance:
 *                         stage 1, TTB0 = spt_root(index, cbndx),
 *                         ASID = cbndx + 1, 39-bit input (the SPT's three
 *                         levels), faults recorded and terminated
 *   a device              a stream (PCI requester id) whose STE aborts
 *                         every transaction until it is attached to a
 *                         context (STE: stage 1, S1ContextPtr = that CD)
 *
 * Every structure the SMMU reads or writes (stream table, CDs, command and
 * event queues) is in KCore's own memory (COREVISOR), and the MMIO is
 * KCore's reserved MMIO: the host can reach none of it. The callers hold
 * the SMMU lock (the command queue has one producer at a time). */
#ifndef KCORE_SMMUV3_H
#define KCORE_SMMUV3_H

#include "kcore/smmu_hw.h"
#include "kcore/types.h"

/* Take over the SMMUv3 whose registers are at `base` (mapped in KCore's
 * EL2 table): every stream aborts, queues on, SMMU enabled. Halts if the
 * SMMU cannot do what KCore needs (stage 1, AArch64 tables, 4 KB granule,
 * coherent table walks, enough stream ids). */
void smmuv3_init(u64 base);

/* The driver interface (include/kcore/smmu_hw.h) is implemented in
 * smmuv3.c: smmu_hw_available is "taken over". */
#endif
