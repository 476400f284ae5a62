/* VCPU_RUN at EL2: the run page and the world switch host <-> VM.
 *
 * arch_vcpu_run (from the host's HVC, arch/arm64/traps.c):
 *  1. kcore_vcpu_run_fetch takes the run's locks (INFO(vmid), S2PAGE) and
 *     calls run_input_fetch: the vCPU's run page (REGISTER_RUN_PAGE) must
 *     still be the host's; the fields the run reads are copied once (no
 *     double fetch: the core only ever sees the copy), then the core checks
 *     and commits the run (refusal: nothing changed);
 *  2. the world switch: the host's EL1 registers, FP/SIMD, virtual timer and
 *     EL2 trap configuration are saved in this CPU's area, the guest's are
 *     loaded from its shadow context kc.shadow[vmid][vcpuid], VTTBR_EL2 =
 *     the VM's table with VMID = vmid, HCR_EL2 = guest_hcr_el2, and ERET
 *     (__guest_enter loads x0..x30 straight from the shadow context);
 *  3. at the guest's exit the guest vectors have saved x0..x30 straight into
 *     the shadow context; the rest is saved here, and kcore_vm_exit_store
 *     decides under the exit's locks: 0 = handled in KCore, enter the guest
 *     again; 1 = the exit record is written into the run page
 *     (run_exit_store), the host's configuration restored and the reason
 *     returned to the host.
 * A guest's grant or revoke HVC never gets here: the guest vectors take it
 * without an exit (guest_share_fast, D37). */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "el2.h"
#include "home.h"
#include "pmu.h"
#include "reset.h"
#include "sysreg.h"
#include "vcpu_switch.h"
#include "vgic.h"

/* Per CPU: where the guest's GPRs live while it runs, what __guest_enter
 * saves of the host and of the home's EL2 registers (offsets in switch.S),
 * and the fast path's VM. */
struct vcpu_switch_cpu {
	u64 *gregs;        /* cppcheck-suppress unusedStructMember ; switch.S, vectors.S */
	u64 host_sp;       /* cppcheck-suppress unusedStructMember ; switch.S */
	u64 host_regs[12]; /* cppcheck-suppress unusedStructMember ; x19..x30, switch.S */
	u64 home_vbar;     /* cppcheck-suppress unusedStructMember ; switch.S */
	u64 home_tpidr;    /* cppcheck-suppress unusedStructMember ; switch.S */
	vmid_t vmid;       /* the VM running on this CPU (guest_share_fast) */
};
_Static_assert(__builtin_offsetof(struct vcpu_switch_cpu, gregs) == 0, "VS_GREGS");
_Static_assert(__builtin_offsetof(struct vcpu_switch_cpu, host_sp) == 8, "VS_HOST_SP");
_Static_assert(__builtin_offsetof(struct vcpu_switch_cpu, host_regs) == 16, "VS_HOST_REGS");
_Static_assert(__builtin_offsetof(struct vcpu_switch_cpu, home_vbar) == 112 &&
	       __builtin_offsetof(struct vcpu_switch_cpu, home_tpidr) == 120, "VS_HOME_VBAR");
_Static_assert(X0 == 0 && X30 == 30, "the shadow context starts with x0..x30 (switch.S)");
_Static_assert(HVC_KVM_SET_DESC_PFN == 0xC6000100UL &&
	       HVC_KVM_UNSET_DESC_PFN == HVC_KVM_SET_DESC_PFN + 1,
	       "the grant/revoke test of vectors.S");

u64 __guest_enter(struct vcpu_switch_cpu *p);
void fpsimd_save(u64 *q, u64 *ctl);
void fpsimd_load(const u64 *q, const u64 *ctl);

_Static_assert(FPCR == FPSR + 1, "fpsimd ctl: FPSR then FPCR");
_Static_assert(__builtin_offsetof(struct kcore_run_page, exit_reason) == 512,
	       "the exit record at offset 512 (docs/abi.md)");
_Static_assert(sizeof(struct kcore_run_page) <= PAGE_SIZE, "one page");
_Static_assert(__builtin_offsetof(struct kcore_run_page, exit_cntv_ctl) == 608 &&
		       __builtin_offsetof(struct kcore_run_page, exit_cntv_cval) == 616,
	       "D72: the timer after the exit record's list registers (docs/abi.md)");

static struct vcpu_switch_cpu switch_cpu[KCORE_MAX_CPUS];
/* The host's EL1 context while a guest runs on this CPU. */
static struct shadow_ctxt host_ctxt[KCORE_MAX_CPUS];
/* Registers the shadow context has no index for. */
struct host_el2 {
	u64 elr, spsr, vmpidr, cntv_ctl, cntv_cval;
	/* The host's EL2 configuration, as its home set it (standalone:
	 * HCR_HOST, CPTR_EL2_DEFAULT, its NPT with VMID 0, host_mdcr_el2; inside
	 * Linux pKVM's values around KCore's host NPT), put back as it was. */
	u64 hcr, cptr, vttbr, cnthctl, mdcr;
	u64 pmu[2], trfcr, pmscr; /* the host's counters (pmu.h), trace filter and sampling
				  * controls (vm_traps_*, D57, D58) */
};
static struct host_el2 host_el2[KCORE_MAX_CPUS];
/* Each vCPU's virtual timer (D66), never in the host's hands: saved at each
 * exit, loaded at each entry; only shown to the host in the exit record
 * (D72). */
static u64 guest_vtimer[COREVISOR][KCORE_MAX_VCPUS][2]; /* CNTV_CTL, CNTV_CVAL */

/* INFO(vmid): each vCPU's run page (physical address, 0 = none). */
static u64 run_page[COREVISOR][KCORE_MAX_VCPUS];

/* D68 (include/kcore/arch.h): DESTROY_VM forgets what EL2 alone keeps of
 * each vCPU of the id: its run page, its virtual timer, its vGIC state
 * (the FP/SIMD registers live in the shadow context, which the core
 * resets). The core invalidated the VMID. No vCPU of it runs (POWEROFF,
 * none ACTIVE); INFO(vmid) is held, as for REGISTER_RUN_PAGE. */
void arch_vm_destroyed(vmid_t vmid)
{
	if (!is_vm(vmid))
		arch_halt("vm destroyed: not a VM", vmid, 0);
	for (u32 v = 0; v < KCORE_MAX_VCPUS; v++) {
		run_page[vmid][v] = 0;
		guest_vtimer[vmid][v][0] = 0;
		guest_vtimer[vmid][v][1] = 0;
	}
	vgic_vm_forget(vmid);
}

/* The EL1 registers the switch moves (switch.S, el1_sysregs_save/load):
 * ELR_EL1, SPSR_EL1, CSSELR_EL1, SCTLR_EL1, CPACR_EL1 .. MDSCR_EL1, SP_EL0,
 * SP_EL1. ACTLR_EL1 is the hardware's (reset_sys_regs) and MDCCINT_EL1
 * reads as 0: neither is switched; MPIDR_EL1 goes through VMPIDR_EL2. */
void el1_sysregs_save(u64 *r);
void el1_sysregs_load(const u64 *r);
_Static_assert(SPSR_EL1 == ELR_EL1 + 1 && SCTLR_EL1 == CSSELR_EL1 + 1 && SP_EL1 == SP_EL0 + 1,
	       "switch.S: register pairs");
_Static_assert(ELR_EL1 * 8 == 264 && CSSELR_EL1 * 8 == 336 && CPACR_EL1 * 8 == 360 &&
	       SP_EL0 * 8 == 536, "switch.S: SC_* offsets");
_Static_assert(TTBR0_EL1 == CPACR_EL1 + 1 && TTBR1_EL1 == CPACR_EL1 + 2 &&
	       TCR_EL1 == CPACR_EL1 + 3 && ESR_EL1 == CPACR_EL1 + 4 && AFSR0_EL1 == CPACR_EL1 + 5 &&
	       AFSR1_EL1 == CPACR_EL1 + 6 && FAR_EL1 == CPACR_EL1 + 7 && MAIR_EL1 == CPACR_EL1 + 8 &&
	       VBAR_EL1 == CPACR_EL1 + 9 && CONTEXTIDR_EL1 == CPACR_EL1 + 10 &&
	       TPIDR_EL0 == CPACR_EL1 + 11 && TPIDRRO_EL0 == CPACR_EL1 + 12 &&
	       TPIDR_EL1 == CPACR_EL1 + 13 && AMAIR_EL1 == CPACR_EL1 + 14 &&
	       CNTKCTL_EL1 == CPACR_EL1 + 15 && PAR_EL1 == CPACR_EL1 + 16 &&
	       MDSCR_EL1 == CPACR_EL1 + 17, "switch.S: CPACR_EL1 .. MDSCR_EL1 in a row");

/* FP/SIMD is switched lazily (D38): a guest runs with CPTR_EL2.TFP set
 * until it first touches FP/SIMD; that trap (fp_to_guest) saves the host's
 * registers in host_ctxt and loads the guest's, and the guest keeps them
 * until the run ends (fp_to_host). guest_fp[cpu]: the guest's FP/SIMD
 * registers are the ones in this CPU. */
static bool guest_fp[KCORE_MAX_CPUS];

static void fp_to_guest(u32 cpu, struct shadow_ctxt *c)
{
	struct shadow_ctxt *h = &host_ctxt[cpu];

	write_sysreg(guest_cptr_el2, cptr_el2);
	isb();
	fpsimd_save(&h->r[FP_Q0_LO], &h->r[FPSR]);
	fpsimd_load(&c->r[FP_Q0_LO], &c->r[FPSR]);
	guest_fp[cpu] = true;
}

static void fp_to_host(u32 cpu, struct shadow_ctxt *c)
{
	struct shadow_ctxt *h = &host_ctxt[cpu];

	if (!guest_fp[cpu])
		return; /* the host's registers never left the CPU */
	fpsimd_save(&c->r[FP_Q0_LO], &c->r[FPSR]);
	fpsimd_load(&h->r[FP_Q0_LO], &h->r[FPSR]);
	guest_fp[cpu] = false;
}

/* ---- the run page ------------------------------------------------------ */

static bool run_page_is_host(u64 pa)
{
	return pa != 0 && s2page_get(pa / PAGE_SIZE).owner == HOSTVISOR;
}

/* REGISTER_RUN_PAGE(vmid, vcpuid, pa): once per vCPU, after REGISTER_VCPU,
 * a page-aligned page the host owns. */
long arch_register_run_page(u64 vmid, u64 vcpuid, u64 pa)
{
	long ret = 0;

	if (vmid >= COREVISOR || !is_vm((vmid_t)vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	if (pa % PAGE_SIZE != 0)
		return -KE_ALIGN;
	lock_acquire(INFO_ID + (u32)vmid);
	lock_acquire(S2PAGE_ID);
	if (kc.vminfo[vmid].vcpu_state[vcpuid] == UNUSED || run_page[vmid][vcpuid] != 0)
		ret = -KE_STATE;
	else if (!run_page_is_host(pa))
		ret = -KE_OWNER;
	else
		run_page[vmid][vcpuid] = pa;
	lock_release(S2PAGE_ID);
	lock_release(INFO_ID + (u32)vmid);
	return ret;
}

#define READ_ONCE(x) (*(const volatile u64 *)&(x))

/* The host's list registers for the run on this CPU (arch/arm64/vgic.c),
 * copied by run_input_fetch. */
static u64 vgic_lr_in[KCORE_MAX_CPUS][VGIC_MAX_LR];

/* kcore_run_fetch_fn, under INFO(vmid) and S2PAGE: the page's owner is
 * checked under the same S2PAGE hold, so the page cannot change hands in
 * between. Only the registers the run takes are copied; the virtual
 * interrupts are checked here, so a refusal comes before the core changes
 * anything. */
static long run_input_fetch(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in)
{
	u64 *lr = vgic_lr_in[arch_cpu_id()];
	const struct kcore_run_page *rp;
	u64 pa = run_page[vmid][vcpuid];

	if (pa == 0)
		return -KE_STATE;
	if (!run_page_is_host(pa))
		return -KE_OWNER;
	rp = arch_phys_to_virt(pa);
	for (u64 d = regs; d; d &= d - 1) {
		u32 i = (u32)__builtin_ctzll(d);

		in->regs[i] = READ_ONCE(rp->regs[i]);
	}
	in->entry_pc = READ_ONCE(rp->entry_pc);
	in->entry_pstate = READ_ONCE(rp->entry_pstate);
	in->map_addr = READ_ONCE(rp->map_addr);
	in->map_pte = READ_ONCE(rp->map_pte);
	in->map_level = READ_ONCE(rp->map_level);
	in->request = READ_ONCE(rp->request);
	for (u32 i = 0; i < VGIC_MAX_LR; i++)
		lr[i] = READ_ONCE(rp->vgic_lr[i]);
	return vgic_check(lr);
}

/* kcore_exit_store_fn, under INFO(vmid) and S2PAGE: the exit record, if the
 * page is still the host's (otherwise the host only gets the reason in x0).
 * D72: with the guest's virtual timer as guest_run_once saved it, so that
 * the host can block a WFI until the guest's timer is due and decide to
 * inject its interrupt (KVM's soft timer); nothing reads it back. */
static void run_exit_store(vmid_t vmid, u32 vcpuid, const struct kcore_exit_info *out)
{
	u64 pa = run_page[vmid][vcpuid];
	struct kcore_run_page *rp;
	const u64 *vt;

	if (!run_page_is_host(pa))
		return;
	rp = arch_phys_to_virt(pa);
	rp->exit_reason = out->reason;
	rp->exit_rd = out->rd;
	rp->exit_esr = out->esr;
	rp->exit_fault_ipa = out->fault_ipa;
	rp->exit_mmio_data = out->mmio_data;
	for (u32 i = 0; i < 4; i++)
		rp->exit_hvc_args[i] = out->hvc_args[i];
	vt = guest_vtimer[vmid][vcpuid];
	rp->exit_cntv_ctl = vt[0];
	rp->exit_cntv_cval = vt[1];
	vgic_lrs_read(arch_cpu_id(), rp->exit_vgic_lr); /* still loaded: before the switch back */
}

/* ---- the world switch -------------------------------------------------- */

/* spec: vcpu_run_swith_to_core (the host's EL1 registers and its EL2
 * return state into this CPU's host context; its general registers are kept
 * by its HVC's trap frame and __guest_enter, its FP/SIMD registers only at
 * the guest's first FP/SIMD use, D38) */
static void host_save(u32 cpu)
{
	struct host_el2 *h = &host_el2[cpu];

	el1_sysregs_save(host_ctxt[cpu].r);
	h->elr = read_sysreg(elr_el2);
	h->spsr = read_sysreg(spsr_el2);
	h->vmpidr = read_sysreg(vmpidr_el2);
	h->cntv_ctl = read_sysreg(cntv_ctl_el0);
	h->cntv_cval = read_sysreg(cntv_cval_el0);
	h->hcr = read_sysreg(hcr_el2);
	h->cptr = read_sysreg(cptr_el2);
	h->vttbr = read_sysreg(vttbr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->mdcr = read_sysreg(mdcr_el2);
}

/* spec: switch_to_host and spec: host_el2_restore_state_specx (VTTBR_EL2 =
 * the host's table, HCR_EL2 = the host's: both as host_save found them, the
 * spec's HCR_HOST and host table standalone; TPIDR_EL2 is put back by
 * __guest_exit), then the host's EL1 registers (restore_sysregs_specx). */
static void host_restore(u32 cpu)
{
	const struct host_el2 *h = &host_el2[cpu];

	write_sysreg(h->hcr, hcr_el2);
	write_sysreg(h->cptr, cptr_el2);
	write_sysreg(h->vttbr, vttbr_el2);
	write_sysreg(h->cnthctl, cnthctl_el2);
	write_sysreg(h->vmpidr, vmpidr_el2);
	write_sysreg(h->cntv_ctl, cntv_ctl_el0);
	write_sysreg(h->cntv_cval, cntv_cval_el0);
	el1_sysregs_load(host_ctxt[cpu].r);
	write_sysreg(h->elr, elr_el2);
	write_sysreg(h->spsr, spsr_el2);
	isb();
}

/* spec: activate_traps_specx (+ D35). Once per VCPU_RUN: the exits KCore
 * handles itself do not change the trap configuration. CPTR_EL2 (CPTR_VM,
 * with TFP for the lazy FP switch) is written by guest_run_once. */
static void vm_traps_activate(struct host_el2 *h)
{
	pmu_guest_enter(h->pmu); /* D57: the host counts nothing of the guest */
	if (cpu_has_trf) { /* D58: nothing of the guest is traced (its TRFCR_EL1 accesses trap) */
		h->trfcr = read_sysreg(SYS_TRFCR_EL1);
		write_sysreg(0, SYS_TRFCR_EL1);
	}
	if (cpu_has_spe) { /* D58: nothing of the guest is sampled (the host's SPE at EL1) */
		h->pmscr = read_sysreg(SYS_PMSCR_EL1);
		write_sysreg(0, SYS_PMSCR_EL1);
		/* The host's samples in flight are written out (PSB CSYNC, DSB)
		 * before the buffer changes owner (guest_mdcr_el2: E2PB = EL2). */
		isb();
		psb_csync();
		dsb(nsh);
	}
	write_sysreg(0, pmselr_el0);
	write_sysreg(PMU_USERENR_MASK, pmuserenr_el0);
	write_sysreg(guest_mdcr_el2, mdcr_el2);
}

/* spec: deactivate_traps_specx (+ D35: MDCR_EL2 goes back to the host's
 * value, not 0; CPTR_EL2 to the host's in host_restore; D57, D58: the
 * host's counters, trace filter and sampling controls as they were) */
static void vm_traps_deactivate(const struct host_el2 *h)
{
	write_sysreg(0, pmuserenr_el0);
	write_sysreg(h->mdcr, mdcr_el2);
	if (cpu_has_trf)
		write_sysreg(h->trfcr, SYS_TRFCR_EL1);
	if (cpu_has_spe)
		write_sysreg(h->pmscr, SYS_PMSCR_EL1);
	pmu_guest_exit(h->pmu);
}

/* Loads the guest from its shadow context and runs it until an exit (its
 * x0..x30 are then back in the shadow context, switch.S).
 * spec: vcpu_run_switch_to_vm, with spec: vm_el2_restore_state_specx
 * (VTTBR_EL2 = the VM's table and VMID, HCR_EL2 = guest_hcr_el2: D58's
 * additions to HCR_HYPSEC_VM_FLAGS) and spec: timer_enable_traps_specx
 * (CNTHCTL_EL2: the physical counter readable, the physical timer trapped);
 * the traps of activate_traps_specx are set once per VCPU_RUN. */
static void guest_run_once(vmid_t vmid, u32 vcpuid, u32 cpu, struct vcpu_switch_cpu *p,
			   struct kcore_exit_hw *hw)
{
	struct shadow_ctxt *c = &kc.shadow[vmid][vcpuid];
	u64 *vt = guest_vtimer[vmid][vcpuid];
	u64 kind;

	write_sysreg(0, cntv_ctl_el0); /* no host timer firing into the guest */
	el1_sysregs_load(c->r);
	write_sysreg(guest_fp[cpu] ? guest_cptr_el2 : guest_cptr_el2 | CPTR_EL2_TFP,
		     cptr_el2); /* D35, D38 */
	write_sysreg(c->r[MPIDR_EL1], vmpidr_el2);
	write_sysreg(0, cntvoff_el2);
	write_sysreg(CNTHCTL_EL1PCTEN, cnthctl_el2);
	write_sysreg(vt[1], cntv_cval_el0);
	write_sysreg(vt[0], cntv_ctl_el0);
	write_sysreg(kc.npt[vmid].root | (u64)vmid << VTTBR_VMID_SHIFT, vttbr_el2);
	write_sysreg(guest_hcr_el2, hcr_el2);
	write_sysreg(c->r[PC], elr_el2);
	write_sysreg(c->r[PSTATE], spsr_el2);

	kind = __guest_enter(p);

	hw->pc = read_sysreg(elr_el2);
	hw->pstate = read_sysreg(spsr_el2);
	hw->esr = read_sysreg(esr_el2);
	hw->far = read_sysreg(far_el2);
	hw->hpfar = read_sysreg(hpfar_el2);
	vt[0] = read_sysreg(cntv_ctl_el0);
	vt[1] = read_sysreg(cntv_cval_el0);
	write_sysreg(0, cntv_ctl_el0);
	el1_sysregs_save(c->r);
	switch (kind) {
	case 8:
	case 12:
		hw->ec = ARM_EXCEPTION_TRAP;
		break;
	case 11:
	case 15:
		hw->ec = ARM_EXCEPTION_EL1_SERROR;
		break;
	default:
		hw->ec = ARM_EXCEPTION_INTERRUPT;
		break;
	}
}

/* The guest's first FP/SIMD access of this run (CPTR_EL2.TFP): its FP/SIMD
 * registers are loaded and the access retried, no VM exit; the guest's pc
 * and pstate at the trap are its shadow context's (nothing else changed). */
static bool guest_fp_trap(u32 cpu, vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw)
{
	struct shadow_ctxt *c = &kc.shadow[vmid][vcpuid];

	if (hw->ec != ARM_EXCEPTION_TRAP || ESR_EC(hw->esr) != ESR_ELx_EC_FP_ASIMD ||
	    guest_fp[cpu])
		return false;
	c->r[PC] = hw->pc;
	c->r[PSTATE] = hw->pstate;
	fp_to_guest(cpu, c);
	return true;
}

/* VCPU_RUN(vmid, vcpuid): the exit reason (>= 1), or a refusal (< 0) that
 * changed nothing. */
long arch_vcpu_run(u64 vmid64, u64 vcpuid64)
{
	struct kcore_exit_info out;
	struct kcore_exit_hw hw;
	struct vcpu_switch_cpu *p;
	vmid_t vmid;
	u32 vcpuid, cpu;
	long ret;

	/* Narrowed only in range; the core checks is_vm/is_vcpu (R3). */
	if (vmid64 >= COREVISOR || vcpuid64 >= KCORE_MAX_VCPUS)
		return -KE_RANGE;
	vmid = (vmid_t)vmid64;
	vcpuid = (u32)vcpuid64;
	cpu = arch_cpu_id();
	if (!reset_guest_enter(cpu)) /* a SYSTEM_RESET/OFF scrubs VM memory (reset.c) */
		return -KE_BUSY;
	ret = kcore_vcpu_run_fetch(vmid, vcpuid, run_input_fetch);
	if (ret < 0) {
		reset_guest_exit(cpu);
		return ret;
	}
	p = &switch_cpu[cpu];
	p->gregs = &kc.shadow[vmid][vcpuid].r[X0];
	p->vmid = vmid;
	host_save(cpu);
	vm_traps_activate(&host_el2[cpu]);
	vgic_load(cpu, vmid, vcpuid, vgic_lr_in[cpu]);
	do {
		guest_run_once(vmid, vcpuid, cpu, p, &hw);
		if (guest_fp_trap(cpu, vmid, vcpuid, &hw)) {
			ret = 0;
			continue;
		}
		ret = kcore_vm_exit_store(vmid, vcpuid, &hw, &out, run_exit_store);
	} while (ret == 0);
	fp_to_host(cpu, &kc.shadow[vmid][vcpuid]);
	vgic_save(cpu, vmid, vcpuid);
	vm_traps_deactivate(&host_el2[cpu]);
	host_restore(cpu);
	reset_guest_exit(cpu);
	if (ret < 0) /* the core found the vCPU not ACTIVE: a broken invariant */
		arch_halt("vm exit refused by the core", vmid, (u64)-ret);
	return out.reason;
}

/* The guest vectors' grant/revoke fast path (vectors.S, D37): revoke 0 or
 * 1, the guest's x2 and x3; returns the guest's new x0. Runs at EL2 with the
 * guest's context still in the CPU (VTTBR_EL2, HCR_EL2, its EL1 and FP/SIMD
 * registers): the core only touches memory and the TLB (whose maintenance
 * selects and restores VTTBR_EL2 itself). */
u64 guest_share_fast(u64 revoke, u64 addr, u64 size, const struct vcpu_switch_cpu *p);
u64 guest_share_fast(u64 revoke, u64 addr, u64 size, const struct vcpu_switch_cpu *p)
{
	return (u64)kcore_guest_share(p->vmid, revoke != 0, addr, size);
}
