/* The standalone boot's internal interfaces (boot/ only: arch/arm64/ sees
 * the home through arch/arm64/home.h). */
#ifndef KCORE_BOOT_H
#define KCORE_BOOT_H

#include "kcore/state.h"
#include "kcore/types.h"
#include "el2.h"
#include "home.h"
#include "platform.h"
#include "dtb.h"
#include "devices.h"

/* boot/uart.c: the PL011 console; it implements home.h's console_printf. */
void uart_putc(char c);

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
