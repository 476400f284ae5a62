"""HighSpecs, vCPU part: the shadow contexts, vcpu_run_process (the host
asks to run a vCPU) and vm_exit_pre_process (a VM traps to EL2).

A shadow context is one list of NR_CTXT_REGS ints indexed as in ctxt.h
(the spec's CtxtRegs and CtxtStates fields live at their index). The
world-switch halves (register copies to and from the CPU) are hardware and
not modelled; what they carry is the `run` input and the `hw` exit record.
"""

try:
    from .constants import *  # noqa: F401,F403
    from .spec_mem import ModelHalt, is_vm, is_vcpu
except ImportError:
    from constants import *  # noqa: F401,F403
    from spec_mem import ModelHalt, is_vm, is_vcpu

# The indices set_shadow_ctxt_specx / get_shadow_ctxt_specx name: X0 .. ESR_EL2, except
# MDCCINT_EL1 (written: ignored; read: 0). Indices past ESR_EL2 are not named by the spec.
_SPEC_INDEX = frozenset(range(X0, ESR_EL2 + 1)) - {MDCCINT_EL1}


def new_ctxt(vm):
    c = [0] * NR_CTXT_REGS
    if vm:
        c[DIRTY] = INVALID64  # "never run" (deviations.md, "Initial state")
    return c


def set_shadow_ctxt_specx(index, val, ctxt):
    if index in _SPEC_INDEX:
        ctxt[index] = val & MASK64


def get_shadow_ctxt_specx(index, ctxt):
    return ctxt[index] if index in _SPEC_INDEX else 0


def reg_desc(i):
    # deviations.md: SCTLR_EL1_RESET for SCTLR_EL1, 0 for the others.
    return SCTLR_EL1_RESET if i == SCTLR_EL1 else 0


def exception_vector(pstate, vbar):
    # D20: the synchronous vector for the old mode (pstate & 0x1F, i.e. with the AArch32
    # bit): VBAR_EL1 + 0x000 from EL1t, + 0x200 from EL1h, + 0x400 from EL0t, + 0x600 for
    # anything else (AArch32 below EL1), as Linux KVM picks it.
    mode = pstate & (PSR_MODE_MASK | PSR_MODE32_BIT)
    if mode == PSR_MODE_EL1t:
        off = 0x000
    elif mode == PSR_MODE_EL1h:
        off = 0x200
    elif mode == PSR_MODE_EL0t:
        off = 0x400
    else:
        off = 0x600
    return (vbar + off) & MASK64


def pstate_ok(pstate):
    # D21: an AArch64 EL0t/EL1t/EL1h state with only D, A, I, F besides.
    return (pstate & ~0x3CF) == 0 and (pstate & PSR_MODE_MASK) in (
        PSR_MODE_EL0t, PSR_MODE_EL1t, PSR_MODE_EL1h)


def reset_sys_regs_specx(vcpuid, ctxt, actlr):
    # reset_sys_regs_loopx (SHADOW_SYS_REGS_SIZE) SYSREGS_START; `dorc` gives ACTLR (hardware).
    i = SYSREGS_START
    for _ in range(SHADOW_SYS_REGS_SIZE):
        if i == MPIDR_EL1:
            mpidr = ((vcpuid & 15) + ((vcpuid // 16) & 255) * 256
                     + ((vcpuid // 4096) & 255) * 65536)
            set_shadow_ctxt_specx(i, mpidr + 2147483648, ctxt)
        elif i == ACTLR_EL1:
            set_shadow_ctxt_specx(i, actlr, ctxt)
        else:
            set_shadow_ctxt_specx(i, reg_desc(i), ctxt)
        i += 1


def sync_dirty_to_shadow_specx(vmid, dirty, ctxt, regs):
    # sync_dirty_to_shadow_loopx 31 0: registers x0..x30.
    for i in range(31):
        if dirty & (1 << i) == 0:
            continue
        reg = regs[i]  # D5: register i gets the host's value for register i
        set_shadow_ctxt_specx(i, reg, ctxt)


def update_exception_gp_regs_specx(ctxt):
    pstate0 = ctxt[PSTATE]
    pc0 = ctxt[PC]
    new_pc = exception_vector(pstate0, ctxt[VBAR_EL1])
    ctxt[ELR_EL1] = pc0
    ctxt[SPSR_0] = pstate0
    ctxt[SPSR_EL1] = pstate0  # D20: the register the world switch restores
    ctxt[ESR_EL1] = ESR_EL1_INJECTED  # ESR_ELx_EC_UNKNOWN as an ESR value (constants.h)
    ctxt[PSTATE] = PSTATE_FAULT_BITS_64
    ctxt[PC] = new_pc  # D2


def clear_shadow_gp_regs_specx(ctxt):
    for i in range(X0, X30 + 1):
        ctxt[i] = 0


def reset_fp_regs_specx(ctxt):
    for i in range(FPSR, FP_Q31_HI + 1):  # fp_fpsr, fp_fpcr, fp_q0 .. fp_q31
        ctxt[i] = 0


def prep_wfx_specx(ctxt):
    ctxt[DIRTY] = DIRTY_PC_FLAG


def new_exit_info():
    return {'reason': KCORE_EXIT_NONE, 'rd': 0, 'esr': 0, 'fault_ipa': 0, 'mmio_data': 0,
            'hvc_args': [0, 0, 0, 0]}


def prep_abort_specx(ctxt, info):
    esr = ctxt[ESR_EL2]  # D19: the ESR KCore saved, not the host's
    Rd = esr // 65536 % 32
    hpfar_el2 = ctxt[HPFAR_EL2]
    fault_ipa = ((hpfar_el2 >> 4) << 12) & MASK64
    if fault_ipa < MAX_MMIO_ADDR:
        info['fault_ipa'] = fault_ipa | (ctxt[FAR_EL2] & 0xFFF)
        if ((esr & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT != ESR_ELx_EC_DABT_LOW
                or (esr & ESR_ELx_ISV) == 0 or (esr & ESR_ELx_S1PTW) != 0):
            info['reason'] = KCORE_EXIT_MMIO_NISV  # D56: where, not what
            return
        info['reason'] = KCORE_EXIT_MMIO
        info['rd'] = Rd
        if (esr & ESR_ELx_WNR) == 0:
            ctxt[DIRTY] = (1 << Rd) | DIRTY_PC_FLAG  # D3: keep the PC advance
        else:
            info['mmio_data'] = ctxt[Rd] if Rd < 31 else 0
            ctxt[DIRTY] = DIRTY_PC_FLAG
    else:
        info['reason'] = KCORE_EXIT_S2FAULT
        info['fault_ipa'] = fault_ipa


def is_sgi_write(esr):
    # D71: an MSR to ICC_SGI1R_EL1, ICC_ASGI1R_EL1 or ICC_SGI0R_EL1 (op0 3, op1 0, CRn 12,
    # CRm 11, op2 5..7, direction 0): the ISS of EC 0x18 without its Rt field.
    return (esr & ESR_SYS64_REG_MASK) in (ESR_SYS64_ICC_SGI1R_EL1, ESR_SYS64_ICC_ASGI1R_EL1,
                                           ESR_SYS64_ICC_SGI0R_EL1)


def prep_sysreg(ctxt, info):
    # D71: the value written (x[Rt], 0 for xzr) and the ESR; the PC is already past the MSR
    # and the host may set no register.
    rt = (ctxt[ESR_EL2] >> ESR_SYS64_RT_SHIFT) & 31
    info['reason'] = KCORE_EXIT_SYSREG
    info['mmio_data'] = ctxt[rt] if rt < 31 else 0
    ctxt[DIRTY] = 0


class VcpuSpec:
    """Mixin of Model: the vCPU half of the spec."""

    # ---- vcpu_run_process ---------------------------------------------------------------
    def vcpu_run_process(self, vmid, vcpuid, run):
        if not is_vm(vmid) or not is_vcpu(vcpuid):
            return -KE_RANGE  # D22
        rc = self.local_set_vcpu_active(vmid, vcpuid, commit=False)
        if rc:
            return rc  # D22: the vCPU stays READY
        ctxtid_ = (vmid, vcpuid)
        ctxt = list(self.shadow_ctxts[ctxtid_])  # R1: work on a copy, commit at the end
        info = self.vminfos[vmid]
        dirty0 = ctxt[DIRTY]
        mapping = None
        if dirty0 == INVALID64:
            inc_exe = info.inc_exe
            if inc_exe == 0:
                pc_ = run.get('entry_pc', 0) & MASK64
                num = info.next_load_info
                _, ret = self.search_load_info_loop_h(num, 0, pc_, 0, info)
                if ret == 0:
                    return -KE_ENTRY  # D22
                pstate_ = run.get('entry_pstate', 0) & MASK64
                if not pstate_ok(pstate_):
                    return -KE_RANGE  # D21
                clear_shadow_gp_regs_specx(ctxt)
                # D69: the boot registers x0..x3 are the host's (the DTB's IPA, a
                # CPU_ON context id); x4..x30 stay 0.
                regs = run.get('regs', [0] * 31)
                for i in range(4):
                    ctxt[X0 + i] = regs[i] & MASK64
                ctxt[PSTATE] = pstate_
                ctxt[PC] = pc_
                reset_fp_regs_specx(ctxt)
                reset_sys_regs_specx(vcpuid, ctxt, self.layout.actlr)
                ctxt[DIRTY] = 0
            else:
                ctxt[DIRTY] = 0
            # The mapping request is not looked at on a first run.
        else:
            if run.get('request', 0) & KCORE_RUN_INJECT:
                dirty0 |= PENDING_EXCEPT_INJECT_FLAG
            addr = run.get('map_addr', 0) & MASK64
            if PAGE_SIZE <= addr < KVM_ADDR_SPACE:
                pte = run.get('map_pte', 0) & MASK64
                level = run.get('map_level', 0) & MASK64
                rc = self.prot_and_map_vm_s2pt_spec_h(vmid, addr, pte, level, commit=False)
                if rc:
                    return rc  # D22
                mapping = (addr, pte, level)
            ec0 = ctxt[EC]
            if ec0 == ARM_EXCEPTION_TRAP:
                regs = [r & MASK64 for r in run.get('regs', [0] * 31)]
                sync_dirty_to_shadow_specx(vmid, dirty0, ctxt, regs)
            if dirty0 & PENDING_EXCEPT_INJECT_FLAG != 0:  # D1: inject when it is set
                update_exception_gp_regs_specx(ctxt)  # D20: drops a pending PC advance
            elif dirty0 & DIRTY_PC_FLAG != 0:
                ctxt[PC] = (ctxt[PC] + 4) & MASK64
            ctxt[DIRTY] = 0
            ctxt[FAR_EL2] = 0
        # Commit (nothing below can refuse).
        self._must(self.local_set_vcpu_active(vmid, vcpuid))
        self.shadow_ctxts[ctxtid_] = ctxt
        if mapping is not None:
            self._must(self.prot_and_map_vm_s2pt_spec_h(vmid, *mapping))
        return 0

    # ---- vm_exit_pre_process ------------------------------------------------------------
    def vm_exit_pre_process(self, vmid, vcpuid, hw):
        if not is_vm(vmid) or not is_vcpu(vcpuid):
            return -KE_RANGE, new_exit_info()
        if self.vminfos[vmid].vcpu_state[vcpuid] != ACTIVE:
            return -KE_STATE, new_exit_info()
        ec_hw = hw.get('ec', 0)
        if ec_hw not in (ARM_EXCEPTION_INTERRUPT, ARM_EXCEPTION_EL1_SERROR, ARM_EXCEPTION_TRAP):
            raise ModelHalt('exit code %r the world switch cannot produce' % ec_hw)  # R5
        ctxtid = (vmid, vcpuid)
        ctxt = self.shadow_ctxts[ctxtid]
        regs = hw.get('regs', [0] * 31)
        for i in range(31):  # vm_to_core_specx
            ctxt[i] = regs[i] & MASK64
        # exit_populate_fault_specx
        ctxt[ESR_EL2] = hw.get('esr', 0) & MASK64
        ctxt[EC] = ec_hw
        ctxt[FAR_EL2] = hw.get('far', 0) & MASK64
        ctxt[HPFAR_EL2] = hw.get('hpfar', 0) & MASK64
        # D18: the guest's pc and pstate at the exit.
        ctxt[PC] = hw.get('pc', 0) & MASK64
        ctxt[PSTATE] = hw.get('pstate', 0) & MASK64
        ec_ = ctxt[EC]
        if ec_ == ARM_EXCEPTION_TRAP:
            ret = self.vm_exit_dispatcher_spec_h(vmid, vcpuid)
            if ret == 0:
                return 0, new_exit_info()
            return 1, self.prep_exit_vm(vmid, vcpuid)
        # ARM_EXCEPTION_INTERRUPT, and ARM_EXCEPTION_EL1_SERROR (D26: like an interrupt)
        return 1, self.prep_exit_vm(vmid, vcpuid)

    # ---- vm_exit_dispatcher_spec_h ------------------------------------------------------
    def vm_exit_dispatcher_spec_h(self, vmid, vcpuid):
        """0: handled in KCore, resume; 1: go to the host (prep_exit_vm)."""
        ctxt = self.shadow_ctxts[(vmid, vcpuid)]
        esrel2 = ctxt[ESR_EL2]
        exit_type = (esrel2 // 67108864) % 64
        if exit_type == ESR_ELx_EC_SYS64:
            ctxt[PC] = (ctxt[PC] + 4) & MASK64  # D4: advance the return address
            # D71: a write of a GICv3 SGI register goes on to the host (its vGIC).
            return 1 if is_sgi_write(esrel2) else 0
        if exit_type == ESR_ELx_EC_HVC64:
            arg = ctxt[X0]
            addr = ctxt[2]
            size = ctxt[3]
            if arg == HVC_KVM_SET_DESC_PFN or arg == HVC_KVM_UNSET_DESC_PFN:
                # D25: the range must fit in KVM_ADDR_SPACE; x0 := 0 (or -KE_RANGE).
                len_ = (size + 4095) // PAGE_SIZE
                # D53: and name at most KCORE_SHARE_MAX_PAGES pages (the global lock).
                if addr >= KVM_ADDR_SPACE or size > KVM_ADDR_SPACE - addr or \
                        len_ > KCORE_SHARE_MAX_PAGES:
                    ctxt[X0] = (-KE_RANGE) & MASK64
                    return 0
                if arg == HVC_KVM_SET_DESC_PFN:
                    self.grant_stage2_loop(len_, vmid, addr)
                else:
                    self.revoke_stage2_loop(len_, vmid, addr)
                ctxt[X0] = 0
                return 0
            return 1
        # D17: WFx and stage-2 aborts go to the host; any other class is injected.
        if exit_type in (ESR_ELx_EC_WFx, ESR_ELx_EC_IABT_LOW, ESR_ELx_EC_DABT_LOW):
            return 1
        update_exception_gp_regs_specx(ctxt)
        return 0

    # ---- prep_hvc_spec_h / prep_exit_vm -------------------------------------------------
    def prep_hvc_spec_h(self, vmid, vcpuid, info):
        ctxt = self.shadow_ctxts[(vmid, vcpuid)]
        psci_fn0 = ctxt[X0]
        psci_fn = psci_fn0 & INVALID
        if psci_fn == PSCI_0_2_FN_SYSTEM_OFF:
            self.local_set_vm_poweroff(vmid)
            info['reason'] = KCORE_EXIT_POWEROFF
        else:
            # D23: the host sees x0..x3; D70: it may set x0..x3 (the SMCCC 1.1
            # results) and nothing else.
            info['reason'] = KCORE_EXIT_HVC
            info['hvc_args'] = [ctxt[0], ctxt[1], ctxt[2], ctxt[3]]
            ctxt[DIRTY] = 0xF

    def prep_exit_vm(self, vmid, vcpuid):
        ctxt = self.shadow_ctxts[(vmid, vcpuid)]
        info = new_exit_info()
        ec_ = ctxt[EC]
        if ec_ == ARM_EXCEPTION_TRAP:
            hsr = ctxt[ESR_EL2]
            hsr_ec = (hsr & ESR_ELx_EC_MASK) >> ESR_ELx_EC_SHIFT
            info['esr'] = hsr
            if hsr_ec == ESR_ELx_EC_WFx:
                prep_wfx_specx(ctxt)
                info['reason'] = KCORE_EXIT_WFX
            elif hsr_ec == ESR_ELx_EC_HVC64:
                self.prep_hvc_spec_h(vmid, vcpuid, info)
            elif hsr_ec == ESR_ELx_EC_IABT_LOW or hsr_ec == ESR_ELx_EC_DABT_LOW:
                prep_abort_specx(ctxt, info)
            elif hsr_ec == ESR_ELx_EC_SYS64:
                prep_sysreg(ctxt, info)  # D71: the SGI register writes only
            else:
                raise ModelHalt('prep_exit_vm: class %#x' % hsr_ec)  # R5 (dispatcher resumed it)
        elif ec_ == ARM_EXCEPTION_INTERRUPT:
            info['reason'] = KCORE_EXIT_IRQ
        else:
            info['reason'] = KCORE_EXIT_SERROR  # D26
        self._must(self.local_set_vcpu_inactive(vmid, vcpuid))
        return info
