/* KCore's own EL2 stage-1 table: the table of principal COREVISOR, built
 * with the core's walker (npt_map) from the COREVISOR pool, then the MMU.
 *
 *   KCore's image and memory  level 3, identity: text read-only executable,
 *                             rodata read-only, data/bss/stacks/pools
 *                             read-write never-executable
 *   the rest of RAM           identity, read-write never-executable (KCore
 *                             scrubs and reads host and VM pages): 2 MB
 *                             blocks, level 3 where RAM ends inside a block
 *                             or shares one with KCore's memory
 *   KCore's devices           device pages (platform/devices.c: the PL011, a
 *                             GICv2's GICH, the SMMUv3, the redistributors,
 *                             the ITS's control frame)
 * The image remap window (KCORE_REMAP_START) is filled later by the core.
 * SCTLR_EL2.WXN makes every writable page never-executable as well. */
#include "kcore/arch.h"
#include "kcore/lock.h"
#include "kcore/state.h"

#include "boot.h"
#include "sysreg.h"

#define EL2_TEXT (PTE_VALID | PTE_TABLE | PTE_AF | PTE_SH_INNER | EL2_AP1 | EL2_AP_RO)
#define EL2_RO (EL2_TEXT | PTE_XN)
#define EL2_RW (PTE_VALID | PTE_TABLE | PTE_AF | PTE_SH_INNER | EL2_AP1 | PTE_XN)
#define EL2_DEV (PTE_VALID | PTE_TABLE | PTE_AF | EL2_AP1 | PTE_XN | EL2_ATTR_DEVICE)

struct el2_mmu_regs el2_mmu_regs __attribute__((aligned(64)));

static u64 round_down(u64 x, u64 a)
{
	return x & ~(a - 1);
}

static u64 round_up(u64 x, u64 a)
{
	return (x + a - 1) & ~(a - 1);
}

static void el2_map(u64 pa, u32 level, u64 attr)
{
	long ret = npt_map(COREVISOR, pa, level, pa | attr);

	if (ret)
		arch_halt("el2_mmu: KCore's pool is too small for its own map", pa, (u64)ret);
}

static void el2_map_pages(u64 start, u64 end, u64 attr)
{
	for (u64 pa = start; pa < end; pa += PAGE_SIZE)
		el2_map(pa, 3, attr);
}

/* home.h: KCore's own EL2 table maps devices and KCore's memory at their
 * physical addresses. */
uintptr_t home_device_va(u64 pa)
{
	return (uintptr_t)pa;
}

u64 home_virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}

void el2_mmu_init(phys_addr_t ram_base, u64 ram_size)
{
	u64 ram_end = ram_base + ram_size;
	u64 text = (u64)(uintptr_t)__image_start;
	u64 text_end = (u64)(uintptr_t)__text_end;
	u64 ro_end = (u64)(uintptr_t)__rodata_end;
	/* the 2 MB blocks that hold KCore's memory are mapped page by page */
	u64 k_lo = round_down(kc.core_start, PMD_SIZE);
	u64 k_hi = round_up(kc.core_end, PMD_SIZE);

	lock_acquire(NPT_ID + COREVISOR);
	el2_map_pages(text, text_end, EL2_TEXT);
	el2_map_pages(text_end, ro_end, EL2_RO);
	el2_map_pages(ro_end, kc.core_end, EL2_RW);
	el2_map_pages(k_lo > ram_base ? k_lo : ram_base, text, EL2_RW);
	el2_map_pages(kc.core_end, k_hi < ram_end ? k_hi : ram_end, EL2_RW);
	for (u64 blk = ram_base; blk < ram_end; blk += PMD_SIZE) {
		if (blk >= k_lo && blk < k_hi)
			continue;
		if (blk + PMD_SIZE <= ram_end)
			el2_map(blk, 2, EL2_RW);
		else
			el2_map_pages(blk, ram_end, EL2_RW);
	}
	/* None of them is on the host's allow-list (D44). */
	for (u32 i = 0; i < plat.el2_dev_num; i++)
		el2_map_pages(plat.el2_dev[i].base, plat.el2_dev[i].base + plat.el2_dev[i].size,
			      EL2_DEV);
	lock_release(NPT_ID + COREVISOR);

	el2_mmu_regs.mair = MAIR_EL2_VALUE;
	el2_mmu_regs.tcr = TCR_EL2_VALUE | cpu_parange() << TCR_PS_SHIFT;
	el2_mmu_regs.ttbr0 = kc.npt[COREVISOR].root;
	el2_mmu_regs.sctlr = SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN;
	/* Written here with the MMU off, so straight to memory, and never
	 * again: each secondary reads them with its own MMU still off. */
	el2_mmu_enable();
}

/* The primary CPU, at the end of el2_mmu_init. Each secondary does the same
 * in boot/start.S from el2_mmu_regs, before it touches memory with the MMU
 * on. The tables were written with the MMU (so the data cache) off, to
 * memory; nothing of them is cached yet. On hardware whose firmware ran
 * cacheable in this range, the range would be invalidated first (the
 * Raspberry Pi port). */
void el2_mmu_enable(void)
{
	write_sysreg(el2_mmu_regs.mair, mair_el2);
	write_sysreg(el2_mmu_regs.tcr, tcr_el2);
	write_sysreg(el2_mmu_regs.ttbr0, ttbr0_el2);
	dsb(ish);
	__asm__ volatile("tlbi alle2" : : : "memory");
	dsb(ish);
	isb();
	write_sysreg(el2_mmu_regs.sctlr, sctlr_el2);
	isb();
}
