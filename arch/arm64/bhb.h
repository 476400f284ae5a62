/* The Spectre-BHB mitigation of KCore's exception entries from a lower EL
 * (vectors.S, guest_vectors.S), as an assembler macro. */
#ifndef KCORE_ARM64_BHB_H
#define KCORE_ARM64_BHB_H
#ifdef __ASSEMBLER__

#include "smccc.h"

/* D54, Spectre-BHB: on every entry from a lower EL (the host or a guest,
 * both untrusted: either could train the branch history against KCore's
 * indirect branches, and KCore's EL2 table maps all of RAM), before any
 * indirect branch, the branch history is cleared as arch/arm64/smccc.c
 * decided for this CPU (kcore_bhb_mode): nothing on a CPU that is not
 * affected (3 instructions), CLRBHB where the CPU has it, else Arm's loop
 * of taken branches (Cortex-A72: 8 iterations, 30 instructions in all). \tmp is
 * clobbered; the flags are not. */
	.macro	bhb_mitigate tmp
	adrp	\tmp, kcore_bhb_mode
	ldr	\tmp, [\tmp, #:lo12:kcore_bhb_mode]
	cbz	\tmp, .Lbhb_done\@
	tbz	\tmp, #63, .Lbhb_loop\@
	hint	#22		// CLRBHB
	isb
	b	.Lbhb_done\@
.Lbhb_loop\@:
	b	. + 4
	sub	\tmp, \tmp, #1
	cbnz	\tmp, .Lbhb_loop\@
	dsb	nsh
	isb
.Lbhb_done\@:
	.endm

#endif
#endif
