/* Scenario `smp` (QEMU -smp 4): four host CPUs call KCore at once.
 *
 * The host starts CPUs 1..3 with PSCI CPU_ON (KCore starts them through its
 * own entry and hands each to the host's entry point with its context).
 * Then every CPU, at the same time:
 *  1. ROUNDS rounds of a no-op hypercall, a refused one, and a first touch
 *     of a fresh page (a host stage-2 fault); the pages of the four CPUs
 *     are interleaved, so the faults land in the same level-3 tables;
 *  2. builds a VM of its own (the spin guest, tests/qemu/guests/spin.S)
 *     and, after reading every contested page once (so that each CPU has
 *     them in its TLB), asks KCore to map each contested page into its VM
 *     (a VCPU_RUN with a mapping request): all four ask for the same pages
 *     at the same time, so each page must go to exactly one VM and the
 *     three others must be refused with -KE_OWNER;
 *  3. reads every contested page again: each read must abort on every CPU,
 *     which only holds if KCore's TLB invalidation reached all of them;
 *  4. powers its VM off and takes its pages back with CLEAR_VM_PAGE: they
 *     come back zeroed and readable from every CPU.
 * The primary CPU then checks the counts. KCore halting (an internal
 * invariant broken) fails the run (tests/qemu/run.sh looks for it). */
#ifdef SCENARIO_SMP
#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"
#include "kcore/vcpu.h"

#include "hostlib.h"
#include "platform.h"
#include "scenario.h"

#define PSCI_CPU_ON_64 0xC4000003UL
#define PSCI_RET_INVALID_PARAMETERS (-2L)
#define PSCI_RET_ALREADY_ON (-4L)
#define PSCI_RET_ON_PENDING (-5L)
#define NCPU HOST_MAX_CPUS
#define ROUNDS 300
#define CONTESTED 64
#define FRESH_BASE 0x60000000UL  /* phase 1: NCPU * ROUNDS pages, interleaved */
#define CONTEST_BASE 0x62000000UL /* the contested pages */
#define IMG_BASE 0x63000000UL     /* one spin-guest image page per CPU */
#define RUN_BASE 0x63100000UL     /* one run page per CPU */
#define GUEST_LOAD 0x40080000UL
#define GUEST_MAP_IPA 0x50000000UL /* where a won page goes in the VM */
#define HVC_SPIN 0xC6000202UL
#define SPIN_LIMIT 200000000UL

extern const u8 spin_image[], spin_image_end[];
void smp_secondary_entry(void);
void smp_secondary_main(u64 cpu);

struct cpu_result {
	u64 errors;     /* unexpected results, any phase */
	u64 first_err;  /* the first one: phase << 32 | detail */
	u64 wins, losses;
	u64 aborts_read; /* aborts taken in phase 3 */
	u64 clear_ok, clear_dirty;
	long vmid;
};

static struct cpu_result res[NCPU];
static volatile u32 started;          /* secondaries that reached their entry */
static volatile u32 finished;         /* CPUs done with every phase */
static volatile u64 context_seen[NCPU]; /* the context each secondary got in x0 */
static volatile u64 el_seen[NCPU];      /* the exception level it runs at */
static volatile u32 barrier_count, barrier_phase;
static volatile u32 winner[CONTESTED]; /* cpu + 1 of the VM that got page k */

static void fail_at(struct cpu_result *r, u64 phase, u64 detail)
{
	if (r->errors++ == 0)
		r->first_err = phase << 32 | (detail & 0xFFFFFFFFUL);
}

/* A sense-reversing barrier for the NCPU CPUs. */
static void barrier(void)
{
	u32 phase = __atomic_load_n(&barrier_phase, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&barrier_count, 1, __ATOMIC_ACQ_REL) == NCPU) {
		__atomic_store_n(&barrier_count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&barrier_phase, phase + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&barrier_phase, __ATOMIC_ACQUIRE) == phase)
		;
}

/* 1: hypercalls and host stage-2 faults, all CPUs at once. */
static void phase_calls(u32 cpu, struct cpu_result *r)
{
	for (u64 i = 0; i < ROUNDS; i++) {
		u64 pa = FRESH_BASE + (i * NCPU + cpu) * 4096;

		if (host_hvc(KCORE_HC_NOP, 0, 0, 0, 0, 0) != 0)
			fail_at(r, 1, i);
		if (host_hvc(KCORE_HC_REGISTER_KVM, 99, 0, 0, 0, 0) != -KE_RANGE)
			fail_at(r, 1, 0x10000 | i);
		poke(pa, (u64)cpu << 32 | i);
	}
	for (u64 i = 0; i < ROUNDS; i++)
		if (peek(FRESH_BASE + (i * NCPU + cpu) * 4096) != ((u64)cpu << 32 | i))
			fail_at(r, 1, 0x20000 | i);
}

/* A VM of this CPU's own: the spin guest (signed), one vCPU, run once. */
static struct kcore_run_page *vm_build(u32 cpu, struct cpu_result *r)
{
	u64 img = IMG_BASE + cpu * 4096UL, size = (u64)(uintptr_t)spin_image_end - (u64)(uintptr_t)spin_image;
	struct kcore_run_page *rp = (struct kcore_run_page *)(uintptr_t)(RUN_BASE + cpu * 4096UL);
	long vmid, x;

	vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);
	r->vmid = vmid;
	for (u64 i = 0; i < 4096; i++)
		((volatile u8 *)(uintptr_t)img)[i] = i < size ? spin_image[i] : 0;
	for (u32 j = 0; j < 4096 / 8; j++)
		((volatile u64 *)rp)[j] = 0;
	rp->entry_pc = GUEST_LOAD;
	rp->entry_pstate = 0x3C5;
	x = host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid, GUEST_LOAD, size, 0, 0);
	x |= host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid, img >> 12, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid, 0, (u64)(uintptr_t)rp, 0, 0);
	x |= host_hvc(KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, 0, 0);
	if (vmid <= 0 || x != 0) {
		fail_at(r, 2, (u64)vmid);
		return NULL;
	}
	/* VERIFY_VM mapped the image at GUEST_LOAD: the guest runs at once. */
	if (host_hvc(KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0, 0) != KCORE_EXIT_HVC ||
	    rp->exit_hvc_args[0] != HVC_SPIN) {
		fail_at(r, 2, 0x200);
		return NULL;
	}
	return rp;
}

/* 2: every CPU asks for every contested page for its VM, at once. */
static void phase_contest(u32 cpu, struct cpu_result *r, struct kcore_run_page *rp)
{
	for (u32 k = 0; k < CONTESTED; k++) {
		long ret;

		rp->map_addr = GUEST_MAP_IPA + k * 4096UL;
		rp->map_pte = CONTEST_BASE + k * 4096UL;
		rp->map_level = 3;
		ret = host_hvc(KCORE_HC_VCPU_RUN, (u64)r->vmid, 0, 0, 0, 0);
		rp->map_addr = 0;
		if (ret == KCORE_EXIT_HVC) {
			u32 none = 0;

			r->wins++;
			if (!__atomic_compare_exchange_n(&winner[k], &none, cpu + 1, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				fail_at(r, 3, 0x1000 | k); /* a second VM got the page */
		} else if (ret == -KE_OWNER) {
			r->losses++;
		} else {
			fail_at(r, 3, k);
		}
	}
}

/* 4: the VM off, its pages back (the contested ones it won and its image). */
static void phase_reclaim(u32 cpu, struct cpu_result *r)
{
	if (host_hvc(KCORE_HC_POWEROFF_VM, (u64)r->vmid, 0, 0, 0, 0) != 0) {
		fail_at(r, 4, 0);
		return;
	}
	for (u32 k = 0; k <= CONTESTED; k++) {
		u64 pa = k < CONTESTED ? CONTEST_BASE + k * 4096UL : IMG_BASE + cpu * 4096UL;

		if (k < CONTESTED && winner[k] != cpu + 1)
			continue;
		if (host_hvc(KCORE_HC_CLEAR_VM_PAGE, (u64)r->vmid, pa >> 12, 0, 0, 0) != 0) {
			fail_at(r, 4, 0x100 | k);
			continue;
		}
		r->clear_ok++;
	}
}

static u64 now_us(void)
{
	u64 t, f;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return t / (f / 1000000);
}

static u64 phase_us[8];

static void mark(u32 cpu, u32 i)
{
	if (cpu == 0)
		phase_us[i] = now_us();
}

static void worker(u32 cpu)
{
	struct cpu_result *r = &res[cpu];
	struct kcore_run_page *rp;
	u64 before;

	barrier();
	mark(cpu, 0);
	phase_calls(cpu, r);
	mark(cpu, 1);
	rp = vm_build(cpu, r);
	for (u32 k = 0; k < CONTESTED; k++) /* into this CPU's TLB */
		(void)peek(CONTEST_BASE + k * 4096UL);
	barrier();
	mark(cpu, 2);
	if (rp)
		phase_contest(cpu, r, rp);
	barrier();
	mark(cpu, 3);
	before = aborts_on[cpu];
	for (u32 k = 0; k < CONTESTED; k++)
		(void)peek(CONTEST_BASE + k * 4096UL);
	r->aborts_read = aborts_on[cpu] - before;
	barrier();
	mark(cpu, 4);
	if (rp)
		phase_reclaim(cpu, r);
	barrier();
	mark(cpu, 5);
	before = aborts_on[cpu];
	for (u32 k = 0; k < CONTESTED; k++)
		for (u32 j = 0; j < 4096 / 8; j++)
			if (peek(CONTEST_BASE + k * 4096UL + j * 8) != 0)
				r->clear_dirty++;
	if (aborts_on[cpu] != before)
		fail_at(r, 5, aborts_on[cpu] - before);
	if (host_hvc(KCORE_HC_NOP, 0, 0, 0, 0, 0) != 0)
		fail_at(r, 5, 0x100);
	mark(cpu, 6);
	__atomic_add_fetch(&finished, 1, __ATOMIC_ACQ_REL);
}

void smp_secondary_main(u64 cpu)
{
	u64 el;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	el_seen[cpu % NCPU] = el >> 2;
	context_seen[cpu % NCPU] = cpu;
	__atomic_add_fetch(&started, 1, __ATOMIC_ACQ_REL);
	worker((u32)cpu);
}

static bool wait_for(volatile u32 *v, u32 want)
{
	for (u64 spin = 0; spin < SPIN_LIMIT; spin++)
		if (__atomic_load_n(v, __ATOMIC_ACQUIRE) == want)
			return true;
	return false;
}

static void report(void)
{
	u64 wins = 0, losses = 0, errors = 0, cleared = 0, dirty = 0;
	bool one_each = true, all_read_refused = true;

	for (u32 c = 0; c < NCPU; c++) {
		const struct cpu_result *r = &res[c];

		hprintf("host: cpu %u: vm%ld, %lu won, %lu refused (-KE_OWNER), %lu of %u reads "
			"refused, %lu pages cleared, %lu errors (first 0x%lx)\n",
			c, r->vmid, r->wins, r->losses, r->aborts_read, CONTESTED, r->clear_ok,
			r->errors, r->first_err);
		wins += r->wins;
		losses += r->losses;
		errors += r->errors;
		cleared += r->clear_ok;
		dirty += r->clear_dirty;
		all_read_refused &= r->aborts_read == CONTESTED;
	}
	for (u32 k = 0; k < CONTESTED; k++)
		one_each &= winner[k] >= 1 && winner[k] <= NCPU;
	hprintf("host: cpu 0's time (us): calls+faults %lu, VM build %lu, contest %lu, reads %lu, "
		"reclaim %lu, last reads %lu\n",
		phase_us[1] - phase_us[0], phase_us[2] - phase_us[1], phase_us[3] - phase_us[2],
		phase_us[4] - phase_us[3], phase_us[5] - phase_us[4], phase_us[6] - phase_us[5]);
	check(errors == 0, "every hypercall, fault and read on every CPU did what it should");
	check(one_each && wins == CONTESTED && losses == (NCPU - 1) * CONTESTED,
	      "each contested page went to exactly one VM; the other CPUs were refused");
	check(all_read_refused, "after the race, every CPU's read of every page given away aborts");
	check(cleared == CONTESTED + NCPU && dirty == 0,
	      "after power-off and clear, every page is back, zeroed, on every CPU");
}

void scenario(void)
{
	long on[NCPU] = { 0 }, again;
	bool up;

	hprintf("host: smp: starting CPUs 1..%u with PSCI CPU_ON\n", NCPU - 1);
	check((long)host_smc(PSCI_CPU_ON_64, 0xFF00, (u64)(uintptr_t)smp_secondary_entry, 0) ==
		      PSCI_RET_INVALID_PARAMETERS,
	      "CPU_ON of a CPU that does not exist is INVALID_PARAMETERS");
	check((long)host_smc(PSCI_CPU_ON_64, 0, (u64)(uintptr_t)smp_secondary_entry, 0) ==
		      PSCI_RET_ALREADY_ON,
	      "CPU_ON of the calling CPU is ALREADY_ON");
	/* KCore prints as each CPU comes up: print nothing until they are. */
	for (u64 c = 1; c < NCPU; c++)
		on[c] = (long)host_smc(PSCI_CPU_ON_64, c, (u64)(uintptr_t)smp_secondary_entry, c);
	again = (long)host_smc(PSCI_CPU_ON_64, 1, (u64)(uintptr_t)smp_secondary_entry, 1);
	up = wait_for(&started, NCPU - 1);
	for (u32 c = 1; c < NCPU; c++)
		hprintf("host: CPU_ON(cpu %u) -> %ld\n", c, on[c]);
	check(on[1] == 0 && on[2] == 0 && on[3] == 0, "CPU_ON of each CPU that is off");
	check(again == PSCI_RET_ALREADY_ON || again == PSCI_RET_ON_PENDING,
	      "a second CPU_ON of a started CPU is ALREADY_ON or ON_PENDING");
	for (u32 c = 1; c < NCPU; c++)
		up &= context_seen[c] == c && el_seen[c] == 1;
	check(up, "CPUs 1..3 entered the host at EL1 at its entry point with their context in x0");
	if (!up)
		return;
	aborts_quiet = true; /* the CPUs abort at once: only the counts are printed */
	hprintf("host: smp: %u CPUs: %u rounds of calls and faults each, then %u pages contested\n",
		NCPU, ROUNDS, CONTESTED);
	worker(0);
	if (!wait_for(&finished, NCPU))
		check(false, "every CPU finished");
	aborts_quiet = false;
	report();
}
#endif
