/* The gate between VCPU_RUN and a reset's scrub (arch/arm64/reset.c, D64),
 * inline: it is on every VCPU_RUN's path (a call each way cost the round
 * trip 28 instructions; inline it is a store-release, a load-acquire and a
 * store-release, which AArch64 orders as Dekker needs: STLR then LDAR). */
#ifndef KCORE_ARM64_RESET_H
#define KCORE_ARM64_RESET_H

#include "kcore/layout.h"
#include "kcore/types.h"

extern u32 reset_in_progress;             /* set once, never cleared (till the reset) */
extern u32 reset_in_guest[KCORE_MAX_CPUS]; /* 1 while this CPU is inside VCPU_RUN */

/* This CPU says it enters, then looks at the flag; the scrubbing CPU sets
 * the flag, then looks at every CPU's word (both sequentially consistent):
 * one of the two sees the other. False: a reset is under way, do not enter. */
static inline bool reset_guest_enter(u32 cpu)
{
	__atomic_store_n(&reset_in_guest[cpu], 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&reset_in_progress, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&reset_in_guest[cpu], 0, __ATOMIC_SEQ_CST);
		return false;
	}
	return true;
}

static inline void reset_guest_exit(u32 cpu)
{
	__atomic_store_n(&reset_in_guest[cpu], 0, __ATOMIC_RELEASE);
}

#endif
