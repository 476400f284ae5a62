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

/* The EL2 world switch's variants (arch/arm64/vcpu_switch.c), whose run
 * page is read and written under the run's and the exit's own locks
 * (INFO(vmid), S2PAGE): fetch copies the host's run input, the registers in
 * `regs` (bit i: regs[i]) and the other fields, each read once, or refuses
 * (< 0, nothing changed); store writes the exit record. */
typedef long (*kcore_run_fetch_fn)(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in);
typedef void (*kcore_exit_store_fn)(vmid_t vmid, u32 vcpuid, const struct kcore_exit_info *out);
long kcore_vcpu_run_fetch(vmid_t vmid, u32 vcpuid, kcore_run_fetch_fn fetch);
/* hw->regs unused: the guest's x0..x30 are already in its shadow context. */
long kcore_vm_exit_store(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
			 struct kcore_exit_info *out, kcore_exit_store_fn store);
/* A guest grant (revoke false) or revoke HVC taken without a VM exit (D37):
 * returns the guest's x0. */
long kcore_guest_share(vmid_t vmid, bool revoke, u64 addr, u64 size);
/* D41, D52: the per-boot salt of the export keys, given by the platform
 * once before the host runs (the DTB's /chosen/rng-seed). len bytes (the
 * first 32 kept); fewer than 16 (or none: seed NULL) means no salt, and
 * every SAVE_* hypercall is then refused with -KE_NOTSUPP. */
void kcore_set_boot_salt(const u8 *seed, u32 len);
/* D60: host RAM a device KCore mediates will write (a GIC table): slot's
 * extent becomes [base, base + size) (size 0: none), and the old one is
 * released. -KE_RANGE (no such slot; the extent wraps or leaves the
 * address space), -KE_OWNER (a page of it is not the host's RAM), -KE_FULL
 * (more than KCORE_PIN_MAX_PAGES pages pinned at once); a refusal changes
 * nothing, the old extent stays pinned. */
long kcore_host_pin(u32 slot, u64 base, u64 size);

#endif
