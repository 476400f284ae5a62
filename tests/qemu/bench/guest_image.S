/* The bench guest (tests/qemu/bench/guest.S, flat binary), embedded in the
 * bench host, which copies it into pages of its own for REMAP_VM_IMAGE. */
	.section .rodata
	.balign	4096
	.global	bench_guest_image, bench_guest_image_end
bench_guest_image:
	.incbin	"build/qemu/bench-guest.signed.bin"
bench_guest_image_end:
