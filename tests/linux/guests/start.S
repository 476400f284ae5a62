/* The bare-metal guest's entry (tests/linux/guests): EL1, MMU off, loaded by
 * the VMM at the RAM base and entered there with x0 = the device tree. A
 * stack 1 MB above the image, then main; then PSCI SYSTEM_OFF. */
	.section .text.start, "ax"
	.global _start
_start:
	ldr	x1, =__stack_top
	mov	sp, x1
	bl	main
	movz	x0, #0x0008
	movk	x0, #0x8400, lsl #16	/* PSCI SYSTEM_OFF */
	hvc	#0
1:	wfi
	b	1b
