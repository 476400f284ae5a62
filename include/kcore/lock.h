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

bool lock_held(u32 id); /* by this CPU; KCORE_DEBUG builds only (false otherwise) */

#if KCORE_DEBUG
void lock_acquire(u32 id); /* with the order check and the holder record */
void lock_release(u32 id);
#else
/* The EL2 build: the bare ticket lock, inline (a call and a bounds check
 * were half of a lock pair's instructions on the world switch's path,
 * docs/bench.md). kcore_lock_table is kc.locks.l (kcore/lock.c). */
extern struct ticket_lock *const kcore_lock_table;
void lock_wait(struct ticket_lock *l, u32 ticket);

static inline void lock_acquire(u32 id)
{
	struct ticket_lock *l = &kcore_lock_table[id];
	u32 ticket;

	if (id >= NR_LOCKS)
		__builtin_trap();
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		lock_wait(l, ticket);
}

static inline void lock_release(u32 id)
{
	struct ticket_lock *l = &kcore_lock_table[id];

	__atomic_store_n(&l->serving, __atomic_load_n(&l->serving, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}
#endif

static inline void lock_assert_held(u32 id)
{
	if (KCORE_DEBUG && !lock_held(id))
		__builtin_trap();
}

#endif
