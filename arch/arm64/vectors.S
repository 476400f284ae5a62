/* KCore's EL2 exception vectors. Every entry saves x0..x30 in a frame on
 * the EL2 stack and calls el2_trap(kind, frame) (arch/arm64/traps.c); the
 * frame is restored on return, so the C code returns results by writing it.
 * Exceptions taken from EL2 itself never return (el2_trap halts). An
 * exception from a lower EL while this CPU runs a guest (TPIDR_EL2 set by
 * __guest_enter) is a VM exit: it goes to __guest_exit instead. */

#define FRAME_SIZE 256	/* struct trap_frame: x0..x30 and a pad */

	.macro	ventry kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	el2_trap_common
	.endm

	.text
	.balign	2048
	.global	el2_vectors
el2_vectors:
	ventry	0	// current EL, SP_EL0: sync
	ventry	1	//   irq
	ventry	2	//   fiq
	ventry	3	//   serror
	ventry	4	// current EL, SP_EL2: sync
	ventry	5	//   irq
	ventry	6	//   fiq
	ventry	7	//   serror
	ventry	8	// lower EL, AArch64: sync
	ventry	9	//   irq
	ventry	10	//   fiq
	ventry	11	//   serror
	ventry	12	// lower EL, AArch32: sync
	ventry	13	//   irq
	ventry	14	//   fiq
	ventry	15	//   serror

el2_trap_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	cmp	x0, #8			// from a lower EL...
	b.lo	1f
	mrs	x2, tpidr_el2		// ...while a guest runs on this CPU:
	cbnz	x2, __guest_exit	// a VM exit (arch/arm64/switch.S)
1:	mov	x1, sp
	bl	el2_trap
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret
	dsb	nsh
	isb
