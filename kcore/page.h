/* Private helpers shared by KCore's memory modules (kcore/init.c, npt.c,
 * mem_*.c). Not part of the interface other modules see (state.h). */
#ifndef KCORE_PAGE_H
#define KCORE_PAGE_H

#include "kcore/constants.h"
#include "kcore/types.h"

/* R3 bounds (docs/deviations.md): a physical frame, and an IPA or a
 * physical address, must lie in the KVM_ADDR_SPACE. */
static inline bool r3_pfn(pfn_t pfn)
{
	return pfn < (KVM_ADDR_SPACE >> PAGE_SHIFT);
}

static inline bool r3_addr(u64 addr)
{
	return addr < KVM_ADDR_SPACE;
}

/* Zero one 4 KB page through KCore's linear map, then clean it to the
 * point of coherency (a table walker or a device may read it next). */
void page_zero(phys_addr_t pa);

/* host-unmap(pfn) of docs/deviations.md: if the host's table maps gfn pfn,
 * remove that entry (as npt_map to PAGE_GUEST would: written 0, then the
 * TLB invalidated; npt_unmap_page, one walk).
 * Needs NPT(HOSTVISOR). It cannot fail: the entry exists, so no table is
 * allocated, and the host's table holds no blocks; a failure halts (R5). */
void host_unmap(pfn_t pfn);

/* Remove p's level-3 entry for addr if there is one (written 0, then
 * invalidated), in one walk. Needs NPT(p). */
bool npt_unmap_page(vmid_t p, u64 addr);

/* The host-unmap of the pages of the 2 MB block at `base` whose bit is set
 * in `which`: one walk, one invalidation (by VMID) for all of them. Needs
 * NPT(p); p is not COREVISOR. */
void npt_unmap_pages_2m(vmid_t p, u64 base, const u64 which[PTRS_PER_PMD / 64]);

/* For range loops over a principal's table: the next gfn after `gfn` that
 * can be mapped, skipping the rest of a table that does not exist (every
 * gfn skipped has npt_lookup level 0). Needs NPT(p). */
gfn_t npt_next_gfn(vmid_t p, gfn_t gfn);

#endif
