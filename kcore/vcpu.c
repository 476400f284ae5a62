/* vCPU run: what KCore does to a vCPU's shadow context when the host asks to
 * run it (spec vcpu_run_process and the *_specx helpers it calls).
 *
 * Check, then commit (R1): every test of a run is made before anything
 * changes, the VM mapping request the host attached (the only step that can
 * fail after the tests) is made last among the checks and is itself
 * all-or-nothing, and only then is the vCPU set ACTIVE and its context
 * updated. A refused run leaves the vCPU READY and its context untouched.
 *
 * Needs INFO(vmid) and S2PAGE; a run with a mapping request also
 * NPT(HOSTVISOR) and NPT(vmid). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "kcore/vcpu.h"

#include "vcpu_locks.h"

#define VCPU_DIRTY_GPRS ((1UL << (X30 + 1)) - 1) /* dirty bits 0..30: x0..x30 */

/* spec: reg_desc (a Parameter: see deviations.md "Constants") */
static u64 reg_desc(u32 index)
{
	return index == SCTLR_EL1 ? SCTLR_EL1_RESET : 0;
}

/* The MPIDR_EL1 a vCPU reads: Aff0 = vcpuid bits 3:0, Aff1 = bits 11:4,
 * Aff2 = bits 19:12, and bit 31 (RES1), as the spec's reset loop computes. */
static u64 vcpu_mpidr(u32 vcpuid)
{
	u64 id = vcpuid;

	return (id & 15) + ((id / 16) & 255) * 256 + ((id / 4096) & 255) * 65536 +
	       2147483648UL;
}

/* spec: reset_sys_regs_specx (reset_sys_regs_loopx). Through ctxt_set_spec,
 * so MDCCINT_EL1 stays ignored as in the spec. */
static void reset_sys_regs_specx(u32 vcpuid, struct shadow_ctxt *c)
{
	for (u32 i = SYSREGS_START; i < SYSREGS_START + SHADOW_SYS_REGS_SIZE; i++) {
		u64 val;

		if (i == MPIDR_EL1)
			val = vcpu_mpidr(vcpuid);
		else if (i == ACTLR_EL1)
			val = arch_actlr_el1(); /* the spec's oracle: the hardware's value */
		else
			val = reg_desc(i);
		ctxt_set(c, i, val);
	}
}

/* spec: sync_dirty_to_shadow_specx (sync_dirty_to_shadow_loopx; D5: register
 * i gets the host's value for register i). Only the registers KCore marked
 * dirty at the exit are taken from the host. */
static void sync_dirty_to_shadow_specx(struct shadow_ctxt *c, u64 dirty, const u64 *regs)
{
	/* Only the set bits are visited: usually none or one. */
	for (u64 d = dirty & VCPU_DIRTY_GPRS; d; d &= d - 1) {
		u32 i = (u32)__builtin_ctzll(d);

		ctxt_set(c, i, regs[i]);
	}
}

/* spec: exception_vector (a Parameter; D20): the synchronous vector of
 * VBAR_EL1 for the state the exception is taken from, as Linux KVM picks it
 * (mode and the AArch32 bit). */
static u64 exception_vector(const struct shadow_ctxt *c, u64 old_pstate)
{
	u64 vbar = ctxt_get(c, VBAR_EL1);

	switch (old_pstate & (PSR_MODE_MASK | PSR_MODE32_BIT)) {
	case PSR_MODE_EL1t:
		return vbar + 0x000; /* current EL, SP_EL0 */
	case PSR_MODE_EL1h:
		return vbar + 0x200; /* current EL, SP_ELx */
	case PSR_MODE_EL0t:
		return vbar + 0x400; /* lower EL, AArch64 */
	default:
		return vbar + 0x600; /* lower EL, AArch32 */
	}
}

/* spec: update_exception_gp_regs_specx (D2: pc := the vector; D20: SPSR_EL1,
 * the register the world switch restores, gets the old pstate as well as
 * SPSR_0). The caller drops any pending PC advance. */
void update_exception_gp_regs_specx(struct shadow_ctxt *c)
{
	u64 pstate0 = ctxt_get(c, PSTATE);
	u64 pc0 = ctxt_get(c, PC);

	ctxt_set(c, ELR_EL1, pc0);
	ctxt_set(c, SPSR_0, pstate0);
	ctxt_set(c, SPSR_EL1, pstate0);
	ctxt_set(c, ESR_EL1, ESR_EL1_INJECTED);
	ctxt_set(c, PSTATE, PSTATE_FAULT_BITS_64);
	ctxt_set(c, PC, exception_vector(c, pstate0));
}

/* spec: clear_shadow_gp_regs_specx */
static void clear_shadow_gp_regs_specx(struct shadow_ctxt *c)
{
	for (u32 i = X0; i <= X30; i++)
		ctxt_set(c, i, 0);
}

/* spec: reset_fp_regs_specx. These registers are beyond the spec's index
 * list (ctxt_set_spec ignores them), so they are written directly. */
static void reset_fp_regs_specx(struct shadow_ctxt *c)
{
	for (u32 i = FP_Q0_LO; i <= FP_Q31_HI; i++)
		c->r[i] = 0;
	c->r[FPSR] = 0;
	c->r[FPCR] = 0;
}

/* D21: an AArch64 EL0t/EL1t/EL1h state with only D, A, I, F besides; any
 * other first-run pstate could enter the guest at EL2 or in AArch32. */
static bool vcpu_entry_pstate_ok(u64 pstate)
{
	u64 mode = pstate & PSR_MODE_MASK;

	if (pstate & ~(PSR_MODE_MASK | PSR_F_BIT | PSR_I_BIT | PSR_A_BIT | PSR_D_BIT))
		return false;
	return mode == PSR_MODE_EL0t || mode == PSR_MODE_EL1t || mode == PSR_MODE_EL1h;
}

/* The commit's first step; the state was checked, so a refusal here is a
 * broken invariant (R5), not a host error. */
static void vcpu_activate(vmid_t vmid, u32 vcpuid)
{
	if (local_set_vcpu_active(vmid, vcpuid) != 0)
		arch_halt("vcpu_activate after a passed state check", vmid, vcpuid);
}

/* First run (dirty == INVALID64): the vCPU starts at the host's entry point,
 * which must lie in a loaded image, with every register reset but x0..x3,
 * the boot registers, which are the host's (D69: the arm64 boot protocol
 * wants x0 = the DTB's IPA, PSCI CPU_ON x0 = the context id; the host
 * chooses both anyway, and the guest reads them as its untrusted input).
 * After an encrypted vCPU was loaded (inc_exe) the decrypted context is
 * kept, x0..x3 included. The mapping request is not looked at. */
static long vcpu_first_run(vmid_t vmid, u32 vcpuid, struct shadow_ctxt *c,
			   const struct kcore_run_input *in)
{
	bool inc_exe = kc.vminfo[vmid].boot.inc_exe != 0;

	if (!inc_exe) {
		if (search_load_info(vmid, in->entry_pc) == 0)
			return -KE_ENTRY;
		if (!vcpu_entry_pstate_ok(in->entry_pstate))
			return -KE_RANGE; /* D21 */
	}
	vcpu_activate(vmid, vcpuid);
	if (!inc_exe) {
		clear_shadow_gp_regs_specx(c);
		sync_dirty_to_shadow_specx(c, VCPU_X0_X3, in->regs); /* D69 */
		ctxt_set(c, PSTATE, in->entry_pstate);
		ctxt_set(c, PC, in->entry_pc);
		reset_fp_regs_specx(c);
		reset_sys_regs_specx(vcpuid, c);
	}
	ctxt_set(c, DIRTY, 0);
	return 0;
}

/* The registers a run takes from the host (the run input's regs[i] for
 * each bit i): those marked dirty at a trap exit; on a first run x0..x3
 * (D69), none after an encrypted vCPU was loaded (its own are kept). */
u64 vcpu_run_regs_needed(vmid_t vmid, u32 vcpuid)
{
	const struct shadow_ctxt *c = &kc.shadow[vmid][vcpuid];
	u64 dirty = ctxt_get(c, DIRTY);

	lock_assert_held(INFO_ID + vmid);
	if (dirty == INVALID64)
		return kc.vminfo[vmid].boot.inc_exe != 0 ? 0 : VCPU_X0_X3;
	if (ctxt_get(c, EC) != ARM_EXCEPTION_TRAP)
		return 0;
	return dirty & VCPU_DIRTY_GPRS;
}

/* A later run: take the registers the host was allowed to set, inject or
 * advance PC as asked, and apply the mapping request. */
static long vcpu_next_run(vmid_t vmid, u32 vcpuid, struct shadow_ctxt *c,
			  const struct kcore_run_input *in)
{
	u64 dirty = ctxt_get(c, DIRTY);

	if (in->request & KCORE_RUN_INJECT)
		dirty |= PENDING_EXCEPT_INJECT_FLAG;
	if (vcpu_map_request_present(in)) {
		long ret;

		/* D24, tested here too so that narrowing the level to u32
		 * cannot turn 2^32 + 2 into 2. */
		if (in->map_level != 2 && in->map_level != 3)
			return -KE_RANGE;
		/* All-or-nothing, and the last step that can refuse. */
		ret = prot_and_map_vm_s2pt(vmid, in->map_addr, in->map_pte, (u32)in->map_level);
		if (ret < 0)
			return ret;
	}
	vcpu_activate(vmid, vcpuid);
	if (ctxt_get(c, EC) == ARM_EXCEPTION_TRAP)
		sync_dirty_to_shadow_specx(c, dirty, in->regs);
	if (dirty & PENDING_EXCEPT_INJECT_FLAG) /* D1 */
		update_exception_gp_regs_specx(c); /* and no PC advance (D20) */
	else if (dirty & DIRTY_PC_FLAG)
		ctxt_set(c, PC, ctxt_get(c, PC) + 4);
	ctxt_set(c, DIRTY, 0);
	ctxt_set(c, FAR_EL2, 0);
	return 0;
}

/* spec: vcpu_run_process (+ D1, D2, D5, D20, D21, D22, D69) */
long vcpu_run_process(vmid_t vmid, u32 vcpuid, const struct kcore_run_input *in)
{
	const struct vm_info *info;
	struct shadow_ctxt *c;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	vcpu_locks_assert_held(vmid);
	info = &kc.vminfo[vmid];
	if (info->state != VERIFIED || info->vcpu_state[vcpuid] != READY)
		return -KE_STATE;
	c = &kc.shadow[vmid][vcpuid];
	if (ctxt_get(c, DIRTY) == INVALID64)
		return vcpu_first_run(vmid, vcpuid, c, in);
	return vcpu_next_run(vmid, vcpuid, c, in);
}
