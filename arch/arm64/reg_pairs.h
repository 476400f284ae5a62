/* Assembler macros for the register save and restore sequences that the
 * EL2 vectors (vectors.S), the world switch (switch.S) and the test host's
 * vectors (tests/qemu/host/start.S) share, so that each layout is written
 * once: a frame that holds register n at offset `off + size * n`.
 *
 *   gpr_pairs op, base, off, first, last
 *       op (stp or ldp) the pairs x<first>,x<first+1> .. x<last-1>,x<last>
 *       (first even or odd, last - first odd) at [base, #off + 8 * n];
 *   fpr_pairs op, base, first, last
 *       the same for q<first> .. q<last> at [base, #16 * n].
 *
 * Each pair is one instruction, as written out by hand: the macros cost
 * nothing. (.altmacro only for the arithmetic of the register numbers.) */
#ifndef KCORE_ARCH_REG_PAIRS_H
#define KCORE_ARCH_REG_PAIRS_H
#ifdef __ASSEMBLER__

	.macro	reg_pair op, kind, size, base, off, a, b
	\op	\kind\a, \kind\b, [\base, #(\off) + \size * \a]
	.endm

	.macro	reg_pairs op, kind, size, base, off, first, last
	.altmacro
	reg_pair \op, \kind, \size, \base, \off, \first, %(\first + 1)
	.if	\first + 1 < \last
	reg_pairs \op, \kind, \size, \base, \off, %(\first + 2), \last
	.endif
	.noaltmacro
	.endm

	.macro	gpr_pairs op, base, off, first, last
	reg_pairs \op, x, 8, \base, \off, \first, \last
	.endm

	.macro	fpr_pairs op, base, first, last
	reg_pairs \op, q, 16, \base, 0, \first, \last
	.endm

#endif
#endif
