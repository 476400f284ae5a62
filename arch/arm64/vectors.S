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
 * el2_guest_vectors, while a guest runs (VBAR_EL2 switched by __guest_enter
 * and __guest_exit, arch/arm64/switch.S; TPIDR_EL2 = this CPU's struct
 * vcpu_switch_cpu): an exception from the guest is a VM exit, and its
 * x0..x30 go straight into the vCPU's shadow context (p->gregs) before
 * __guest_exit returns to the world switch's C code. One exception is
 * handled without an exit (D37): a guest HVC with x0 = HVC_KVM_SET_DESC_PFN
 * or HVC_KVM_UNSET_DESC_PFN (grant / revoke). Only the registers C may
 * clobber (x2..x18, x30; x0, x1 already) are saved, on the EL2 stack; C
 * (guest_share_fast) calls the core, x0 gets the result, and ERET resumes
 * the guest at the instruction after its HVC, every other register (GPRs,
 * EL1 system registers, FP/SIMD) untouched in the CPU. */

#include "reg_pairs.h"
#include "smccc.h"

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

/* ---- while a guest runs --------------------------------------------------- */

#define ESR_EC_HVC64 0x16
#define HVC_KVM_SET_DESC_PFN_LO 0x0100	/* 0xC6000100; UNSET_DESC_PFN is + 1 */
#define HVC_KVM_SET_DESC_PFN_HI 0xC600

	.macro	gventry kind
	.balign	128
	stp	x0, x1, [sp, #-16]!
	bhb_mitigate x0
	mov	x0, #\kind
	b	guest_exit_save
	.endm

	.balign	2048
	.global	el2_guest_vectors
el2_guest_vectors:
	ventry	0	// current EL (KCore itself): as el2_vectors, a halt
	ventry	1
	ventry	2
	ventry	3
	ventry	4
	ventry	5
	ventry	6
	ventry	7
	.balign	128	// lower EL, AArch64: sync
	stp	x0, x1, [sp, #-16]!
	bhb_mitigate x1
	mrs	x1, esr_el2
	lsr	x1, x1, #ESR_EC_SHIFT
	cmp	x1, #ESR_EC_HVC64
	b.ne	1f
	mov	x1, #HVC_KVM_SET_DESC_PFN_LO
	movk	x1, #HVC_KVM_SET_DESC_PFN_HI, lsl #16
	sub	x1, x0, x1		// 0: grant, 1: revoke, else a VM exit
	cmp	x1, #1
	b.ls	guest_share_entry
	ubfx	x1, x0, #16, #16	// D54: W0 = 0x8000xxxx, an SMCCC architecture call
	cmp	x1, #0x8000
	b.eq	guest_smccc_entry
1:	mov	x0, #8
	b	guest_exit_save
	gventry	9	//   irq
	gventry	10	//   fiq
	gventry	11	//   serror
	gventry	12	// lower EL, AArch32: sync
	gventry	13	//   irq
	gventry	14	//   fiq
	gventry	15	//   serror
	.org	el2_guest_vectors + 2048 /* an error if an entry outgrew its 128 bytes */

/* A VM exit: x0 = kind, the guest's x0, x1 pushed on the EL2 stack. */
// spec: vm_to_core_specx (at EL2: the guest's x0..x30 straight into its shadow
// context; kcore/exit.c's vm_to_core_specx is the same copy for the host tests' path)
guest_exit_save:
	mrs	x1, tpidr_el2
	ldr	x1, [x1]		// p->gregs: the shadow context's x0..x30
	gpr_pairs stp, x1, 0, 2, 29
	str	x30, [x1, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x1, #0]
	b	__guest_exit

/* The guest's registers C may clobber, for a call answered without an
 * exit: x2..x17 at 8 * n - 16 (x2 at 0), then x18 and x30; its x0, x1
 * pushed above them. */
	.macro	save_fast_regs
	stp	x2, x3, [sp, #-144]!
	gpr_pairs stp, sp, -16, 4, 17
	stp	x18, x30, [sp, #128]
	.endm

/* An SMCCC architecture call of the guest (D54), answered without a VM
 * exit (arch/arm64/smccc.c): its x0 := the answer, every other register as
 * it was (SMCCC 1.1 lets x1..x3 change; KCore keeps them). */
guest_smccc_entry:
	save_fast_regs
	ldr	x1, [sp, #152]		// the guest's x1 (x0 is still in place)
	bl	guest_smccc_fast	// x0 := the answer
	b	guest_fast_return

/* The grant/revoke fast path: x1 = 0 (grant) or 1 (revoke), the guest's x2
 * (address) and x3 (size) in place, its x0, x1 pushed. */
guest_share_entry:
	save_fast_regs
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mrs	x3, tpidr_el2
	bl	guest_share_fast	// x0 := the guest's new x0
guest_fast_return:
	gpr_pairs ldp, sp, -16, 4, 17
	ldp	x18, x30, [sp, #128]
	ldp	x2, x3, [sp], #144
	ldr	x1, [sp, #8]
	add	sp, sp, #16
	eret
	dsb	nsh
	isb
