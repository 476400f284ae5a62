/* KCore's entry at EL2 (QEMU virt, -kernel kcore.elf). The primary CPU
 * clears the BSS, takes its stack, installs the EL2 vectors and calls
 * boot_main(dtb). Any other CPU that arrives here is parked: secondaries
 * start later, when the host asks for them with PSCI CPU_ON, at
 * secondary_entry (arch/arm64/smp.c hands that address to the firmware). */
#include "platform.h"

	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0				// DTB address from the loader (may be 0)
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	park				// not at EL2: nothing KCore can do
	mrs	x1, mpidr_el1
	and	x1, x1, #0xffffff		// Aff2..Aff0
	cbnz	x1, park			// not the primary CPU

	ldr	x1, =0x30C50830			// SCTLR_EL2: RES1 only, MMU and caches off
	msr	sctlr_el2, x1
	isb

	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:
	adrp	x1, el2_stacks			// CPU 0's stack
	add	x1, x1, :lo12:el2_stacks
	add	x1, x1, #EL2_STACK_SIZE
	mov	sp, x1
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	bl	boot_main
park:
	wfe
	b	park

/* secondary_entry: a CPU started by the firmware on KCore's behalf, at EL2
 * with the MMU off, x0 = its index (the context KCore gave CPU_ON). It turns
 * on KCore's EL2 MMU as the primary did (el2_mmu_regs), takes its own EL2
 * stack and the vectors and calls secondary_main(index), which checks the
 * index against MPIDR before anything else. */
	.global secondary_entry
secondary_entry:
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	park
	cmp	x0, #BOOT_MAX_CPUS
	b.hs	park				// not a context KCore gave: never trust it
	ldr	x1, =0x30C50830			// SCTLR_EL2: RES1 only, MMU and caches off
	msr	sctlr_el2, x1
	isb
	adrp	x1, el2_mmu_regs		// the primary's MMU set-up (boot/el2_mmu.c)
	add	x1, x1, :lo12:el2_mmu_regs
	ldp	x2, x3, [x1]			// MAIR, TCR
	msr	mair_el2, x2
	msr	tcr_el2, x3
	ldp	x2, x3, [x1, #16]		// TTBR0, SCTLR
	msr	ttbr0_el2, x2
	dsb	ish
	tlbi	alle2
	dsb	ish
	isb
	msr	sctlr_el2, x3			// MMU on before the first store
	isb
	adrp	x1, el2_stacks
	add	x1, x1, :lo12:el2_stacks
	mov	x2, #EL2_STACK_SIZE
	madd	x1, x0, x2, x1			// el2_stacks[index + 1] is the top of index's stack
	add	x1, x1, x2
	mov	sp, x1
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	isb
	bl	secondary_main
	b	park

/* enter_host(entry, arg, sp_el2): first entry into the host at EL1h with
 * every exception masked, x0 = arg, every other GPR zero, and this CPU's
 * EL2 stack reset to sp_el2 for the traps that follow. */
	.text
	.global enter_host
enter_host:
	msr	elr_el2, x0
	mov	x3, #0x3c5			// EL1h, DAIF masked
	msr	spsr_el2, x3
	mov	sp, x2
	mov	x0, x1
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	mov	x\n, xzr
	.endr
	eret
	dsb	nsh				// no speculation past the eret
	isb
