/* The guest image (tests/qemu/guests, flat binary), embedded in the test
 * host: the host copies it into pages of its own and hands them to KCore. */
	.section .rodata
	.balign	4096
	.global	guest_image, guest_image_end
guest_image:
	.incbin	"build/qemu/guest.signed.bin"
guest_image_end:
