/* The `smp` (and `reset`) scenario's secondary CPUs enter here (the entry point the host
 * gives PSCI CPU_ON), at EL1 with the MMU off, x0 = the CPU's index (the
 * context it gave): a stack of its own, the host's vectors, FP/SIMD on,
 * then smp_secondary_main(index). */
#if defined(SCENARIO_SMP) || defined(SCENARIO_RESET)
#define SMP_STACK_SIZE 0x4000

	.text
	.global	smp_secondary_entry
smp_secondary_entry:
	adrp	x1, smp_stacks
	add	x1, x1, :lo12:smp_stacks
	mov	x2, #SMP_STACK_SIZE
	madd	x1, x0, x2, x1
	add	sp, x1, x2			// top of smp_stacks[index]
	adrp	x1, host_vectors
	add	x1, x1, :lo12:host_vectors
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)			// CPACR_EL1.FPEN
	msr	cpacr_el1, x1
	isb
	bl	smp_secondary_main
1:	wfe
	b	1b

	.bss
	.balign	16
	.global	smp_stacks
smp_stacks:
	.space	SMP_STACK_SIZE * 4

/* The spin guest, signed (build/qemu/spin.signed.bin: the payload and the
 * 128-byte trailer KCore verifies), copied by the host into a page of each
 * VM. */
	.section .rodata
	.balign	16
	.global	spin_image, spin_image_end
spin_image:
	.incbin	"build/qemu/spin.signed.bin"
spin_image_end:
#endif
