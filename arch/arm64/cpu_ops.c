/* The arch boundary's CPU operations (include/kcore/arch.h) that are the
 * same in every home: TLB and cache maintenance, ACTLR_EL1, the spin hint.
 * Cache maintenance takes physical addresses and works on their EL2 virtual
 * address (arch_phys_to_virt, the home's: VA = PA standalone, the hyp
 * linear map inside Linux). The home-specific part is arch.c (standalone)
 * and linux/arch.c (Linux's nVHE image). */
#include "kcore/arch.h"
#include "kcore/state.h"

#include "sysreg.h"

/* Stage-2 TLB maintenance acts on the VMID in VTTBR_EL2, so the principal's
 * table and VMID (VMID = principal id; the host is VMID 0) are selected for
 * the invalidation and the current VTTBR_EL2 restored after. Stage-1 entries
 * cached with that VMID are dropped too (VMALLE1IS): they may combine the
 * removed stage-2 translation. */
static u64 tlbi_select_vmid(vmid_t vmid)
{
	u64 old = read_sysreg(vttbr_el2);

	write_sysreg(kc.npt[vmid].root | (u64)vmid << VTTBR_VMID_SHIFT, vttbr_el2);
	isb();
	return old;
}

static void tlbi_restore_vmid(u64 old)
{
	write_sysreg(old, vttbr_el2);
	isb();
}

void arch_tlbi_s2_ipa(vmid_t vmid, ipa_t ipa)
{
	u64 old;

	dsb(ishst); /* the descriptor write is visible to the walkers first */
	old = tlbi_select_vmid(vmid);
	__asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12) : "memory");
	dsb(ish);
	__asm__ volatile("tlbi vmalle1is" : : : "memory");
	dsb(ish);
	isb();
	tlbi_restore_vmid(old);
}

void arch_tlbi_s2_vmid(vmid_t vmid)
{
	u64 old;

	dsb(ishst);
	old = tlbi_select_vmid(vmid);
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	isb();
	tlbi_restore_vmid(old);
}

void arch_tlbi_el2_va(u64 va)
{
	dsb(ishst);
	__asm__ volatile("tlbi vae2is, %0" : : "r"(va >> 12) : "memory");
	dsb(ish);
	isb();
}

void arch_dcache_clean_page(phys_addr_t pa)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xF); /* DminLine */

	u64 va = (u64)(uintptr_t)arch_phys_to_virt(pa);

	for (u64 a = va; a < va + PAGE_SIZE; a += line)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	dsb(ish);
}

/* DC CIVAC by line (CTR_EL0.DminLine, the smallest data-cache line of any
 * cache this CPU's maintenance reaches), then DSB SY so that the memory
 * writes are complete for every observer, a non-cacheable one included,
 * before KCore reads the page or a guest runs. FEAT_S2FWB is not used (D50):
 * the maintenance is needed on the CPUs without it (the Pi 4's A72), and one
 * path on every CPU is the one the tests exercise. */
void arch_dcache_clean_inval_poc(phys_addr_t pa, u64 size)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xF);
	u64 va = (u64)(uintptr_t)arch_phys_to_virt(pa);

	for (u64 a = va & ~(line - 1); a < va + size; a += line)
		__asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb(sy);
}

/* The data is at the point of coherency already (arch_dcache_clean_inval_poc,
 * completed), so it is at the point of unification too: invalidate every
 * CPU's instruction cache, wait for it, and resynchronise this CPU's fetch. */
void arch_icache_inval_all(void)
{
	dsb(ish);
	__asm__ volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

u64 arch_actlr_el1(void)
{
	return read_sysreg(actlr_el1);
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}
