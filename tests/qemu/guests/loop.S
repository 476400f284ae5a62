/* The counting guest of the `pmu` scenario: 50,000 turns of a two-
 * instruction loop (100,000 instructions at EL1 in one go), then the
 * hypercall 0xC6000203 (a guest HVC that KCore passes to the host), over
 * and over. A host PMU counter that kept counting while the guest runs
 * would see the 100,000 (D57). */
	.section .text.boot, "ax"
	.global	_start
_start:
	movz	x1, #50000
1:	subs	x1, x1, #1
	b.ne	1b
	movz	x0, #0x0203
	movk	x0, #0xC600, lsl #16
	hvc	#0
	b	_start
