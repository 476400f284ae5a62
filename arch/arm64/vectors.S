/* KCore's EL2 exception vectors.
 *
 * el2_vectors, while the host runs: every entry saves x0..x18 and x30 in a
 * frame on the EL2 stack (x19..x29 are callee-saved: the C code keeps them,
 * and their frame slots are not written, except for a host abort or trapped
 * system register, which KCore may emulate: el2_host_sync_full) and calls
 * el2_host_sync(esr, frame) for a synchronous exception from AArch64,
 * el2_trap(kind, frame) for the rest (arch/arm64/traps.c); the frame is
 * restored on return, so the C code returns results by writing it.
 * Exceptions taken from EL2 itself never return (el2_trap halts).
 *
 * The guest vectors, while a guest runs, are guest_vectors.S. */

#include "bhb.h"
#include "reg_pairs.h"

#define FRAME_SIZE 256	/* struct trap_frame: x0..x30 and a pad */
#define ESR_EC_SHIFT 26

/* The registers C may clobber (x2..x18, x30; x0, x1 are saved by the entry). */
	.macro	save_caller_regs
	gpr_pairs stp, sp, 0, 2, 17
	str	x18, [sp, #144]
	str	x30, [sp, #240]
	.endm

	.macro	restore_caller_regs_eret
	gpr_pairs ldp, sp, 0, 0, 17
	ldr	x18, [sp, #144]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret
	dsb	nsh
	isb
	.endm


	.macro	ventry kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	el2_trap_common
	.endm

	.macro	ventry_low kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	bhb_mitigate x0
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
	.balign	128	// lower EL, AArch64: sync
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	bhb_mitigate x0
	mrs	x0, esr_el2	// el2_host_sync(esr, frame)
	/* EC bit 5 (>= 0x20: an abort, which KCore may emulate, D44) or EC
	 * bit 3 (0x18: a trapped MSR/MRS, which it may do for the host, D57)
	 * need the whole frame; neither is the hot path. An HVC or SMC (EC
	 * 0x16, 0x17: both bits clear) pays two instructions for the tests. */
	tbnz	x0, #(ESR_EC_SHIFT + 5), el2_host_sync_full
	tbnz	x0, #(ESR_EC_SHIFT + 3), el2_host_sync_full
	save_caller_regs
	mov	x1, sp
	bl	el2_host_sync
	b	el2_trap_return
	ventry_low	9	//   irq
	ventry_low	10	//   fiq
	ventry_low	11	//   serror
	ventry_low	12	// lower EL, AArch32: sync
	ventry_low	13	//   irq
	ventry_low	14	//   fiq
	ventry_low	15	//   serror
	.org	el2_vectors + 2048	/* an error if an entry outgrew its 128 bytes */

// spec: host_to_core_specx (the host's x0..x18 and x30 into its trap frame; x19..x29
// stay in the CPU, callee-saved by the C code, and __guest_enter keeps x19..x30 for a
// VCPU_RUN) and spec: core_to_host_specx (the frame back at the ERET; x0 = the result)
el2_trap_common:
	save_caller_regs	// x19..x29: callee-saved, C keeps them
	mov	x1, sp
	bl	el2_trap
el2_trap_return:
	restore_caller_regs_eret

/* A host abort or trapped system register: the whole frame, x19..x29 too,
 * in and out, so that an access KCore emulates (arch/arm64/mmio_mediate.c,
 * arch/arm64/pmu.c) may read or write any register. x0 = ESR. */
el2_host_sync_full:
	save_caller_regs
	gpr_pairs stp, sp, 0, 19, 28
	str	x29, [sp, #232]
	mov	x1, sp
	bl	el2_host_sync
	gpr_pairs ldp, sp, 0, 19, 28
	ldr	x29, [sp, #232]
	restore_caller_regs_eret
