/* The world switch's register part (arch/arm64/vcpu_switch.c drives it).
 *
 * __guest_enter(struct vcpu_switch_cpu *p): save the host's callee-saved
 * registers and SP_EL2 in *p, and the home's VBAR_EL2 and TPIDR_EL2 (the
 * standalone image's el2_vectors and 0; inside Linux pKVM's host vectors and
 * its per-CPU offset), mark this CPU as running a guest (TPIDR_EL2 = p),
 * switch VBAR_EL2 to the guest vectors (guest_vectors.S, el2_guest_vectors),
 * load the guest's x0..x30 from p->gregs (its shadow context) and ERET
 * (ELR_EL2 and SPSR_EL2 were set by the caller; the ERET also synchronises
 * the VBAR_EL2 write). It "returns" when the guest exits: the guest vectors
 * have saved x0..x30 straight into p->gregs (once: no trap frame to copy)
 * and branch to __guest_exit with the exception kind in x0; __guest_exit
 * puts the home's VBAR_EL2 and TPIDR_EL2 back, restores the host's
 * registers and SP and returns the kind (vectors.S numbering, 8..15).
 *
 * el1_sysregs_save/el1_sysregs_load(r): the EL1 registers the switch moves
 * <-> a shadow context's array r (struct shadow_ctxt, kcore/ctxt.h; the
 * offsets are checked against the indices in vcpu_switch.c), two registers
 * a store pair where the indices are adjacent.
 *
 * fpsimd_save/fpsimd_load(q, ctl): q0..q31 <-> q[0..63] (lo, hi), FPSR and
 * FPCR <-> ctl[0], ctl[1]. In assembly: the C code is built
 * -mgeneral-regs-only. */

#include "reg_pairs.h"

#define VS_GREGS 0
#define VS_HOST_SP 8
#define VS_HOST_REGS 16	/* x19..x30 */
#define VS_HOME_VBAR 112	/* the home's VBAR_EL2, then its TPIDR_EL2 */

	.arch	armv8-a+fp+simd
	.text
// spec: host_to_core_specx (the host's x19..x30 and SP kept here; its x0..x18 are in
// the trap frame of its HVC, vectors.S) and spec: core_to_vm_specx (the guest's
// x0..x30 loaded from its shadow context)
	.global	__guest_enter
__guest_enter:
	gpr_pairs stp, x0, VS_HOST_REGS - 8 * 19, 19, 30
	mov	x1, sp
	str	x1, [x0, #VS_HOST_SP]
	mrs	x1, vbar_el2
	mrs	x2, tpidr_el2
	stp	x1, x2, [x0, #VS_HOME_VBAR]
	msr	tpidr_el2, x0
	adrp	x1, el2_guest_vectors
	add	x1, x1, :lo12:el2_guest_vectors
	msr	vbar_el2, x1
	ldr	x0, [x0, #VS_GREGS]
	gpr_pairs ldp, x0, 0, 2, 29
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret
	dsb	nsh
	isb

/* From vectors.S: x0 = kind, the guest's registers saved in p->gregs. */
// spec: core_to_host_specx (the host's x19..x30 and SP back; x0..x18 come back from
// the HVC's trap frame at its ERET, vectors.S; x0 is VCPU_RUN's result)
	.global	__guest_exit
__guest_exit:
	mrs	x2, tpidr_el2
	ldp	x1, x3, [x2, #VS_HOME_VBAR]
	msr	tpidr_el2, x3
	msr	vbar_el2, x1
	isb
	ldr	x1, [x2, #VS_HOST_SP]
	mov	sp, x1
	gpr_pairs ldp, x2, VS_HOST_REGS - 8 * 19, 19, 30
	ret

/* Shadow context offsets (index * 8): ELR_EL1 33, SPSR_EL1 34, CSSELR_EL1
 * 42, SCTLR_EL1 43, CPACR_EL1 45 .. MDSCR_EL1 62 (ACTLR_EL1 44 and MDCCINT_EL1
 * 63 are not switched), SP_EL0 67, SP_EL1 68. */
#define SC_ELR_EL1 264
#define SC_CSSELR_EL1 336
#define SC_CPACR_EL1 360
#define SC_SP_EL0 536

// spec: save_sysregs_specx (the registers of the list in vcpu_switch.c; MPIDR_EL1
// is the vCPU's own, set once, so VMPIDR_EL2 is not read back; ACTLR_EL1 is not
// switched: D58 traps the guest's accesses)
	.global	el1_sysregs_save
el1_sysregs_save:
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [x0, #SC_ELR_EL1]
	mrs	x1, csselr_el1
	mrs	x2, sctlr_el1
	stp	x1, x2, [x0, #SC_CSSELR_EL1]
	mrs	x1, cpacr_el1
	mrs	x2, ttbr0_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1]
	mrs	x1, ttbr1_el1
	mrs	x2, tcr_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 16]
	mrs	x1, esr_el1
	mrs	x2, afsr0_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 32]
	mrs	x1, afsr1_el1
	mrs	x2, far_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 48]
	mrs	x1, mair_el1
	mrs	x2, vbar_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 64]
	mrs	x1, contextidr_el1
	mrs	x2, tpidr_el0
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 80]
	mrs	x1, tpidrro_el0
	mrs	x2, tpidr_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 96]
	mrs	x1, amair_el1
	mrs	x2, cntkctl_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 112]
	mrs	x1, par_el1
	mrs	x2, mdscr_el1
	stp	x1, x2, [x0, #SC_CPACR_EL1 + 128]
	mrs	x1, sp_el0
	mrs	x2, sp_el1
	add	x0, x0, #SC_SP_EL0	// beyond stp's offset range
	stp	x1, x2, [x0]
	ret

// spec: restore_sysregs_specx (its EL2 part, ELR/SPSR_EL2 and VMPIDR_EL2, is
// written by guest_run_once and host_restore in vcpu_switch.c)
	.global	el1_sysregs_load
el1_sysregs_load:
	ldp	x1, x2, [x0, #SC_ELR_EL1]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x1, x2, [x0, #SC_CSSELR_EL1]
	msr	csselr_el1, x1
	msr	sctlr_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1]
	msr	cpacr_el1, x1
	msr	ttbr0_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 16]
	msr	ttbr1_el1, x1
	msr	tcr_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 32]
	msr	esr_el1, x1
	msr	afsr0_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 48]
	msr	afsr1_el1, x1
	msr	far_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 64]
	msr	mair_el1, x1
	msr	vbar_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 80]
	msr	contextidr_el1, x1
	msr	tpidr_el0, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 96]
	msr	tpidrro_el0, x1
	msr	tpidr_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 112]
	msr	amair_el1, x1
	msr	cntkctl_el1, x2
	ldp	x1, x2, [x0, #SC_CPACR_EL1 + 128]
	msr	par_el1, x1
	msr	mdscr_el1, x2
	add	x0, x0, #SC_SP_EL0
	ldp	x1, x2, [x0]
	msr	sp_el0, x1
	msr	sp_el1, x2
	ret


// spec: fpsimd_save_state_specx (lazily, D38: at a guest's first FP/SIMD use)
	.global	fpsimd_save
fpsimd_save:
	fpr_pairs stp, x0, 0, 31
	mrs	x2, fpsr
	mrs	x3, fpcr
	stp	x2, x3, [x1]
	ret

// spec: fpsimd_restore_state_specx (lazily, D38)
	.global	fpsimd_load
fpsimd_load:
	fpr_pairs ldp, x0, 0, 31
	ldp	x2, x3, [x1]
	msr	fpsr, x2
	msr	fpcr, x3
	ret
