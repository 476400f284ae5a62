/* QEMU virt as KCore's standalone boot sees it: fixed addresses shared by
 * the EL2 image (boot/), its linker script and the test host (tests/qemu).
 * The memory map is documented in docs/qemu.md. Also included by the
 * linker scripts, so: only #defines of plain numbers here. */
#ifndef KCORE_BOOT_PLATFORM_H
#define KCORE_BOOT_PLATFORM_H

#define QEMU_UART_BASE 0x09000000   /* PL011 */
/* GICv2 only (gic-version=2, the Raspberry Pi 4's GIC): the virtual
 * interface control (GICH, KCore's) and the virtual CPU interface (GICV,
 * which a host maps into its VMs at their GICC address). */
#define QEMU_GICV2_GICH_BASE 0x08030000
#define QEMU_GICV2_GICV_BASE 0x08040000
#define QEMU_GICV2_GICC_BASE 0x08010000
#define QEMU_DTB_BASE 0x40000000    /* where QEMU puts the DTB for an ELF -kernel */
#define KCORE_IMAGE_BASE 0x40200000 /* KCore's image, then its pools (2 MB aligned) */
#define HOST_IMAGE_BASE 0x48000000  /* the host's entry point (its image starts here) */
/* The host image carries this 64-bit word at HOST_IMAGE_BASE + 8 ("KCHOST01"). */
#define HOST_IMAGE_MAGIC 0x313054534F48434B
/* ... and at HOST_IMAGE_BASE + 16 its extent: the bytes from HOST_IMAGE_BASE
 * it occupies (what was loaded, its BSS, and any memory it reserves after
 * them for itself, as the image_size of Linux's Image header). KCore keeps
 * these bytes as the loader left them and zeroes the rest of the host's RAM
 * (boot/ram_zero.c); at most HOST_IMAGE_MAX_SIZE. */
#define HOST_IMAGE_EXTENT_OFF 16
#define HOST_IMAGE_MAX_SIZE 0x8000000 /* 128 MB */
#define EL2_STACK_SIZE 0x4000       /* per CPU */
#define BOOT_MAX_CPUS 8             /* = KCORE_MAX_CPUS, for start.S (checked in arch/arm64/smp.c) */

#endif
