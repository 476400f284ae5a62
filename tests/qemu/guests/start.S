/* Guest entry at EL1h, MMU off. Each vCPU takes its own stack page:
 * vCPU n's stack is the page at 0x40100000 + 2 * n * 4 KB (not mapped yet:
 * the first push is a stage-2 fault the host serves with a 4 KB page).
 * The boot registers (D69) are looked at before any instruction changes
 * them: x0..x3 as the host put them in its run page are kept in x19..x22,
 * x4..x30 (which KCore clears) ORed together into x23; guest_main gets them
 * as its five arguments. */
	.section .text.boot, "ax"
	.global _start
_start:
	.irp	r, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	orr	x4, x4, x\r
	.endr
	mov	x19, x0
	mov	x20, x1
	mov	x21, x2
	mov	x22, x3
	mov	x23, x4
	mrs	x0, mpidr_el1
	and	x0, x0, #0xf			// Aff0 = vcpuid
	lsl	x1, x0, #13			// 2 pages per vCPU
	ldr	x2, =0x40101000
	add	x1, x1, x2
	mov	sp, x1
	mov	x0, #(3 << 20)			// CPACR_EL1.FPEN: FP/SIMD not trapped
	msr	cpacr_el1, x0
	adr	x0, guest_vectors
	msr	vbar_el1, x0
	isb
	mov	x0, x19
	mov	x1, x20
	mov	x2, x21
	mov	x3, x22
	mov	x4, x23
	bl	guest_main
1:	wfi
	b	1b

/* u64 guest_hvc(fn, a1, a2, a3) */
	.text
	.global	guest_hvc
guest_hvc:
	hvc	#0
	ret

/* void guest_hvc_results(u64 fn, u64 out[5]): an HVC to the host that
 * answers in x0..x3 (D70); out[0..3] = x0..x3 after it, out[4] = x4, preset
 * to a marker the host cannot change. */
	.global	guest_hvc_results
guest_hvc_results:
	mov	x9, x1
	ldr	x4, =0x4444444444
	hvc	#0
	stp	x0, x1, [x9]
	stp	x2, x3, [x9, #16]
	str	x4, [x9, #32]
	ret

/* u64 guest_sgi1r(u64 v), guest_asgi1r(u64 v), guest_sgi0r_zero(void): one
 * MSR of a GICv3 SGI register (ICC_SGI1R_EL1 from x0, ICC_ASGI1R_EL1 from
 * x5, ICC_SGI0R_EL1 from xzr). The write traps (HCR_EL2.IMO/FMO) and goes to
 * the host (D71); returns how often the instruction after the MSR ran: 1
 * when KCore moved the PC past the MSR, exactly once. */
	.global	guest_sgi1r
guest_sgi1r:
	mov	x9, #0
	msr	icc_sgi1r_el1, x0
	add	x9, x9, #1
	mov	x0, x9
	ret
	.global	guest_asgi1r
guest_asgi1r:
	mov	x9, #0
	mov	x5, x0
	msr	icc_asgi1r_el1, x5
	add	x9, x9, #1
	mov	x0, x9
	ret
	.global	guest_sgi0r_zero
guest_sgi0r_zero:
	mov	x9, #0
	msr	icc_sgi0r_el1, xzr
	add	x9, x9, #1
	mov	x0, x9
	ret

/* void guest_vtimer_set(u64 cval, u64 ctl): the guest's virtual timer
 * (CNTV_CVAL_EL0, then CNTV_CTL_EL0), which KCore switches (D66) and shows
 * the host in every exit record (D72). */
	.global	guest_vtimer_set
guest_vtimer_set:
	msr	cntv_cval_el0, x0
	msr	cntv_ctl_el0, x1
	isb
	ret

/* u64 guest_probe(u64 addr): a 64-bit read of addr. Returns 0 if the read
 * completed, or the ESR_EL1 of the exception it took (the host refused the
 * address and asked KCore to inject one; the read is skipped). */
	.global	guest_probe
guest_probe:
	mov	x9, #0
	ldr	x10, [x0]
	mov	x0, x9
	ret

/* u64 guest_pair_store(u64 addr, u64 a, u64 b): stp a, b at addr, an MMIO
 * IPA: the access has no valid syndrome (ISV = 0), so KCore tells the host
 * only where (KCORE_EXIT_MMIO_NISV, D56) and the host has an exception
 * injected; returns it as guest_probe does. */
	.global	guest_pair_store
guest_pair_store:
	mov	x9, #0
	stp	x1, x2, [x0]
	mov	x0, x9
	ret

/* u64 guest_pair_load(u64 addr, u64 *out): ldp at addr into two registers
 * preset to 0x77 (the host may not set them: D56), stored to out[0..1];
 * returns what guest_probe returns. */
	.global	guest_pair_load
guest_pair_load:
	mov	x9, #0
	mov	x2, x1
	mov	x3, #0x77
	mov	x4, #0x77
	ldp	x3, x4, [x0]
	stp	x3, x4, [x2]
	mov	x0, x9
	ret

/* u64 guest_pmu_read(void): PMCCNTR_EL0 into a register preset to a
 * marker. KCore traps a VM's PMU accesses (MDCR_EL2.TPM) and skips them, so
 * the marker comes back; without the trap, the cycle counter would. */
	.global	guest_pmu_read
guest_pmu_read:
	ldr	x0, =0x5A5A5A5A
	mrs	x0, pmccntr_el0
	ret

/* u64 guest_actlr_read(void): ACTLR_EL1 (the CPU's implementation-
 * defined control) into a register preset to a marker: KCore traps it
 * (HCR_EL2.TACR, D58) and skips the access, so the marker comes back. */
	.global	guest_actlr_read
guest_actlr_read:
	ldr	x0, =0xAC71A5
	mrs	x0, actlr_el1
	ret

/* u64 guest_wait_virq(u64 gicc): with its CPU interface on (group 1 on a
 * GICv3's system registers, gicc == 0; group 0 on a GICv2's memory-mapped
 * one at IPA gicc), priority mask 0xF0 and IRQs unmasked, waits (WFI, an
 * exit to the host) until a virtual interrupt arrives; returns its
 * INTID | 1 << 63 (the IRQ vector below sets x9; x11 tells it which
 * interface to acknowledge on). */
	.global	guest_wait_virq
guest_wait_virq:
	mov	x9, #0
	mov	x11, x0
	cbnz	x11, 1f
	mov	x10, #7
	msr	icc_sre_el1, x10
	mov	x10, #0xF0
	msr	icc_pmr_el1, x10
	mov	x10, #1
	msr	icc_igrpen1_el1, x10
	b	2f
1:	mov	w10, #0xF0
	str	w10, [x11, #0x4]		// GICC_PMR
	mov	w10, #1
	str	w10, [x11, #0x0]		// GICC_CTLR: group 0 on
2:	isb
	msr	daifclr, #2
3:	cbnz	x9, 4f
	wfi
	b	3b
4:	msr	daifset, #2
	mov	x0, x9
	ret

/* The guest's vectors: only a synchronous exception at EL1 (SPx) is
 * expected, from guest_probe: note ESR_EL1 in x9 and skip the access. */
	.balign	2048
guest_vectors:
	.rept	4				// current EL with SP_EL0
	.balign	128
	b	.
	.endr
	.balign	128				// current EL with SP_ELx, synchronous
	mrs	x9, esr_el1
	orr	x9, x9, #(1 << 63)		// never 0, whatever the ESR
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	eret
	.balign	128				// current EL with SP_ELx, IRQ: a virtual
	cbnz	x11, 1f				// interrupt, acknowledged and completed
	mrs	x9, icc_iar1_el1
	msr	icc_eoir1_el1, x9
	orr	x9, x9, #(1 << 63)
	eret
1:	ldr	w9, [x11, #0xC]			// GICC_IAR
	str	w9, [x11, #0x10]		// GICC_EOIR
	orr	x9, x9, #(1 << 63)
	eret
	.rept	10				// the rest: not expected
	.balign	128
	b	.
	.endr
