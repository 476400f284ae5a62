/* Each CPU's power state as KCore tracks it for the host's PSCI CPU_ON and
 * CPU_OFF (arch/arm64/smp.c), apart from the firmware calls so that the
 * host tests can race it (tests/unit/test_cpu_power.c, D55a):
 *
 *   OFF --CPU_ON claim--> PENDING --the CPU starts--> ON
 *   ON --CPU_OFF--> OFFING (off, or about to be: the firmware has the call)
 *   OFFING --CPU_ON claim--> PENDING
 *   PENDING --the firmware refused the CPU_ON--> what it was (OFF, OFFING)
 *   OFFING --the firmware refused the CPU_OFF--> ON, once no claim is pending
 *
 * Only a claim moves another CPU's state, by compare-and-swap, so two CPUs
 * racing to start the same CPU cannot both write its entry point (the loser
 * gets ON_PENDING), and a claim that lands while its target is inside a
 * CPU_OFF the firmware then refuses is never overwritten: the refused CPU
 * waits for the claim to resolve (the claimer's firmware call answers
 * ALREADY_ON at once: the target is on) and only then is ON again. */
#ifndef KCORE_ARM64_CPU_POWER_H
#define KCORE_ARM64_CPU_POWER_H

#include "kcore/types.h"

enum cpu_power {
	CPU_POWER_OFF = 0,
	CPU_POWER_PENDING,
	CPU_POWER_ON,
	CPU_POWER_OFFING,
};

#define PSCI_RET_ALREADY_ON ((u64)-4)
#define PSCI_RET_ON_PENDING ((u64)-5)

static inline u32 cpu_power_get(const u32 *power)
{
	return __atomic_load_n(power, __ATOMIC_ACQUIRE);
}

/* CPU_ON: 0 and *prev (OFF or OFFING) if this caller now holds the CPU
 * (PENDING: it alone writes the entry point and makes the firmware call),
 * else the PSCI answer. */
static inline u64 cpu_power_claim(u32 *power, u32 *prev)
{
	u32 old = cpu_power_get(power);

	do { /* a failed swap reloads old: another CPU moved the state */
		if (old == CPU_POWER_PENDING)
			return PSCI_RET_ON_PENDING;
		if (old == CPU_POWER_ON)
			return PSCI_RET_ALREADY_ON;
	} while (!__atomic_compare_exchange_n(power, &old, CPU_POWER_PENDING, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	*prev = old;
	return 0;
}

/* The claimer's firmware call failed: the state it took over goes back. */
static inline void cpu_power_claim_refused(u32 *power, u32 prev)
{
	__atomic_store_n(power, prev, __ATOMIC_RELEASE);
}

/* The CPU itself, started: PENDING -> ON. */
static inline void cpu_power_started(u32 *power)
{
	__atomic_store_n(power, CPU_POWER_ON, __ATOMIC_RELEASE);
}

/* The CPU itself, before its CPU_OFF goes to the firmware: ON is its own
 * (no claim takes an ON CPU), so a store. */
static inline void cpu_power_off_begin(u32 *power)
{
	__atomic_store_n(power, CPU_POWER_OFFING, __ATOMIC_RELEASE);
}

/* The CPU itself, its CPU_OFF refused: OFFING -> ON, waiting while a claim
 * that landed in between is pending (it resolves back to OFFING). */
static inline void cpu_power_off_refused(u32 *power)
{
	u32 offing = CPU_POWER_OFFING;

	while (!__atomic_compare_exchange_n(power, &offing, CPU_POWER_ON, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		offing = CPU_POWER_OFFING;
}

#endif
