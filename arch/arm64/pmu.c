/* The host's performance monitors (D57): the host keeps its PMU, but it
 * can never count what EL2 or a guest does.
 *
 * EL2 is never counted. How depends on the PMU version (ID_AA64DFR0_EL1
 * .PMUVer), because the architecture grew the controls late:
 *  - PMUv3p5 and later: MDCR_EL2.HPMD prohibits event counting at EL2 and
 *    HCCD the cycle counter; nothing is trapped;
 *  - PMUv3p1 .. v3p4: HPMD for the event counters, but the cycle counter
 *    stops at EL2 only if PMCR_EL0.DP is 1, which is the host's to set: the
 *    host's PMCR_EL0 accesses trap (TPMCR) and DP is forced on;
 *  - PMUv3 (v8.0, e.g. the Pi 4's Cortex-A72): no HPMD at all; the host
 *    counts EL2 by setting the NSH filter bit of an event type register.
 *    Every host PMU access traps (TPM) and is done here, with NSH cleared
 *    in every event type and cycle filter value written.
 * A guest is never counted: pmu_guest_enter stops every host counter and
 * overflow interrupt before a VCPU_RUN enters the guest (so neither a count
 * nor an overflow interrupt can time or single-step it), pmu_guest_exit
 * puts them back (pmu.h: inline, on the path of every exit to the host).
 * make bench's image (KCORE_BENCH_PMU) counts KCore's own instructions:
 * none of this, and counter 0 keeps running for its guest (docs/bench.md). */
#include "kcore/layout.h"
#include "kcore/types.h"

#include "pmu.h"
#include "sysreg.h"

#define PMUVER_NONE 0UL
#define PMUVER_V3 1UL
#define PMUVER_V3P1 4UL
#define PMUVER_V3P5 6UL
#define PMUVER_IMPDEF 0xFUL

#define PMCR_DP (1UL << 5)
#define PMEVTYPER_NSH (1UL << 27) /* count at EL2 (the host must not set it) */

#define MDCR_HPMD (1UL << 17)
#define MDCR_HCCD (1UL << 23)

enum pmu_mode {
	PMU_ABSENT,   /* no architected PMU: nothing to do */
	PMU_PROHIBIT, /* v3p5+: HPMD and HCCD */
	PMU_TRAP_PMCR, /* v3p1..v3p4: HPMD, PMCR_EL0.DP forced */
	PMU_TRAP_ALL, /* v3: every access done here, NSH cleared */
};

static enum pmu_mode pmu_mode;

bool pmu_present;

u64 pmu_host_mdcr_bits(void)
{
	u64 ver = (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xF;

	if (ver == PMUVER_NONE || ver == PMUVER_IMPDEF)
		pmu_mode = PMU_ABSENT;
	else if (ver >= PMUVER_V3P5)
		pmu_mode = PMU_PROHIBIT;
	else if (ver >= PMUVER_V3P1)
		pmu_mode = PMU_TRAP_PMCR;
	else
		pmu_mode = PMU_TRAP_ALL;
	pmu_present = pmu_mode != PMU_ABSENT;
	if (pmu_mode == PMU_ABSENT)
		return 0;
#ifdef KCORE_BENCH_PMU
	return (read_sysreg(pmcr_el0) >> 11) & 0x1F; /* HPMN = N, nothing else */
#else
	u64 v = (read_sysreg(pmcr_el0) >> 11) & 0x1F; /* HPMN = N: every counter the host's */

	if (pmu_mode == PMU_PROHIBIT)
		return v | MDCR_HPMD | MDCR_HCCD;
	/* The values the host left are its own: they may already count EL2
	 * (NSH) or leave the cycle counter running there (DP clear). */
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_DP, pmcr_el0);
	if (pmu_mode == PMU_TRAP_PMCR)
		return v | MDCR_HPMD | MDCR_TPMCR;
	for (u64 n = 0; n < (v & 0x1F); n++) {
		write_sysreg(n, pmselr_el0);
		isb();
		write_sysreg(read_sysreg(pmxevtyper_el0) & ~PMEVTYPER_NSH, pmxevtyper_el0);
	}
	write_sysreg(read_sysreg(pmccfiltr_el0) & ~PMEVTYPER_NSH, pmccfiltr_el0);
	return v | MDCR_TPM;
#endif
}

/* ---- the host's trapped PMU accesses (PMU_TRAP_PMCR, PMU_TRAP_ALL) ------ */

/* A system register by its MRS/MSR encoding: op0 op1 CRn CRm op2. */
#define SR(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define SR_PMCR SR(3, 3, 9, 12, 0)
#define SR_PMCNTENSET SR(3, 3, 9, 12, 1)
#define SR_PMCNTENCLR SR(3, 3, 9, 12, 2)
#define SR_PMOVSCLR SR(3, 3, 9, 12, 3)
#define SR_PMSWINC SR(3, 3, 9, 12, 4)
#define SR_PMSELR SR(3, 3, 9, 12, 5)
#define SR_PMCEID0 SR(3, 3, 9, 12, 6)
#define SR_PMCEID1 SR(3, 3, 9, 12, 7)
#define SR_PMCCNTR SR(3, 3, 9, 13, 0)
#define SR_PMXEVTYPER SR(3, 3, 9, 13, 1)
#define SR_PMXEVCNTR SR(3, 3, 9, 13, 2)
#define SR_PMUSERENR SR(3, 3, 9, 14, 0)
#define SR_PMOVSSET SR(3, 3, 9, 14, 3)
#define SR_PMINTENSET SR(3, 0, 9, 14, 1)
#define SR_PMINTENCLR SR(3, 0, 9, 14, 2)
#define SR_PMEVCNTR0 SR(3, 3, 14, 8, 0)  /* .. PMEVCNTR30: CRm 8..11 */
#define SR_PMEVTYPER0 SR(3, 3, 14, 12, 0) /* .. PMEVTYPER30, PMCCFILTR (31) */

/* The encoding of the ISS of a trapped MSR/MRS (EC 0x18). */
static u32 iss_sysreg(u64 esr)
{
	u32 op0 = (u32)(esr >> 20) & 3, op2 = (u32)(esr >> 17) & 7, op1 = (u32)(esr >> 14) & 7;
	u32 crn = (u32)(esr >> 10) & 0xF, crm = (u32)(esr >> 1) & 0xF;

	return SR(op0, op1, crn, crm, op2);
}

/* PMEVCNTR<n> / PMEVTYPER<n> (n 0..30; 31: PMCCFILTR for the types)
 * through PMSELR, which is the host's and put back. */
static u64 pmu_indexed(u64 n, bool type, bool read, u64 v)
{
	u64 sel = read_sysreg(pmselr_el0);

	write_sysreg(n, pmselr_el0);
	isb();
	if (type && read)
		v = read_sysreg(pmxevtyper_el0);
	else if (type)
		write_sysreg(v & ~PMEVTYPER_NSH, pmxevtyper_el0);
	else if (read)
		v = read_sysreg(pmxevcntr_el0);
	else
		write_sysreg(v, pmxevcntr_el0);
	write_sysreg(sel, pmselr_el0);
	return v;
}

static bool pmu_read(u32 sr, u64 *v)
{
	switch (sr) {
	case SR_PMCR: *v = read_sysreg(pmcr_el0); break;
	case SR_PMCNTENSET: case SR_PMCNTENCLR: *v = read_sysreg(pmcntenset_el0); break;
	case SR_PMOVSCLR: case SR_PMOVSSET: *v = read_sysreg(pmovsset_el0); break;
	case SR_PMSELR: *v = read_sysreg(pmselr_el0); break;
	case SR_PMCEID0: *v = read_sysreg(pmceid0_el0); break;
	case SR_PMCEID1: *v = read_sysreg(pmceid1_el0); break;
	case SR_PMCCNTR: *v = read_sysreg(pmccntr_el0); break;
	case SR_PMXEVTYPER: *v = read_sysreg(pmxevtyper_el0); break;
	case SR_PMXEVCNTR: *v = read_sysreg(pmxevcntr_el0); break;
	case SR_PMUSERENR: *v = read_sysreg(pmuserenr_el0); break;
	case SR_PMINTENSET: case SR_PMINTENCLR: *v = read_sysreg(pmintenset_el1); break;
	default:
		if (sr >= SR_PMEVCNTR0 && sr < SR_PMEVCNTR0 + 31)
			*v = pmu_indexed(sr - SR_PMEVCNTR0, false, true, 0);
		else if (sr >= SR_PMEVTYPER0 && sr < SR_PMEVTYPER0 + 32)
			*v = pmu_indexed(sr - SR_PMEVTYPER0, true, true, 0);
		else
			return false;
	}
	return true;
}

static bool pmu_write(u32 sr, u64 v)
{
	switch (sr) {
	case SR_PMCR: write_sysreg(v | PMCR_DP, pmcr_el0); break;
	case SR_PMCNTENSET: write_sysreg(v, pmcntenset_el0); break;
	case SR_PMCNTENCLR: write_sysreg(v, pmcntenclr_el0); break;
	case SR_PMOVSCLR: write_sysreg(v, pmovsclr_el0); break;
	case SR_PMOVSSET: write_sysreg(v, pmovsset_el0); break;
	case SR_PMSWINC: write_sysreg(v, pmswinc_el0); break;
	case SR_PMSELR: write_sysreg(v, pmselr_el0); break;
	case SR_PMCCNTR: write_sysreg(v, pmccntr_el0); break;
	case SR_PMXEVTYPER: write_sysreg(v & ~PMEVTYPER_NSH, pmxevtyper_el0); break;
	case SR_PMXEVCNTR: write_sysreg(v, pmxevcntr_el0); break;
	case SR_PMUSERENR: write_sysreg(v, pmuserenr_el0); break;
	case SR_PMINTENSET: write_sysreg(v, pmintenset_el1); break;
	case SR_PMINTENCLR: write_sysreg(v, pmintenclr_el1); break;
	default:
		if (sr >= SR_PMEVCNTR0 && sr < SR_PMEVCNTR0 + 31)
			(void)pmu_indexed(sr - SR_PMEVCNTR0, false, false, v);
		else if (sr >= SR_PMEVTYPER0 && sr < SR_PMEVTYPER0 + 32)
			(void)pmu_indexed(sr - SR_PMEVTYPER0, true, false, v);
		else
			return false; /* read-only (PMCEID*) or not a PMU register */
	}
	return true;
}

bool pmu_host_sysreg(u64 esr, u64 *regs)
{
	u32 sr = iss_sysreg(esr), rt = (u32)(esr >> 5) & 31;
	bool read = (esr & 1) != 0;
	u64 v = rt == 31 ? 0 : regs[rt];

	if (pmu_mode != PMU_TRAP_ALL && !(pmu_mode == PMU_TRAP_PMCR && sr == SR_PMCR))
		return false;
	if (read) {
		if (!pmu_read(sr, &v))
			return false;
		if (rt != 31)
			regs[rt] = v;
	} else if (!pmu_write(sr, v)) {
		return false;
	}
	isb(); /* the host's next PMU access sees this one done */
	return true;
}
