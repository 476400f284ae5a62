/* The `pmu` scenario (SCENARIO_PMU, run under -icount so that QEMU's PMU
 * counts instructions): the host's performance monitors cannot watch EL2
 * or a guest (D57).
 *  1. The host asks its event counter 0 and its cycle counter to count at
 *     EL2 too (the NSH filter bit) and makes 100 NOP hypercalls: KCore's
 *     ~100 instructions per call must not show; the filter reads back with
 *     NSH clear on the Cortex-A72 (PMUv3, no MDCR_EL2.HPMD), where KCore
 *     does the host's PMU accesses itself; later PMUs (`pmu-max`: -cpu max,
 *     PMUv3p5) keep NSH and KCore prohibits EL2 counting by HPMD/HCCD.
 *  2. With the counters counting EL1 (where a guest runs) and the overflow
 *     interrupt of counter 0 enabled, the host runs a VM whose guest makes
 *     100,000 instructions per run (tests/qemu/guests/loop.S): the count
 *     must not grow by them, and the enable bits are the host's again after
 *     the run. */
#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"
#include "kcore/vcpu.h"

#include "hostlib.h"
#include "scenario.h"

#ifdef SCENARIO_PMU
#define EV_INST_RETIRED 0x08UL
#define PMEVTYPER_NSH (1UL << 27)
#define PMCR_E 1UL
#define PMCR_P (1UL << 1)
#define PMCR_C (1UL << 2)
#define CNT0 1UL
#define CYCLES (1UL << 31)
#define NOPS 100
#define IMG 0x4A000000UL
#define RUN_PAGE 0x4A100000UL
#define GUEST_LOAD 0x40080000UL
#define HVC_LOOP 0xC6000203UL

extern const u8 loop_image[], loop_image_end[];

#define mrs(r) ({ u64 v_; __asm__ volatile("isb; mrs %0, " #r : "=r"(v_)); v_; })
#define msr(r, v) __asm__ volatile("msr " #r ", %0; isb" : : "r"((u64)(v)))

static void counters_on(u64 type)
{
	msr(pmcntenclr_el0, ~0UL);
	msr(pmevtyper0_el0, EV_INST_RETIRED | type);
	msr(pmccfiltr_el0, type);
	msr(pmcr_el0, PMCR_E | PMCR_P | PMCR_C);
	msr(pmcntenset_el0, CNT0 | CYCLES);
}

static void el2_not_counted(void)
{
	u64 e0, c0, e1, c1;

	counters_on(PMEVTYPER_NSH);
	hprintf("host: event type 0x%lx, cycle filter 0x%lx (asked: NSH set, count EL2)\n",
		mrs(pmevtyper0_el0), mrs(pmccfiltr_el0));
	if (((mrs(id_aa64dfr0_el1) >> 8) & 0xF) < 4) /* PMUv3: KCore does the host's accesses */
		check((mrs(pmevtyper0_el0) & PMEVTYPER_NSH) == 0 &&
			      (mrs(pmccfiltr_el0) & PMEVTYPER_NSH) == 0,
		      "PMUv3: the host's NSH filter bits (count at EL2) do not stick");
	else /* PMUv3p1 and later: MDCR_EL2.HPMD (and HCCD) prohibit it instead */
		hprintf("host: PMUv3p1 or later: NSH kept, EL2 counting prohibited by MDCR_EL2\n");
	e0 = mrs(pmevcntr0_el0);
	c0 = mrs(pmccntr_el0);
	for (u32 i = 0; i < NOPS; i++)
		(void)host_hvc(KCORE_HC_NOP, 0, 0, 0, 0, 0);
	e1 = mrs(pmevcntr0_el0);
	c1 = mrs(pmccntr_el0);
	hprintf("host: %u NOP hypercalls: %lu instructions, %lu cycles counted by the host\n", NOPS,
		e1 - e0, c1 - c0);
	/* The host's own loop is < 20 instructions a call; KCore's ~100 are not. */
	check(e1 - e0 < 20 * NOPS, "the host's event counter does not count KCore (EL2)");
	check(c1 - c0 < 20 * NOPS, "the host's cycle counter does not count KCore (EL2)");
}

static long vm_boot(struct kcore_run_page *rp)
{
	u64 size = (u64)(uintptr_t)loop_image_end - (u64)(uintptr_t)loop_image;
	long vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0), x;

	for (u64 i = 0; i < 4096; i++)
		((volatile u8 *)(uintptr_t)IMG)[i] = i < size ? loop_image[i] : 0;
	for (u32 j = 0; j < 4096 / 8; j++)
		((volatile u64 *)rp)[j] = 0;
	rp->entry_pc = GUEST_LOAD;
	rp->entry_pstate = 0x3C5;
	x = host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid, GUEST_LOAD, size, 0, 0);
	x |= host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid, IMG >> 12, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid, 0, RUN_PAGE, 0, 0);
	x |= host_hvc(KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, 0, 0);
	check(vmid > 0 && x == 0, "the counting guest's VM is built and verified");
	return vmid > 0 && x == 0 ? vmid : -1;
}

static void guest_not_counted(void)
{
	struct kcore_run_page *rp = (struct kcore_run_page *)(uintptr_t)RUN_PAGE;
	u64 e0, e1, c0, c1, en, ie;
	long vmid = vm_boot(rp), r = 0;

	if (vmid < 0)
		return;
	counters_on(0); /* EL0 and EL1: where the guest runs */
	msr(pmintenset_el1, CNT0);
	en = mrs(pmcntenset_el0);
	ie = mrs(pmintenset_el1);
	e0 = mrs(pmevcntr0_el0);
	c0 = mrs(pmccntr_el0);
	for (u32 i = 0; i < 3 && r >= 0; i++)
		r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0, 0);
	e1 = mrs(pmevcntr0_el0);
	c1 = mrs(pmccntr_el0);
	check(r == KCORE_EXIT_HVC && rp->exit_hvc_args[0] == HVC_LOOP,
	      "three runs of the guest, each 100,000 instructions to its hypercall");
	hprintf("host: 3 guest runs: %lu instructions, %lu cycles counted by the host\n", e1 - e0,
		c1 - c0);
	check(e1 - e0 < 1000, "the host's event counter does not count the guest");
	check(c1 - c0 < 1000, "the host's cycle counter does not count the guest");
	check(mrs(pmcntenset_el0) == en && mrs(pmintenset_el1) == ie,
	      "the host's counter and interrupt enables are back after the runs");
	msr(pmintenclr_el1, ~0UL);
	msr(pmcntenclr_el0, ~0UL);
	check(host_hvc(KCORE_HC_POWEROFF_VM, (u64)vmid, 0, 0, 0, 0) == 0, "the VM is powered off");
}

void scenario(void)
{
	u64 dfr0 = mrs(id_aa64dfr0_el1);

	hprintf("host: PMU version %lu (ID_AA64DFR0_EL1.PMUVer), %lu event counters\n",
		(dfr0 >> 8) & 0xF, (mrs(pmcr_el0) >> 11) & 0x1F);
	el2_not_counted();
	guest_not_counted();
	check(host_hvc(KCORE_HC_NOP, 0, 0, 0, 0, 0) == 0, "KCore still answers");
}
#endif
