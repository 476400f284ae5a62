/* Ticket locks (include/kcore/lock.h).
 *
 * With KCORE_DEBUG each lock records its holder (cpu + 1): lock_held()
 * reads it, and the order check finds the locks this CPU holds by scanning
 * the holders. Keeping no other per-CPU record means kcore_init's zeroing
 * of kc.locks resets everything (the host tests re-initialise after a halt
 * that left locks taken). Without KCORE_DEBUG (the EL2 build) nothing reads
 * the holder, so it is not written, and acquire and release are the bare
 * ticket lock, inline (kcore/lock.h): the holder bookkeeping (arch_cpu_id
 * and a store on every acquire, a store on every release) and the calls
 * were most of a VM exit's lock cost (docs/bench.md). */
#include "kcore/arch.h"
#include "kcore/lock.h"
#include "kcore/state.h"

static u32 lock_me(void)
{
	return arch_cpu_id() + 1;
}

#if KCORE_DEBUG
static struct ticket_lock *lock_get(u32 id)
{
	if (id >= NR_LOCKS)
		arch_halt("lock: bad id", id, 0);
	return &kc.locks.l[id];
}

/* The order rule: the new id must be above every id this CPU holds (which
 * also catches taking a lock twice). */
static void lock_check_order(u32 id)
{
	u32 me = lock_me();

	for (u32 i = id; i < NR_LOCKS; i++)
		if (__atomic_load_n(&kc.locks.l[i].holder, __ATOMIC_RELAXED) == me)
			arch_halt("lock: order violated", id, i);
}

void lock_acquire(u32 id)
{
	struct ticket_lock *l = lock_get(id);
	u32 ticket;

	lock_check_order(id);
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
	__atomic_store_n(&l->holder, lock_me(), __ATOMIC_RELAXED);
}

void lock_release(u32 id)
{
	struct ticket_lock *l = lock_get(id);
	u32 serving;

	if (!lock_held(id))
		arch_halt("lock: release of a lock not held", id, 0);
	/* Cleared before the next ticket is served, so no other CPU can ever
	 * see this CPU's id in a lock it does not hold. */
	__atomic_store_n(&l->holder, 0, __ATOMIC_RELAXED);
	serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	__atomic_store_n(&l->serving, serving + 1, __ATOMIC_RELEASE);
}
#else
struct ticket_lock *const kcore_lock_table = kc.locks.l;

/* The contended case of the inline lock_acquire (kcore/lock.h). */
void lock_wait(struct ticket_lock *l, u32 ticket)
{
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}
#endif

bool lock_held(u32 id)
{
	if (id >= NR_LOCKS)
		return false;
	return __atomic_load_n(&kc.locks.l[id].holder, __ATOMIC_RELAXED) == lock_me();
}
