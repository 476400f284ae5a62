/* The `reset` scenario's fixed addresses (tests/qemu/host/reset.c), for C
 * and for start.S: only #defines of plain numbers. */
#ifndef KCORE_TEST_RESET_H
#define KCORE_TEST_RESET_H

/* The image's extent (start.S) reaches here: [HOST_IMAGE_BASE,
 * RESET_KEEP_END) is the host's boot payload, which KCore keeps unzeroed
 * at boot and QEMU does not reload beyond the ELF. The VM lives in it, so
 * only KCore's scrub before the reset can clear its pages. */
#define RESET_KEEP_END 0x4C800000
#define RESET_VM_BASE 0x4C000000   /* image, pool, 2 MB block: 4 MB (host.c) */
#define RESET_VM_SIZE 0x400000
/* The spin VM that CPU 1 keeps running while CPU 0 resets: its image
 * page and its run page (in the kept payload too). */
#define RESET_SPIN_IMG 0x4C600000
#define RESET_SPIN_RUN 0x4C601000
/* Host pages outside the payload, written before the reset: only KCore's
 * boot zeroing clears them. */
#define RESET_HOST_PAGE0 0x60000000
#define RESET_HOST_PAGE1 0x7FFFF000 /* the last page of 1 GB of RAM */
#define RESET_RAM_END 0x80000000

#endif
