/* The smallest guest: it makes the hypercall 0xC6000202 (a guest HVC that
 * KCore passes to the host) over and over. The `smp` scenario runs one per
 * CPU; each VCPU_RUN enters it and gets an HVC exit straight back, so the
 * host can attach a mapping request to every run. */
	.section .text.boot, "ax"
	.global	_start
_start:
	movz	x0, #0x0202
	movk	x0, #0xC600, lsl #16
	hvc	#0
	b	_start
