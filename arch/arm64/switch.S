/* The world switch's register part (arch/arm64/vcpu_switch.c drives it).
 *
 * __guest_enter(struct vcpu_switch_cpu *p): save the host's callee-saved
 * registers and SP_EL2 in *p, mark this CPU as running a guest (TPIDR_EL2 =
 * p), switch VBAR_EL2 to the guest vectors (vectors.S, el2_guest_vectors),
 * load the guest's x0..x30 from p->gregs (its shadow context) and ERET
 * (ELR_EL2 and SPSR_EL2 were set by the caller; the ERET also synchronises
 * the VBAR_EL2 write). It "returns" when the guest exits: the guest vectors
 * have saved x0..x30 straight into p->gregs (once: no trap frame to copy)
 * and branch to __guest_exit with the exception kind in x0; __guest_exit
 * puts the host vectors back, clears TPIDR_EL2, restores the host's
 * registers and SP and returns the kind (vectors.S numbering, 8..15).
 *
 * fpsimd_save/fpsimd_load(q, ctl): q0..q31 <-> q[0..63] (lo, hi), FPSR and
 * FPCR <-> ctl[0], ctl[1]. In assembly: the C code is built
 * -mgeneral-regs-only. */

#define VS_GREGS 0
#define VS_HOST_SP 8
#define VS_HOST_REGS 16	/* x19..x30 */

	.arch	armv8-a+fp+simd
	.text
	.global	__guest_enter
__guest_enter:
	stp	x19, x20, [x0, #VS_HOST_REGS + 0]
	stp	x21, x22, [x0, #VS_HOST_REGS + 16]
	stp	x23, x24, [x0, #VS_HOST_REGS + 32]
	stp	x25, x26, [x0, #VS_HOST_REGS + 48]
	stp	x27, x28, [x0, #VS_HOST_REGS + 64]
	stp	x29, x30, [x0, #VS_HOST_REGS + 80]
	mov	x1, sp
	str	x1, [x0, #VS_HOST_SP]
	msr	tpidr_el2, x0
	adrp	x1, el2_guest_vectors
	add	x1, x1, :lo12:el2_guest_vectors
	msr	vbar_el2, x1
	ldr	x0, [x0, #VS_GREGS]
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret
	dsb	nsh
	isb

/* From vectors.S: x0 = kind, the guest's registers saved in p->gregs. */
	.global	__guest_exit
__guest_exit:
	mrs	x2, tpidr_el2
	msr	tpidr_el2, xzr
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	isb
	ldr	x1, [x2, #VS_HOST_SP]
	mov	sp, x1
	ldp	x19, x20, [x2, #VS_HOST_REGS + 0]
	ldp	x21, x22, [x2, #VS_HOST_REGS + 16]
	ldp	x23, x24, [x2, #VS_HOST_REGS + 32]
	ldp	x25, x26, [x2, #VS_HOST_REGS + 48]
	ldp	x27, x28, [x2, #VS_HOST_REGS + 64]
	ldp	x29, x30, [x2, #VS_HOST_REGS + 80]
	ret

	.global	fpsimd_save
fpsimd_save:
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x2, fpsr
	mrs	x3, fpcr
	stp	x2, x3, [x1]
	ret

	.global	fpsimd_load
fpsimd_load:
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	ldp	x2, x3, [x1]
	msr	fpsr, x2
	msr	fpcr, x3
	ret
