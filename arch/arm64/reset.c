/* The host's PSCI SYSTEM_OFF and SYSTEM_RESET (issue 11 item 3, D62-D64).
 * QEMU's reset, like a warm reset of a board, keeps RAM: a VM's plaintext
 * would be there for whatever boots next (a host kernel without KCore, or
 * the host under the next KCore if the page lies in its boot payload, which
 * boot/ram_zero.c keeps). So before the call goes to the firmware:
 *  1. no CPU enters a guest any more (reset_in_progress, which every
 *     VCPU_RUN checks: reset.h)
 *     and KCore waits, bounded, for the CPUs running one to leave it;
 *  2. under the S2PAGE lock, every page a VM owns is zeroed and cleaned to
 *     PoC, and so are the VMs' vCPU contexts in KCore's data (their
 *     registers, FP/SIMD included: kc.shadow). Every core call that changes
 *     an owner or reads or writes a VM's page or context outside VCPU_RUN
 *     (VERIFY_VM, CLEAR_VM_PAGE, the assigns, the export calls) holds
 *     S2PAGE throughout, so each of them ends before the scrub or waits
 *     for ever behind it;
 *  3. the call is forwarded; the host never runs again on this CPU. If the
 *     firmware returns, the VMs' memory is gone: power off, or stop.
 * What is left (a guest on another CPU that does not exit within the wait,
 * a DMA of a VM's device in flight): docs/deviations.md, D64. */
#include "kcore/arch.h"
#include "kcore/lock.h"
#include "kcore/state.h"

#include "el2.h"
#include "home.h"
#include "reset.h"
#include "sysreg.h"

#define PSCI_SYSTEM_OFF 0x84000008UL
#define RESET_WAIT_MS 10 /* a guest exits on its next interrupt or trap */

u32 reset_in_progress;
u32 reset_in_guest[KCORE_MAX_CPUS];

/* The CPUs still in a guest after RESET_WAIT_MS: reported, not waited for. */
static void reset_wait_guests(u32 self)
{
	u64 t0 = read_sysreg(cntpct_el0), wait = read_sysreg(cntfrq_el0) / 1000 * RESET_WAIT_MS;

	for (u32 c = 0; c < KCORE_MAX_CPUS; c++) {
		if (c == self)
			continue;
		while (__atomic_load_n(&reset_in_guest[c], __ATOMIC_SEQ_CST) &&
		       read_sysreg(cntpct_el0) - t0 < wait)
			arch_cpu_relax();
		if (__atomic_load_n(&reset_in_guest[c], __ATOMIC_SEQ_CST))
			console_printf("kcore: reset: cpu %u still in a guest after %u ms: scrubbing "
				       "anyway (D64)\n", c, RESET_WAIT_MS);
	}
}

/* Every page a VM owns (mapped, assigned through the SMMU, shared with the
 * host, or of a powered-off VM not yet cleared): zeroed, cleaned to PoC.
 * Returns the number of pages. Needs S2PAGE. */
static u64 reset_scrub_vm_pages(void)
{
	u64 n = 0;

	for (u64 i = 0; i < kc.ram_pages; i++) {
		u32 owner = kc.s2page[i].owner;

		if (owner == HOSTVISOR || owner >= COREVISOR)
			continue;
		zero_clean_poc(KCORE_RAM_BASE + i * PAGE_SIZE, PAGE_SIZE);
		n++;
	}
	return n;
}

/* The VMs' vCPU contexts (vmid 1..COREVISOR-1), which hold their registers
 * between runs; the host's (vmid 0) is the host's own. Cleaned to PoC by
 * whole pages (what arch_dcache_clean_inval_poc takes): the neighbours in
 * kc are cleaned too, which costs nothing but time. */
static void reset_scrub_vm_contexts(void)
{
	u64 *w = (u64 *)&kc.shadow[1][0];
	u64 n = sizeof(kc.shadow[0]) * (COREVISOR - 1) / sizeof(u64);
	u64 lo = (u64)(uintptr_t)w & ~(PAGE_SIZE - 1);
	u64 hi = ((u64)(uintptr_t)(w + n) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	for (u64 i = 0; i < n; i++)
		__atomic_store_n(&w[i], 0, __ATOMIC_RELAXED); /* not turned into a call to memset */
	arch_dcache_clean_inval_poc(lo, hi - lo);
}

void host_psci_system_off_reset(u64 fn)
{
	u32 cpu = arch_cpu_id();
	u64 pages, t0;

	__atomic_store_n(&reset_in_progress, 1, __ATOMIC_SEQ_CST);
	reset_wait_guests(cpu); /* (this CPU is the host's: not in a guest) */
	t0 = read_sysreg(cntpct_el0);
	lock_acquire(S2PAGE_ID);
	pages = reset_scrub_vm_pages();
	reset_scrub_vm_contexts();
	console_printf("kcore: reset scrub: %lu VM pages and the VMs' vCPU contexts zeroed and "
		       "cleaned to PoC in %lu us\n",
		       pages, (read_sysreg(cntpct_el0) - t0) * 1000000 / read_sysreg(cntfrq_el0));
	console_printf("kcore: host PSCI %s\n", fn == PSCI_SYSTEM_OFF ? "SYSTEM_OFF: powering off"
								    : "SYSTEM_RESET: resetting");
	/* S2PAGE stays held: nothing changes owner, and no VM runs, until the
	 * machine is gone. */
	psci_smc(fn, 0, 0, 0);
	console_printf("kcore: the firmware returned from the host's PSCI call: VMs scrubbed, "
		       "powering off\n");
	psci_system_off();
}
