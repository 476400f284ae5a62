/* The arch boundary (include/kcore/arch.h) at EL2 on arm64. */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/lock.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

#include "el2.h"
#include "home.h"
#include "sysreg.h"

/* KCore's EL2 table maps all RAM at its physical address. */
void *arch_phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)pa;
}

/* The remap window is mapped in KCore's EL2 table (COREVISOR's npt) at the
 * window address itself. */
const void *arch_remap_window(u64 va, u64 len)
{
	(void)len;
	return (const void *)(uintptr_t)va;
}

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

/* D45: the platform policy (include/kcore/arch.h). */
bool arch_dma_policy_allows_vms(void)
{
#ifdef KCORE_INSECURE_DMA
	return true; /* the named opt-in: VMs run, unprotected from device DMA */
#else
	return smmu_hw_available();
#endif
}

/* SMMU_POLL_EVENT (several result registers, so not through the core's
 * kcore_host_call): one recorded device fault, under the SMMU lock. */
void el2_smmu_poll_event(u64 *x)
{
	struct smmu_hw_event ev;
	int got;

	if (!smmu_hw_available()) {
		x[0] = (u64)-KE_NOTSUPP;
		return;
	}
	lock_acquire(SMMU_ID);
	got = smmu_hw_poll_event(&ev);
	lock_release(SMMU_ID);
	x[0] = (u64)got;
	x[1] = got ? ev.stream : 0;
	x[2] = got ? ev.iova : 0;
	x[3] = got ? ev.type : 0;
	x[4] = got ? (ev.index | (u64)ev.read << 32) : 0;
}

void arch_dcache_clean_page(phys_addr_t pa)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xF); /* DminLine */

	for (u64 a = pa; a < pa + PAGE_SIZE; a += line)
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

	for (u64 a = pa & ~(line - 1); a < pa + size; a += line)
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

/* KCore's CPUs are indices 0 .. KCORE_MAX_CPUS-1 (mpidr_cpu_index). */
u32 arch_cpu_id(void)
{
	u64 mpidr = read_sysreg(mpidr_el1);
	u64 id = mpidr_cpu_index(mpidr);

	if (id >= KCORE_MAX_CPUS) { /* not arch_halt: it prints this CPU's id */
		console_printf_nolock("KCORE HALT: CPU MPIDR 0x%lx beyond KCORE_MAX_CPUS\n", mpidr);
		psci_system_off();
	}
	return (u32)id;
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

void arch_halt(const char *why, u64 a, u64 b)
{
	console_printf_nolock("KCORE HALT: %s (0x%lx, 0x%lx) on cpu %u\n", why, a, b, arch_cpu_id());
	psci_system_off();
}
