/* The host's performance monitors under KCore (arch/arm64/pmu.c, D57). */
#ifndef KCORE_ARM64_PMU_H
#define KCORE_ARM64_PMU_H

#include "kcore/types.h"

#include "sysreg.h"

/* Once per CPU, before the host runs: chooses how EL2 is kept from being
 * counted on this PMU version, makes the host's current PMU values safe,
 * and returns the MDCR_EL2 bits of the host (HPMN and the PMU's). */
u64 pmu_host_mdcr_bits(void);
/* A host MRS/MSR of a PMU register that trapped (EC 0x18; regs: x0..x30 of
 * the host): done here, a value that would count EL2 made safe first.
 * false: not one KCore takes (the caller injects an undefined instruction). */
bool pmu_host_sysreg(u64 esr, u64 *regs);
/* Around one VCPU_RUN: every host counter and overflow interrupt stopped
 * while the guest runs (saved[0..1]: the host's PMCNTENSET, PMINTENSET),
 * then as the host had them. The bench image keeps counter 0 running: its
 * guest reads KCore's instruction count there (docs/bench.md). */
#ifndef KCORE_BENCH_PMU
#define PMU_GUEST_STOP (~0UL)
#else
#define PMU_GUEST_STOP (~1UL)
#endif
extern bool pmu_present;

static inline void pmu_guest_enter(u64 saved[2])
{
	if (!pmu_present)
		return;
	saved[0] = read_sysreg(pmcntenset_el0);
	saved[1] = read_sysreg(pmintenset_el1);
	write_sysreg(PMU_GUEST_STOP, pmcntenclr_el0);
	write_sysreg(PMU_GUEST_STOP, pmintenclr_el1);
	/* No ISB: the ERET into the guest synchronises the writes, and
	 * KCore's own instructions until then are not counted (pmu.c). */
}

static inline void pmu_guest_exit(const u64 saved[2])
{
	if (!pmu_present)
		return;
	write_sysreg(saved[1] & PMU_GUEST_STOP, pmintenset_el1);
	write_sysreg(saved[0] & PMU_GUEST_STOP, pmcntenset_el0);
}

#endif
