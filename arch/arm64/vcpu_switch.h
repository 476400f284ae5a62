/* arch/arm64/vcpu_switch.c: VCPU_RUN and REGISTER_RUN_PAGE at EL2. */
#ifndef KCORE_ARM64_VCPU_SWITCH_H
#define KCORE_ARM64_VCPU_SWITCH_H

#include "kcore/types.h"

long arch_register_run_page(u64 vmid, u64 vcpuid, u64 pa);
long arch_vcpu_run(u64 vmid, u64 vcpuid);

#endif
