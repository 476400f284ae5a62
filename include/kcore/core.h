/* KCore's entry points: each takes the locks it needs (state.h gives the
 * order), calls the spec functions, and releases them. The EL2 trap
 * handlers, the host tests and the fuzzer all enter KCore here. */
#ifndef KCORE_CORE_H
#define KCORE_CORE_H

#include "kcore/types.h"
#include "kcore/vcpu.h"

/* A host hypercall (abi.h), except VCPU_RUN which needs the run page. */
long kcore_host_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
/* A host stage-2 fault at IPA addr. spec: local_map_host */
long kcore_host_stage2_fault(u64 addr);
/* VCPU_RUN once the run input has been copied out of the host's page. */
long kcore_vcpu_run(vmid_t vmid, u32 vcpuid, const struct kcore_run_input *in);
/* A trap from a running vCPU. */
long kcore_vm_exit(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
		   struct kcore_exit_info *out);

#endif
