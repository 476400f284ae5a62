/* `make bench`'s guest (EL1, MMU off, no stack, linked at 0x40080000 with
 * tests/qemu/guests/guest.ld). It reads the PMU's counter 0, which the bench
 * host programmed to count INST_RETIRED at EL2 only (KCore leaves the PMU to
 * EL1: MDCR_EL2.HPMN = N, TPM = 0, and the world switch does not touch it),
 * around two operations, BENCH_GUEST_REPS times:
 *  - a grant of one page handled inside KCore (HVC_KVM_SET_DESC_PFN,
 *    x2 = a mapped page, x3 = 4096), then a revoke (not measured);
 *  - an MMIO write the host emulates: the VM exit, the host's EL1 work (not
 *    counted) and the next VCPU_RUN back into the guest.
 * After each pair it reports to the host with an HVC the host handles
 * (0xC6000201: x1 = grant, x2 = MMIO round trip, x3 = the grant's and the
 * revoke's results ORed, 0 expected). Then it exits to the host at once on
 * every run (HVC 0xC6000202), for the host's assign + map measurements. */
#define BENCH_GUEST_REPS 8
	.section .text.boot, "ax"
	.global _start
_start:
	ldr	x19, =0x40100000		// the page to grant
	str	xzr, [x19]			// a stage-2 fault: the host maps it
	ldr	x27, =0x09010000		// a device the host emulates
	mov	x20, #BENCH_GUEST_REPS
1:	ldr	x0, =0xC6000100			// HVC_KVM_SET_DESC_PFN
	mov	x1, #0
	mov	x2, x19
	mov	x3, #4096
	isb
	mrs	x21, pmevcntr0_el0
	hvc	#0
	isb
	mrs	x22, pmevcntr0_el0
	mov	x23, x0
	ldr	x0, =0xC6000101			// HVC_KVM_UNSET_DESC_PFN
	mov	x1, #0
	mov	x2, x19
	mov	x3, #4096
	hvc	#0
	orr	x23, x23, x0
	isb
	mrs	x24, pmevcntr0_el0
	str	w20, [x27]
	isb
	mrs	x25, pmevcntr0_el0
	ldr	x0, =0xC6000201			// report
	sub	x1, x22, x21
	sub	x2, x25, x24
	mov	x3, x23
	hvc	#0
	subs	x20, x20, #1
	b.ne	1b
2:	ldr	x0, =0xC6000202			// exit to the host at once
	hvc	#0
	b	2b
	.ltorg
