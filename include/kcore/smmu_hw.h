/* The SMMU driver interface: what the core's SMMU rules (smmu/smmu.c,
 * smmu/spt.c) need from the hardware, and nothing else reaches it. One
 * driver per build: smmu/v3/ (an SMMUv3 KCore took over), smmu/none/ (a
 * machine without an SMMU under KCore's control: no device context exists,
 * D43), and the host tests' fake (tests/fake/arch_fake.c, which records
 * every call). The core decides (kc.smmu_stream, the device tables); a
 * driver only programs the hardware. Callers hold the SMMU lock or SPT. */
#ifndef KCORE_SMMU_HW_H
#define KCORE_SMMU_HW_H

#include "kcore/types.h"

/* Whether device contexts exist on this machine at all (an SMMU was found
 * and is under KCore's control). Without one, every SMMU call is refused
 * with -KE_NOTSUPP (D43). */
bool smmu_hw_available(void);
/* Invalidate one device translation (SMMU `index`, context `cbndx`), with a
 * completed sync, or the whole context. */
void smmu_hw_tlbi(u32 index, u32 cbndx, u64 iova);
void smmu_hw_tlbi_ctx(u32 index, u32 cbndx);
/* Point stream (device) `stream` of SMMU `index` at context `cbndx`, or
 * make it abort every transaction (detach); the hardware's cached
 * configuration for the stream is invalidated, with a completed sync,
 * before return. */
void smmu_hw_attach(u32 index, u32 stream, u32 cbndx);
void smmu_hw_detach(u32 index, u32 stream);

/* One recorded device fault: 1 and *ev filled, 0 if none is pending. */
struct smmu_hw_event {
	u32 index;  /* SMMU instance */
	u32 type;   /* SMMUv3 event number (0x10 F_TRANSLATION, ...) */
	u32 stream; /* StreamID */
	u32 read;   /* 1: the access was a read (RnW) */
	u64 iova;   /* InputAddr */
};
int smmu_hw_poll_event(struct smmu_hw_event *ev);

#endif
