/* platform/devices.c: the platform's devices as KCore classified them from
 * the DTB (D44), for either home: the host's MMIO allow-list, the GIC
 * frames KCore mediates, the device frames KCore maps for itself. */
#ifndef KCORE_PLATFORM_DEVICES_H
#define KCORE_PLATFORM_DEVICES_H

#include "kcore/state.h"
#include "kcore/types.h"

#define PLAT_EL2_DEV_MAX 16
struct platform {
	/* The host's MMIO allow-list, for kcore_init. */
	struct phys_range host_mmio[KCORE_HOST_MMIO_MAX];
	u32 host_mmio_num;
	/* Device frames KCore maps in its own EL2 table (console, GICH,
	 * SMMU, redistributors, the ITS's control frame). */
	struct phys_range el2_dev[PLAT_EL2_DEV_MAX];
	u32 el2_dev_num;
	bool dma_isolated;        /* an SMMU KCore controls (D45) */
	bool insecure_dma;        /* built with KCORE_INSECURE_DMA=1 (D45) */
};
extern struct platform plat;
/* Classify every DTB node (before kcore_init; MMU off). */
void platform_from_dtb(const void *dtb, u64 ram_base, u64 ram_size);
/* A device frame KCore maps in its own EL2 table (the standalone home's
 * console, added by boot/main.c). */
void platform_el2_dev_add(u64 base, u64 size);
/* Implemented by each home: a 64-bit read of a device register at physical
 * address pa, during platform_from_dtb (the redistributors' GICR_TYPER). */
u64 platform_dev_read64(u64 pa);

#endif
