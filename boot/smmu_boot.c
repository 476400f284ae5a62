/* The SMMU at boot: the DTB names it ("arm,smmu-v3"); KCore takes it over
 * before the host runs. The host can never reach it: platform/devices.c keeps
 * it off the host's MMIO allow-list and puts it in KCore's EL2 table (D44). Without one (a board without an SMMU, or SMMU=0), every SMMU call
 * is refused (-KE_NOTSUPP, D43). */
#include "kcore/arch.h"
#include "kcore/layout.h"
#include "kcore/state.h"

#include "boot.h"
#ifndef KCORE_NO_SMMU
#include "smmuv3.h"
#endif

void boot_smmu(const void *dtb)
{
#ifndef KCORE_NO_SMMU
	u64 base, size;

	if (!dtb || dtb_compatible(dtb, "arm,smmu-v3", &base, &size) != 0) {
		console_printf("kcore: no SMMUv3 in the DTB: device DMA is not isolated; SMMU calls "
			       "refused\n");
		return;
	}
	if (s2page_get(base >> PAGE_SHIFT).owner != COREVISOR)
		arch_halt("boot: the SMMU is on the host's MMIO allow-list", base, size);
	smmuv3_init(base);
	console_printf("kcore: SMMUv3 at 0x%lx: %u streams abort until attached, %u contexts\n", base,
		       KCORE_SMMU_STREAMS, KCORE_SMMU_CFG_NUM_0);
#else
	(void)dtb;
	console_printf("kcore: built without the SMMU driver (SMMU=0): SMMU calls refused\n");
#endif
}
