/* VM exit: what KCore does when a running vCPU traps to EL2 (spec
 * vm_exit_pre_process, vm_exit_dispatcher_spec_h, prep_exit_vm and its
 * prep_* helpers). Either KCore handles the exit and the vCPU resumes, or
 * the host is told exactly what it needs to emulate it (struct
 * kcore_exit_info) and nothing else of the guest's registers; the vCPU is
 * then READY again. A guest can never halt KCore (D17, D26).
 *
 * Needs INFO(vmid) and S2PAGE; a grant or revoke (vm_exit_is_share) also
 * NPT(HOSTVISOR) and NPT(vmid). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "kcore/vcpu.h"

#include "vcpu_locks.h"

static u64 exit_reg(const struct shadow_ctxt *c, u32 index)
{
	return ctxt_get(c, index);
}

static u32 exit_esr_class(const struct shadow_ctxt *c)
{
	return (u32)((exit_reg(c, ESR_EL2) & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT);
}

/* spec: exit_populate_fault_specx, and D18: the guest's pc and pstate at
 * the exit are saved too. */
static void exit_save_fault(struct shadow_ctxt *c, const struct kcore_exit_hw *hw)
{
	ctxt_set(c, ESR_EL2, hw->esr);
	ctxt_set(c, EC, hw->ec);
	ctxt_set(c, FAR_EL2, hw->far);
	ctxt_set(c, HPFAR_EL2, hw->hpfar);
	ctxt_set(c, PC, hw->pc);
	ctxt_set(c, PSTATE, hw->pstate);
}

/* spec: vm_to_core_specx */
static void vm_to_core_specx(struct shadow_ctxt *c, const struct kcore_exit_hw *hw)
{
	for (u32 i = X0; i <= X30; i++)
		ctxt_set(c, i, hw->regs[i]);
}

/* The guest's grant / revoke hypercalls (D25): x2 = address, x3 = size;
 * x0 := 0, or -KE_RANGE for a range outside the IPA space (nothing done). */
static void exit_guest_share(vmid_t vmid, struct shadow_ctxt *c, bool grant)
{
	u64 addr = exit_reg(c, X0 + 2), size = exit_reg(c, X0 + 3);
	long ret = grant ? grant_stage2_range(vmid, addr, size)
			 : revoke_stage2_range(vmid, addr, size);

	ctxt_set(c, X0, (u64)ret);
}

/* D71: a guest's MSR to one of the GICv3 SGI registers (ICC_SGI1R_EL1,
 * ICC_ASGI1R_EL1, ICC_SGI0R_EL1: op0 3, op1 0, CRn 12, CRm 11, op2 5..7),
 * from the syndrome of a trapped AArch64 system-register access (EC 0x18):
 * the register's encoding and the direction, Rt left out. They trap because
 * a guest runs with HCR_EL2.IMO/FMO (arch/arm64/sysreg.h): the SGI is
 * another vCPU's interrupt, which only the host's vGIC can deliver. A read
 * of these write-only registers is not architected (UNDEFINED at EL1, it
 * never traps): one that reached here would be skipped as D4 says. */
static bool exit_is_sgi_write(u64 esr)
{
	u64 reg = esr & ESR_SYS64_REG_MASK;

	return reg == ESR_SYS64_ICC_SGI1R_EL1 || reg == ESR_SYS64_ICC_ASGI1R_EL1 ||
	       reg == ESR_SYS64_ICC_SGI0R_EL1;
}

/* spec: vm_exit_dispatcher_spec_h (+ D4, D17, D25, D71). Returns 0 when KCore
 * handled the trap (resume), 1 when it goes to the host (prep_exit_vm). */
static long vm_exit_dispatcher_spec_h(vmid_t vmid, struct shadow_ctxt *c)
{
	switch (exit_esr_class(c)) {
	case ESR_ELx_EC_SYS64:
		/* D4: skip the trapped system-register access; D71: the SGI
		 * register writes are skipped too, and then go to the host. */
		ctxt_set(c, PC, exit_reg(c, PC) + 4);
		return exit_is_sgi_write(exit_reg(c, ESR_EL2)) ? 1 : 0;
	case ESR_ELx_EC_HVC64:
		if (exit_reg(c, X0) == HVC_KVM_SET_DESC_PFN) {
			exit_guest_share(vmid, c, true);
			return 0;
		}
		if (exit_reg(c, X0) == HVC_KVM_UNSET_DESC_PFN) {
			exit_guest_share(vmid, c, false);
			return 0;
		}
		return 1;
	case ESR_ELx_EC_WFx:
	case ESR_ELx_EC_IABT_LOW:
	case ESR_ELx_EC_DABT_LOW:
		return 1; /* D17 */
	default:
		/* D17: a class KCore does not emulate is the guest's own
		 * business: it gets an undefined-instruction exception. */
		update_exception_gp_regs_specx(c);
		return 0;
	}
}

/* spec: prep_wfx_specx */
static void prep_wfx_specx(struct shadow_ctxt *c, struct kcore_exit_info *out)
{
	ctxt_set(c, DIRTY, DIRTY_PC_FLAG);
	out->reason = KCORE_EXIT_WFX;
}

/* D56: an MMIO access KCore can describe to the host from the syndrome
 * alone: a data abort with a valid instruction syndrome (ISV: one register,
 * no writeback, no pair, no SIMD) that is not a stage-1 table walk (S1PTW:
 * the guest's own page tables in MMIO space, no register involved). Anything
 * else would make the host read or set a register the syndrome does not
 * name (the field SRT is then meaningless, often x0). */
static bool abort_has_syndrome(u64 esr)
{
	return ((esr & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT) == ESR_ELx_EC_DABT_LOW &&
	       (esr & ESR_ELx_ISV) != 0 && (esr & ESR_ELx_S1PTW) == 0;
}

/* spec: prep_abort_specx (+ D3, D19: the ESR is the one saved at the exit,
 * so the host cannot choose Rd; D56: no syndrome, no register) */
static void prep_abort_specx(struct shadow_ctxt *c, struct kcore_exit_info *out)
{
	u64 esr = exit_reg(c, ESR_EL2);
	u32 rd = (u32)((esr >> 16) & 31);
	u64 fault_ipa = (exit_reg(c, HPFAR_EL2) >> 4) << 12;

	if (fault_ipa >= MAX_MMIO_ADDR) {
		/* Unmapped RAM: the host answers with a mapping request on the
		 * next run; the faulting access is retried (dirty unchanged). */
		out->reason = KCORE_EXIT_S2FAULT;
		out->fault_ipa = fault_ipa;
		return;
	}
	out->fault_ipa = fault_ipa | (exit_reg(c, FAR_EL2) & 0xFFF);
	if (!abort_has_syndrome(esr)) {
		/* D56: the host learns where, not what: no register value, no
		 * register to set (dirty stays 0, the access is retried unless
		 * the host asks KCore to inject an abort, KCORE_RUN_INJECT). */
		out->reason = KCORE_EXIT_MMIO_NISV;
		return;
	}
	out->reason = KCORE_EXIT_MMIO;
	out->rd = rd;
	if (esr & ESR_ELx_WNR) {
		out->mmio_data = rd == 31 ? 0 : exit_reg(c, X0 + rd); /* x31: xzr */
		ctxt_set(c, DIRTY, DIRTY_PC_FLAG);
	} else {
		/* D3: the host sets x[rd], and the load is skipped. */
		ctxt_set(c, DIRTY, (1UL << rd) | DIRTY_PC_FLAG);
	}
}

/* spec: prep_hvc_spec_h (+ D23: the host sees x0..x3; D70: and may set
 * x0..x3, the SMCCC 1.1 result registers, and nothing else) */
static void prep_hvc_spec_h(vmid_t vmid, struct shadow_ctxt *c, struct kcore_exit_info *out)
{
	if ((exit_reg(c, X0) & INVALID) == PSCI_0_2_FN_SYSTEM_OFF) {
		local_set_vm_poweroff(vmid);
		out->reason = KCORE_EXIT_POWEROFF;
		return;
	}
	out->reason = KCORE_EXIT_HVC;
	for (u32 i = 0; i < 4; i++)
		out->hvc_args[i] = exit_reg(c, X0 + i);
	ctxt_set(c, DIRTY, VCPU_X0_X3);
}

/* D71: an SGI register write (the dispatcher moved the PC past the MSR):
 * the host learns the value written, x[Rt] (0 for Rt 31, xzr), and the
 * syndrome (which register); it may set no register. */
static void prep_sysreg(struct shadow_ctxt *c, struct kcore_exit_info *out)
{
	u32 rt = (u32)((exit_reg(c, ESR_EL2) >> ESR_SYS64_RT_SHIFT) & 31);

	out->reason = KCORE_EXIT_SYSREG;
	out->mmio_data = rt == 31 ? 0 : exit_reg(c, X0 + rt);
	ctxt_set(c, DIRTY, 0);
}

/* spec: prep_exit_vm (+ D26, D71). The world switch saves the system and FP
 * registers; here: what the host is told, and the vCPU becomes READY. */
static void prep_exit_vm(vmid_t vmid, u32 vcpuid, struct shadow_ctxt *c,
			 struct kcore_exit_info *out)
{
	u64 ec = exit_reg(c, EC);

	if (ec == ARM_EXCEPTION_TRAP) {
		/* The trap's syndrome, from the hardware (e.g. the access
		 * size of an MMIO access). Not for an interrupt or SError
		 * exit: ESR_EL2 then holds an older, unrelated syndrome. */
		out->esr = exit_reg(c, ESR_EL2);
		switch (exit_esr_class(c)) {
		case ESR_ELx_EC_WFx:
			prep_wfx_specx(c, out);
			break;
		case ESR_ELx_EC_HVC64:
			prep_hvc_spec_h(vmid, c, out);
			break;
		case ESR_ELx_EC_IABT_LOW:
		case ESR_ELx_EC_DABT_LOW:
			prep_abort_specx(c, out);
			break;
		case ESR_ELx_EC_SYS64: /* the SGI register writes only (D71) */
			prep_sysreg(c, out);
			break;
		default:
			arch_halt("prep_exit_vm: class the dispatcher keeps", vmid,
				  exit_reg(c, ESR_EL2));
		}
	} else if (ec == ARM_EXCEPTION_INTERRUPT) {
		out->reason = KCORE_EXIT_IRQ;
	} else {
		out->reason = KCORE_EXIT_SERROR; /* D26 */
	}
	if (local_set_vcpu_inactive(vmid, vcpuid) != 0)
		arch_halt("prep_exit_vm: vCPU not ACTIVE", vmid, vcpuid);
}

static void exit_info_clear(struct kcore_exit_info *out)
{
	out->reason = KCORE_EXIT_NONE;
	out->rd = 0;
	out->esr = 0;
	out->fault_ipa = 0;
	out->mmio_data = 0;
	for (u32 i = 0; i < 4; i++)
		out->hvc_args[i] = 0;
}

/* vm_exit_pre_process once x0..x30 are in the shadow context. */
static long vm_exit_common(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
			   struct kcore_exit_info *out, bool gprs_saved)
{
	struct shadow_ctxt *c;

	exit_info_clear(out);
	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	vcpu_locks_assert_held(vmid);
	if (kc.vminfo[vmid].vcpu_state[vcpuid] != ACTIVE)
		return -KE_STATE;
	/* R5: the world switch only produces these three. */
	if (hw->ec != ARM_EXCEPTION_TRAP && hw->ec != ARM_EXCEPTION_INTERRUPT &&
	    hw->ec != ARM_EXCEPTION_EL1_SERROR)
		arch_halt("vm exit: unknown exit code", vmid, hw->ec);
	c = &kc.shadow[vmid][vcpuid];
	if (!gprs_saved)
		vm_to_core_specx(c, hw);
	exit_save_fault(c, hw);
	if (hw->ec == ARM_EXCEPTION_TRAP && vm_exit_dispatcher_spec_h(vmid, c) == 0)
		return 0;
	prep_exit_vm(vmid, vcpuid, c, out);
	return 1;
}

/* spec: vm_exit_pre_process (+ D17, D18, D26) */
long vm_exit_process(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
		     struct kcore_exit_info *out)
{
	return vm_exit_common(vmid, vcpuid, hw, out, false);
}

/* The same when the world switch saved the guest's x0..x30 straight into
 * the shadow context (its vm_to_core_specx); hw->regs is not read. */
long vm_exit_process_in_place(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
			      struct kcore_exit_info *out)
{
	return vm_exit_common(vmid, vcpuid, hw, out, true);
}
