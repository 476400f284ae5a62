/* Zeroing memory in bulk and pushing the zeros to the point of coherency:
 * the boot's zeroing of the host's RAM (boot/ram_zero.c) and the scrub of
 * VM pages before a reset (arch/arm64/reset.c). Through KCore's EL2 linear
 * map (RAM is Normal write-back there: DC ZVA faults on Device memory, so
 * never with the MMU off). */
#include "el2.h"
#include "home.h"
#include "sysreg.h"

#define DCZID_DZP (1UL << 4) /* DC ZVA prohibited */
#define CHUNK 4096UL         /* zeroed, then cleaned, while its lines are still in cache */

/* The DC ZVA block in bytes (DCZID_EL0.BS: log2 of the size in words), or
 * 0 if DC ZVA is prohibited (DZP) and stores must do. */
u64 zero_block_size(void)
{
	u64 dczid = read_sysreg(dczid_el0);

	return (dczid & DCZID_DZP) ? 0 : 4UL << (dczid & 0xF);
}

static void zero_stores(u64 va, u64 size)
{
	for (u64 a = va; a < va + size; a += 16)
		__asm__ volatile("stp xzr, xzr, [%0]" : : "r"(a) : "memory");
}

static void zero_dczva(u64 va, u64 size, u64 block)
{
	for (u64 a = va; a < va + size; a += block)
		__asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
}

/* One chunk with 64-byte blocks and lines: each line read first, zeroed
 * (DC ZVA) only if it is not zero already, and cleaned (DC CVAC) either
 * way, so that a dirty cached line of zeros over other bytes in memory
 * reaches PoC too. Why read first: writing zeros over zeros costs the same
 * on hardware, but on QEMU every write of untouched guest RAM makes the
 * host kernel allocate and clear its page (1 GB, 0.1 s to 2 s of system
 * time per boot, and the QEMU process 1 GB larger); a read maps its zero
 * page. Measured: README, "Measured figures". */
static void zero_clean_64(u64 va)
{
	for (u64 a = va; a < va + CHUNK; a += 64) {
		const u64 *w = (const u64 *)a;

		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			__asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	}
}

/* Zero [pa, pa + size) (page aligned) and clean it to PoC: after a reset,
 * or to an observer with the caches off (the host's MMU off, a DMA master),
 * memory is what the point of coherency holds, not a dirty line of zeros.
 * Chunk by chunk, so that each line is cleaned while it is still cached.
 * DSB SY at the end: complete for every observer before the caller goes on
 * (enters the host, or hands the reset to the firmware). */
void zero_clean_poc(phys_addr_t pa, u64 size)
{
	u64 block = zero_block_size();
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xF); /* DminLine */

	for (u64 va = pa; va < pa + size; va += CHUNK) {
		if (block == 64 && line == 64) { /* the Cortex-A72's, and QEMU's */
			zero_clean_64(va);
			continue;
		}
		if (block >= 16 && block <= CHUNK)
			zero_dczva(va, CHUNK, block);
		else
			zero_stores(va, CHUNK);
		for (u64 a = va; a < va + CHUNK; a += line)
			__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	}
	dsb(sy);
}
