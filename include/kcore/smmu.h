/* The SMMU part of the core (smmu/): which principal owns each device
 * context, and the device page tables (the spec's SPT). The hardware driver
 * (SMMUv3) is separate and only programs what these functions decide. */
#ifndef KCORE_SMMU_H
#define KCORE_SMMU_H

#include "kcore/layout.h"
#include "kcore/types.h"

/* spec: smmu_id index cbndx */
static inline u32 smmu_id(u32 index, u32 cbndx)
{
	return index * KCORE_SMMU_MAX_CFG + cbndx;
}
/* Contexts present on SMMU `index` (the spec's `num`); 0 if no such SMMU. */
u32 smmu_cfg_num(u32 index);

/* spec: gfn @ (ttbr @ spt_pt): one device mapping, by walking the table.
 * pte 0 means unmapped. */
struct spt_entry {
	pfn_t pfn;
	u64 pte;
};
struct spt_entry spt_lookup(u32 index, u32 cbndx, u64 iova_gfn);

/* spec: local_spt_map_h (pte 0 unmaps). 0 or -KE_NOMEM, nothing changed on
 * error. A removed or changed entry is invalidated (smmu_hw_tlbi). Needs SPT. */
long local_spt_map_h(u32 cbndx, u32 index, u64 addr, u64 pte);
long spt_map_check(u32 cbndx, u32 index, u64 addr);
/* Empty a context's table (its root page is zeroed; like the spec, pool
 * pages below it are not reclaimed). */
void spt_reset(u32 index, u32 cbndx);
void spt_init(void);

/* Host calls; see docs/deviations.md "Operation contract". Each needs SMMU,
 * and where it touches them INFO(vmid), SPT, S2PAGE, NPT(HOSTVISOR). */
long local_alloc_smmu_pgd(u32 cbndx, vmid_t vmid, u32 index);
long local_free_smmu_pgd(u32 cbndx, u32 index);
long local_smmu_assign_page(u32 cbndx, u32 index, pfn_t pfn, gfn_t gfn);
long local_smmu_map_page(u32 cbndx, u32 index, u64 iova, u64 pte);
long local_smmu_clear(u64 iova, u32 cbndx, u32 index);
long smmu_iova_to_phys(u64 iova, u32 cbndx, u32 index);
/* D42: a device (stream) is attached to a context by a hypercall (the spec
 * traps the host's SMMU register writes instead). Need SMMU and INFO of the
 * VMs owning the new context and the stream's current one. */
#define SMMU_NO_CTX 0xFFU
long local_smmu_attach(u32 stream, u32 cbndx, u32 index);
long local_smmu_detach(u32 stream, u32 index);

#endif
