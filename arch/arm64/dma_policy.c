/* D45, the platform policy (include/kcore/arch.h), the same in both homes:
 * VMs boot where an SMMU KCore controls isolates device DMA (standalone:
 * smmu/v3 found one; inside Linux no SMMU is KCore's yet, smmu/none), or
 * where KCore was built with the named opt-in KCORE_INSECURE_DMA=1. */
#include "kcore/arch.h"
#include "kcore/smmu_hw.h"

bool arch_dma_policy_allows_vms(void)
{
#ifdef KCORE_INSECURE_DMA
	return true; /* the named opt-in: VMs run, unprotected from device DMA */
#else
	return smmu_hw_available();
#endif
}
