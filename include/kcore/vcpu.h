/* vCPU run and VM exit: the parts of the spec's host_vcpu_run_handler_spec
 * and vm_exit_handler_spec that are not hardware. The world switch itself
 * (arch/arm64) copies registers between the CPU and the shadow context. */
#ifndef KCORE_VCPU_H
#define KCORE_VCPU_H

#include "kcore/constants.h"
#include "kcore/types.h"

/* What the host wrote in its run page for this run. The hypercall layer
 * copies each field once out of host memory (no double fetch) before any
 * check; these are the spec's doracle/core_doracle values. */
struct kcore_run_input {
	u64 regs[31];     /* x0..x30: taken only for registers KCore marked dirty
			   * (and x0..x3 on a first run, D69) */
	u64 entry_pc;     /* first run: where the vCPU starts (inside an image) */
	u64 entry_pstate; /* first run */
	u64 map_addr;     /* pending stage-2 mapping: IPA, or 0 for none */
	u64 map_pte;      /* its target: phys_page(map_pte) is the page/block */
	u64 map_level;    /* 2 (2 MB block) or 3 (4 KB page) */
	u64 request;      /* KCORE_RUN_INJECT: inject an exception into the vCPU */
};
#define KCORE_RUN_INJECT 1UL
/* x0..x3 as dirty bits (bit i: x_i): the registers the host sets on a
 * vCPU's first run (the boot registers: the arm64 boot protocol's x0 = the
 * DTB's IPA, PSCI CPU_ON's context id; D69) and after a guest HVC it handled
 * (the SMCCC results; D23, D70). */
#define VCPU_X0_X3 0xFUL

/* spec: vcpu_run_process. Checks everything first, then applies it all:
 * on a refusal (negative return) nothing changed. On 0 the vCPU is ACTIVE
 * and its shadow context is what the world switch must load. */
long vcpu_run_process(vmid_t vmid, u32 vcpuid, const struct kcore_run_input *in);

/* The host may attach one stage-2 mapping for the VM to a run (the spec's
 * core_doracle addr/pte/level): present iff PAGE_SIZE <= map_addr < 2^40.
 * The run then needs NPT(HOSTVISOR) and NPT(vmid). */
static inline bool vcpu_map_request_present(const struct kcore_run_input *in)
{
	return in->map_addr >= PAGE_SIZE && in->map_addr < KVM_ADDR_SPACE;
}
/* The run input registers a run of (vmid, vcpuid) reads (bit i: regs[i]);
 * needs INFO(vmid). */
u64 vcpu_run_regs_needed(vmid_t vmid, u32 vcpuid);

/* The vCPU's state at an exit, as the world switch saved it. */
struct kcore_exit_hw {
	u32 ec;       /* ARM_EXCEPTION_INTERRUPT, _EL1_SERROR or _TRAP */
	u64 regs[31]; /* x0..x30 */
	u64 pc;       /* ELR_EL2 */
	u64 pstate;   /* SPSR_EL2 */
	u64 esr;      /* ESR_EL2 */
	u64 far;      /* FAR_EL2 */
	u64 hpfar;    /* HPFAR_EL2 */
};

/* What the host is told about an exit (the exit record of the ABI). Only
 * what the host needs to emulate the exit; never other guest registers. */
enum kcore_exit_reason {
	KCORE_EXIT_NONE = 0,     /* handled in KCore: resume the vCPU */
	KCORE_EXIT_IRQ = 1,      /* physical interrupt */
	KCORE_EXIT_SERROR = 2,   /* SError taken from the guest */
	KCORE_EXIT_WFX = 3,      /* WFI/WFE: the host may schedule */
	KCORE_EXIT_HVC = 4,      /* guest HVC not handled by KCore (PSCI...): args x0..x3 */
	KCORE_EXIT_POWEROFF = 5, /* PSCI SYSTEM_OFF: the VM is now POWEROFF */
	KCORE_EXIT_MMIO = 6,     /* emulated MMIO access at fault_ipa */
	KCORE_EXIT_S2FAULT = 7,  /* guest touched unmapped RAM IPA: send a mapping request */
	KCORE_EXIT_MMIO_NISV = 8, /* MMIO access without a usable syndrome (D56): fault_ipa only */
	KCORE_EXIT_SYSREG = 9,   /* a GICv3 SGI register write (D71): esr, the value in mmio_data */
};
struct kcore_exit_info {
	u32 reason;
	u32 rd;         /* MMIO: the register a read targets or a write takes from */
	u64 esr;        /* ESR_EL2 of the exit (trusted, from the hardware) */
	u64 fault_ipa;  /* aborts: faulting IPA (page) | offset from FAR */
	u64 mmio_data;  /* MMIO write: the value of x[rd]; SYSREG: the value written (D71) */
	u64 hvc_args[4]; /* HVC: x0..x3 */
};

/* spec: vm_exit_pre_process (+ vm_exit_dispatcher_spec_h, prep_exit_vm).
 * Returns 0 to resume the vCPU (KCore handled the exit; *out reason NONE) or
 * 1 to switch to the host with *out filled and the vCPU back to READY. */
long vm_exit_process(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
		     struct kcore_exit_info *out);
/* The same, the guest's x0..x30 being already in the shadow context (the
 * EL2 world switch saves them there); hw->regs is not read. */
long vm_exit_process_in_place(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
			      struct kcore_exit_info *out);
/* Is this exit a guest grant or revoke HVC (it needs S2PAGE and both NPT
 * locks)? */
static inline bool vm_exit_is_share(u32 ec, u64 esr, u64 x0)
{
	return ec == ARM_EXCEPTION_TRAP &&
	       (esr & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT == ESR_ELx_EC_HVC64 &&
	       (x0 == HVC_KVM_SET_DESC_PFN || x0 == HVC_KVM_UNSET_DESC_PFN);
}

#endif
