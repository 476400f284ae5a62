/* The bench guest (tests/qemu/bench/guest.S, flat binary), embedded in the
 * bench host, which copies it into pages of its own for REMAP_VM_IMAGE. */
	.section .rodata
	.balign	4096
	.global	bench_guest_image, bench_guest_image_end
bench_guest_image:
	.incbin	"build/qemu/bench-guest.signed.bin"
bench_guest_image_end:
/* A 1 MB signed image (payload of a fixed pattern, signed for 0x40000000 by
 * the build): VERIFY_VM's cost per byte. */
	.balign	4096
	.global	bench_big_image, bench_big_image_end
bench_big_image:
	.incbin	"build/qemu/bench-big.signed.bin"
bench_big_image_end:
