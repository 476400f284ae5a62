/* The guest image (tests/qemu/guests, flat binary), signed for its load
 * IPA (scripts/sign-image), embedded in the test host: the host copies it
 * into pages of its own and hands them to KCore. The `images` scenario also
 * has it signed with a key KCore does not know. */
	.section .rodata
	.balign	4096
	.global	guest_image, guest_image_end
guest_image:
	.incbin	"build/qemu/guest.signed.bin"
guest_image_end:
	.balign	4096
	.global	guest_image_otherkey, guest_image_otherkey_end
guest_image_otherkey:
	.incbin	"build/qemu/guest.otherkey.bin"
guest_image_otherkey_end:

#ifdef SCENARIO_PMU
/* The counting guest of the `pmu` scenario (tests/qemu/guests/loop.S), signed. */
	.section .rodata
	.balign	16
	.global	loop_image, loop_image_end
loop_image:
	.incbin	"build/qemu/loop.signed.bin"
loop_image_end:
#endif
