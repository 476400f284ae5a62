/* Ticket locks, one per shared object, with IDs that mirror the spec's hlock:
 * CORE_ID, S2PAGE_ID, SPT_ID, SMMU_ID, NPT_ID + principal, INFO_ID + vmid.
 *
 * Order (a CPU only takes a lock whose id is above every lock it holds):
 *   CORE < SMMU < INFO(vmid) < SPT < S2PAGE < NPT(principal)
 * INFO locks of two VMs, or two NPT locks, are taken in increasing id.
 * SMMU comes before INFO because the SMMU calls learn the vmid from the
 * context table, which SMMU protects.
 * With KCORE_DEBUG set, lock_acquire checks the order and
 * lock_assert_held(id) checks that this CPU holds `id`; both halt if not. */
#ifndef KCORE_LOCK_H
#define KCORE_LOCK_H

#include "kcore/layout.h"
#include "kcore/types.h"

enum lock_id {
	CORE_ID = 0,
	SMMU_ID = 1,
	INFO_ID = 2,                           /* + vmid (0..COREVISOR) */
	SPT_ID = INFO_ID + KCORE_MAX_VMID + 1,
	S2PAGE_ID,
	NPT_ID,                                /* + principal (0..COREVISOR) */
	NR_LOCKS = NPT_ID + KCORE_MAX_VMID + 1
};

struct ticket_lock {
	u32 next;
	u32 serving;
	u32 holder; /* cpu + 1, 0 when free (KCORE_DEBUG only) */
};

struct kcore_locks {
	struct ticket_lock l[NR_LOCKS];
};

#ifndef KCORE_DEBUG
#define KCORE_DEBUG 0
#endif

void lock_acquire(u32 id);
void lock_release(u32 id);
bool lock_held(u32 id); /* by this CPU; KCORE_DEBUG builds only (false otherwise) */

static inline void lock_assert_held(u32 id)
{
	if (KCORE_DEBUG && !lock_held(id))
		__builtin_trap();
}

#endif
