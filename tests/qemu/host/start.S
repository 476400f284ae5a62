/* The test host's entry (EL1h, MMU off, every exception masked) and its
 * EL1 vectors. Every access it makes is a stage-2 fault the first time:
 * KCore maps the page, or injects an abort that lands in host_vectors. */
#include "platform.h"
#include "reg_pairs.h"
#ifdef SCENARIO_RESET
#include "reset.h"
#endif

	.section .text.boot, "ax"
	.global _start
_start:
	b	1f
	.balign	8
	.quad	HOST_IMAGE_MAGIC		// KCore checks it before entering
#ifdef SCENARIO_RESET
	.quad	RESET_KEEP_END - HOST_IMAGE_BASE // the extent: reserves memory after the image (reset.c)
#else
	.quad	__host_image_end - _start	// the extent (platform.h): KCore zeroes the RAM after it
#endif
1:	adrp	x1, host_stack_top
	add	x1, x1, :lo12:host_stack_top
	mov	sp, x1
	adrp	x1, host_vectors
	add	x1, x1, :lo12:host_vectors
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)			// CPACR_EL1.FPEN: FP/SIMD not trapped
	msr	cpacr_el1, x1
	isb
	adrp	x1, __host_bss_start
	add	x1, x1, :lo12:__host_bss_start
	adrp	x2, __host_bss_end
	add	x2, x2, :lo12:__host_bss_end
2:	cmp	x1, x2
	b.hs	3f
	stp	xzr, xzr, [x1], #16
	b	2b
3:	bl	host_main
	ldr	x0, =0x84000008			// PSCI SYSTEM_OFF
	smc	#0
4:	wfe
	b	4b

	.macro	hventry kind
	.balign	128
	sub	sp, sp, #256
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	host_vector_common
	.endm

	.text
	.balign	2048
	.global	host_vectors
host_vectors:
	.irp	k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	hventry	\k
	.endr

host_vector_common:
	gpr_pairs stp, sp, 0, 2, 29
	str	x30, [sp, #240]
	mov	x1, sp
	bl	host_exception
	gpr_pairs ldp, sp, 0, 0, 29
	ldr	x30, [sp, #240]
	add	sp, sp, #256
	eret

/* long host_hvc(fn, a1..a5): an SMCCC call to KCore. */
	.global	host_hvc
host_hvc:
	hvc	#0
	ret

/* u64 host_smc(fn, a1, a2, a3): PSCI (trapped by KCore). */
	.global	host_smc
host_smc:
	smc	#0
	ret

	.bss
	.balign	16
host_stack:
	.space	0x4000
host_stack_top:
