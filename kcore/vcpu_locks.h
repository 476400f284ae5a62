/* Private to kcore/vcpu.c and kcore/exit.c: the locks a vCPU run and a VM
 * exit need, which their caller takes (hvc_vcpu_locks in kcore/hvc.c). */
#ifndef KCORE_VCPU_LOCKS_H
#define KCORE_VCPU_LOCKS_H

#include "kcore/constants.h"
#include "kcore/lock.h"
#include "kcore/types.h"

/* INFO(vmid), S2PAGE, NPT(HOSTVISOR) and NPT(vmid) are held (KCORE_DEBUG). */
static inline void vcpu_locks_assert_held(vmid_t vmid)
{
	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	lock_assert_held(NPT_ID + vmid);
}

#endif
