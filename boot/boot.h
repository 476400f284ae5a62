/* The standalone boot's internal interfaces (boot/ only: arch/arm64/ sees
 * the home through arch/arm64/home.h). */
#ifndef KCORE_BOOT_H
#define KCORE_BOOT_H

#include "kcore/state.h"
#include "kcore/types.h"
#include "el2.h"
#include "home.h"
#include "platform.h"

/* boot/uart.c: the PL011 console; it implements home.h's console_printf. */
void uart_putc(char c);

/* boot/dtb.c: a small flattened-device-tree reader. */
bool dtb_valid(const void *fdt);
u32 dtb_total_size(const void *fdt);
/* The first /memory node's first (base, size). 0, or -1 if none. */
int dtb_memory(const void *fdt, u64 *base, u64 *size);
/* Property `name` of /chosen: up to max bytes into out; its length, or -1. */
int dtb_chosen_prop(const void *fdt, const char *name, u8 *out, u32 max);
/* The first (base, size) of the first child of the root whose compatible
 * list holds `compat`. 0, or -1 if none. */
int dtb_compatible(const void *fdt, const char *compat, u64 *base, u64 *size);
/* Entry i of the /memreserve/ block: 0, or -1 past its end. */
int dtb_memreserve(const void *fdt, u32 i, u64 *base, u64 *size);

/* A node of the DTB as dtb_for_each_node reports it (pointers into the blob). */
struct dtb_node {
	const char *name;
	u32 depth; /* 2: a child of the root */
	const u8 *compat, *reg, *ranges;
	u32 compat_len, reg_len, ranges_len;
	u32 addr_cells, size_cells;             /* the parent's: how reg reads */
	u32 child_addr_cells, child_size_cells; /* its own: how its ranges read */
	bool disabled;     /* status is neither "okay" nor "ok" */
	bool iommu;        /* iommu-map or iommus: its DMA goes through an IOMMU */
	bool translatable; /* its reg is a CPU address (every parent maps 1:1) */
};
/* Calls fn at the end of every node below the root. 0, or -1 if no blob. */
int dtb_for_each_node(const void *fdt, void (*fn)(void *ctx, const struct dtb_node *n), void *ctx);
bool dtb_node_compatible(const struct dtb_node *n, const char *compat);
bool dtb_node_reg(const struct dtb_node *n, u32 i, u64 *base, u64 *size);
bool dtb_node_range(const struct dtb_node *n, u32 i, u64 *base, u64 *size);

/* boot/devices.c: the platform's devices as KCore classified them (D44). */
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

/* boot/el2_mmu.c: KCore's own EL2 stage-1 table (principal COREVISOR),
 * built with the core's walker, and the MMU switched on. */
void el2_mmu_init(phys_addr_t ram_base, u64 ram_size);
void el2_mmu_enable(void);
/* The EL2 MMU registers every CPU loads (secondary_entry reads them by
 * offset: keep the order). */
struct el2_mmu_regs {
	u64 mair, tcr, ttbr0, sctlr;
};
extern struct el2_mmu_regs el2_mmu_regs;

/* boot/main.c: the SMMU named by the DTB taken over (smmu/v3), if any. */
void boot_smmu(const void *dtb);


/* boot/ram_zero.c: zero every RAM page the host receives at boot except
 * its boot payload (docs/abi.md, "Boot payload and RAM zeroing"); powers
 * off if the host image's extent is bad. EL2 MMU on, before the host runs. */
void boot_zero_host_ram(const void *dtb, u64 ram_base, u64 ram_size, u64 core_start,
			u64 core_end);




/* Linker symbols (boot/kcore.ld.S). */
extern char __image_start[], __text_end[], __rodata_end[], __bss_start[], __bss_end[],
	__image_end[];
/* boot/main.c: one EL2 stack per CPU. */
extern u8 el2_stacks[][EL2_STACK_SIZE];

#endif
