/* KCore's EL2 exception vectors while a guest runs.
 *
 * el2_guest_vectors (VBAR_EL2 switched by __guest_enter, arch/arm64/switch.S,
 * which keeps the home's own vectors and TPIDR_EL2 and puts them back at
 * __guest_exit; meanwhile TPIDR_EL2 = this CPU's struct vcpu_switch_cpu):
 * an exception from the guest is a VM exit, and its x0..x30 go straight
 * into the vCPU's shadow context (p->gregs) before __guest_exit returns to
 * the world switch's C code. One exception is handled without an exit
 * (D37): a guest HVC with x0 = HVC_KVM_SET_DESC_PFN or
 * HVC_KVM_UNSET_DESC_PFN (grant / revoke). Only the registers C may clobber
 * (x2..x18, x30; x0, x1 already) are saved, on the EL2 stack; C
 * (guest_share_fast) calls the core, x0 gets the result, and ERET resumes
 * the guest at the instruction after its HVC, every other register (GPRs,
 * EL1 system registers, FP/SIMD) untouched in the CPU.
 *
 * The same file in both homes (the standalone image and Linux's nVHE
 * image): it reaches nothing of either home's host vectors. An exception
 * KCore's own code takes at EL2 while these are installed (in a fast path)
 * is a bug: el2_fault halts. */

#include "bhb.h"
#include "reg_pairs.h"

	.macro	gventry_el2 kind
	.balign	128
	mov	x0, #\kind
	b	el2_fault
	.endm

#define ESR_EC_SHIFT 26
#define ESR_EC_HVC64 0x16
#define HVC_KVM_SET_DESC_PFN_LO 0x0100	/* 0xC6000100; UNSET_DESC_PFN is + 1 */
#define HVC_KVM_SET_DESC_PFN_HI 0xC600

	.macro	gventry kind
	.balign	128
	stp	x0, x1, [sp, #-16]!
	bhb_mitigate x0
	mov	x0, #\kind
	b	guest_exit_save
	.endm

	.text
	.balign	2048
	.global	el2_guest_vectors
el2_guest_vectors:
	gventry_el2	0	// current EL (KCore itself): a halt
	gventry_el2	1
	gventry_el2	2
	gventry_el2	3
	gventry_el2	4
	gventry_el2	5
	gventry_el2	6
	gventry_el2	7
	.balign	128	// lower EL, AArch64: sync
	stp	x0, x1, [sp, #-16]!
	bhb_mitigate x1
	mrs	x1, esr_el2
	lsr	x1, x1, #ESR_EC_SHIFT
	cmp	x1, #ESR_EC_HVC64
	b.ne	1f
	mov	x1, #HVC_KVM_SET_DESC_PFN_LO
	movk	x1, #HVC_KVM_SET_DESC_PFN_HI, lsl #16
	sub	x1, x0, x1		// 0: grant, 1: revoke, else a VM exit
	cmp	x1, #1
	b.ls	guest_share_entry
	ubfx	x1, x0, #16, #16	// D54: W0 = 0x8000xxxx, an SMCCC architecture call
	cmp	x1, #0x8000
	b.eq	guest_smccc_entry
1:	mov	x0, #8
	b	guest_exit_save
	gventry	9	//   irq
	gventry	10	//   fiq
	gventry	11	//   serror
	gventry	12	// lower EL, AArch32: sync
	gventry	13	//   irq
	gventry	14	//   fiq
	gventry	15	//   serror
	.org	el2_guest_vectors + 2048 /* an error if an entry outgrew its 128 bytes */

/* A VM exit: x0 = kind, the guest's x0, x1 pushed on the EL2 stack. */
// spec: vm_to_core_specx (at EL2: the guest's x0..x30 straight into its shadow
// context; kcore/exit.c's vm_to_core_specx is the same copy for the host tests' path)
guest_exit_save:
	mrs	x1, tpidr_el2
	ldr	x1, [x1]		// p->gregs: the shadow context's x0..x30
	gpr_pairs stp, x1, 0, 2, 29
	str	x30, [x1, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #0]
	b	__guest_exit

/* The guest's registers C may clobber, for a call answered without an
 * exit: x2..x17 at 8 * n - 16 (x2 at 0), then x18 and x30; its x0, x1
 * pushed above them. */
	.macro	save_fast_regs
	stp	x2, x3, [sp, #-144]!
	gpr_pairs stp, sp, -16, 4, 17
	stp	x18, x30, [sp, #128]
	.endm

/* An SMCCC architecture call of the guest (D54), answered without a VM
 * exit (arch/arm64/smccc.c): its x0 := the answer, every other register as
 * it was (SMCCC 1.1 lets x1..x3 change; KCore keeps them). */
guest_smccc_entry:
	save_fast_regs
	ldr	x1, [sp, #152]		// the guest's x1 (x0 is still in place)
	bl	guest_smccc_fast	// x0 := the answer
	b	guest_fast_return

/* The grant/revoke fast path: x1 = 0 (grant) or 1 (revoke), the guest's x2
 * (address) and x3 (size) in place, its x0, x1 pushed. */
guest_share_entry:
	save_fast_regs
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mrs	x3, tpidr_el2
	bl	guest_share_fast	// x0 := the guest's new x0
guest_fast_return:
	gpr_pairs ldp, sp, -16, 4, 17
	ldp	x18, x30, [sp, #128]
	ldp	x2, x3, [sp], #144
	ldr	x1, [sp, #8]
	add	sp, sp, #16
	eret
	dsb	nsh
	isb
