/* KCore's EL2 image at a fixed physical address (boot/platform.h). The
 * page-table pools are not part of the image: boot/main.c places them after
 * __image_end at run time (their size is layout_pool_bytes()). */
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
	. = KCORE_IMAGE_BASE;
	__image_start = .;
	.text : {
		KEEP(*(.text.boot))
		*(.text .text.*)
	} :text
	. = ALIGN(4096);
	__text_end = .;
	.rodata : { *(.rodata .rodata.*) } :rodata
	. = ALIGN(4096);
	__rodata_end = .;
	.data : { *(.data .data.*) } :data
	. = ALIGN(16);
	__bss_start = .;
	.bss (NOLOAD) : {
		*(.bss .bss.*)
		*(COMMON)
	} :data
	. = ALIGN(4096);
	__bss_end = .;
	__image_end = .;
	/DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame*) }
}
