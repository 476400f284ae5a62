/* The bare-metal test host: one image at HOST_IMAGE_BASE, loaded by QEMU's
 * generic loader (-device loader,file=host-*.elf) and entered by KCore at
 * EL1 with the MMU off. */
#include "platform.h"

OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)
ENTRY(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);	/* R X */
	rodata PT_LOAD FLAGS(4);	/* R */
	data PT_LOAD FLAGS(6);	/* R W */
}

SECTIONS
{
	. = HOST_IMAGE_BASE;
	.text : {
		KEEP(*(.text.boot))
		*(.text .text.*)
	} :text
	. = ALIGN(4096);
	.rodata : { *(.rodata .rodata.*) } :rodata
	. = ALIGN(4096);
	.data : { *(.data .data.*) } :data
	. = ALIGN(16);
	__host_bss_start = .;
	.bss (NOLOAD) : {
		*(.bss .bss.*)
		*(COMMON)
	} :data
	. = ALIGN(16);
	__host_bss_end = .;
	. = ALIGN(4096);
	__host_image_end = .; /* the extent in the header (start.S) */
	/DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame*) }
}
