/* The SMMU at boot: the DTB names it ("arm,smmu-v3"); KCore takes it over
 * only where the host can never reach it (KCore's reserved MMIO, which the
 * host's stage 2 refuses and KCore's EL2 table maps), and before the host
 * runs. Without one (a board without an SMMU, or SMMU=0), every SMMU call
 * is refused (-KE_NOTSUPP, D43). */
#include "kcore/arch.h"
#include "kcore/layout.h"

#include "boot.h"
#ifndef KCORE_NO_SMMU
#include "smmuv3.h"
#endif

void boot_smmu(const void *dtb)
{
#ifndef KCORE_NO_SMMU
	u64 base, size;

	if (!dtb || dtb_compatible(dtb, "arm,smmu-v3", &base, &size) != 0) {
		uart_printf("kcore: no SMMUv3 in the DTB: device DMA is not isolated; SMMU calls "
			    "refused\n");
		return;
	}
	if (base < KCORE_RESERVED_MMIO_BASE || size > KCORE_RESERVED_MMIO_SIZE ||
	    base - KCORE_RESERVED_MMIO_BASE > KCORE_RESERVED_MMIO_SIZE - size)
		arch_halt("boot: the SMMU lies outside KCore's reserved MMIO", base, size);
	smmuv3_init(base);
	uart_printf("kcore: SMMUv3 at 0x%lx: %u streams abort until attached, %u contexts\n", base,
		    KCORE_SMMU_STREAMS, KCORE_SMMU_CFG_NUM_0);
#else
	(void)dtb;
	uart_printf("kcore: built without the SMMU driver (SMMU=0): SMMU calls refused\n");
#endif
}
