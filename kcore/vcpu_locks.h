/* Private to kcore/vcpu.c and kcore/exit.c: the locks a vCPU run and a VM
 * exit need, which their caller takes (hvc_vcpu_locks in kcore/hvc.c). */
#ifndef KCORE_VCPU_LOCKS_H
#define KCORE_VCPU_LOCKS_H

#include "kcore/constants.h"
#include "kcore/lock.h"
#include "kcore/types.h"

/* INFO(vmid) and S2PAGE are held (KCORE_DEBUG). NPT(HOSTVISOR) and
 * NPT(vmid) are taken only by a run with a mapping request and by a guest
 * grant or revoke; the functions that touch the tables assert them. */
static inline void vcpu_locks_assert_held(vmid_t vmid)
{
	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(S2PAGE_ID);
}

#endif
