/* The smallest guest for tests/linux/probe/vm-cycles: PSCI SYSTEM_OFF at its
 * first instruction, padded to 1 MB so that each VM takes 256 pages of
 * KCore's image window (128 MB): without the window's reuse (D68) the
 * 128th VM of a host boot would find it full. Loaded and entered at the
 * RAM base (0x40000000). */
	.text
	.global _start
_start:
	movz	x0, #0x0008
	movk	x0, #0x8400, lsl #16	/* PSCI SYSTEM_OFF */
	hvc	#0
1:	wfi
	b	1b
	.space	0x100000 - (. - _start)
