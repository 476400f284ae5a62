/* Guest entry at EL1h, MMU off. Each vCPU takes its own stack page:
 * vCPU n's stack is the page at 0x40100000 + 2 * n * 4 KB (not mapped yet:
 * the first push is a stage-2 fault the host serves with a 4 KB page). */
	.section .text.boot, "ax"
	.global _start
_start:
	mrs	x0, mpidr_el1
	and	x0, x0, #0xf			// Aff0 = vcpuid
	lsl	x1, x0, #13			// 2 pages per vCPU
	ldr	x2, =0x40101000
	add	x1, x1, x2
	mov	sp, x1
	mov	x0, #(3 << 20)			// CPACR_EL1.FPEN: FP/SIMD not trapped
	msr	cpacr_el1, x0
	isb
	bl	guest_main
1:	wfi
	b	1b

/* u64 guest_hvc(fn, a1, a2, a3) */
	.text
	.global	guest_hvc
guest_hvc:
	hvc	#0
	ret
