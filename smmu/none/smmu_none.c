/* The SMMU driver of a machine without an SMMU under KCore's control
 * (make SMMU=0, the Raspberry Pi 4 profile): no device context exists, so
 * the core refuses every SMMU call (-KE_NOTSUPP, D43) before it could reach
 * the other entries; reaching one is a broken invariant. */
#include "kcore/arch.h"
#include "kcore/smmu_hw.h"

bool smmu_hw_available(void)
{
	return false;
}

void smmu_hw_tlbi(u32 index, u32 cbndx, u64 iova)
{
	(void)index;
	(void)cbndx;
	(void)iova;
}

void smmu_hw_tlbi_ctx(u32 index, u32 cbndx)
{
	(void)index;
	(void)cbndx;
}

void smmu_hw_attach(u32 index, u32 stream, u32 cbndx)
{
	(void)index;
	arch_halt("smmu: attach without an SMMU", stream, cbndx);
}

void smmu_hw_detach(u32 index, u32 stream)
{
	(void)index;
	(void)stream;
}

int smmu_hw_poll_event(struct smmu_hw_event *ev)
{
	(void)ev;
	return 0;
}
