/* The owner table (the spec's s2page), indexed by RAM pfn. Frames outside
 * RAM are not stored: they read as "not RAM" (owner INVALID), except the
 * MMIO that KCore keeps for itself, which reads as owned by COREVISOR so
 * that no map path (host fault, MAP_IO) can hand it out. */
#include "kcore/arch.h"
#include "kcore/state.h"

#define RAM_BASE_PFN (KCORE_RAM_BASE >> PAGE_SHIFT)

/* pfn_is_ram and s2page_get (the spec's `pfn @ s2page`) are inline in
 * include/kcore/state.h: every owner test of every path reads them. */

/* spec: s2page # pfn == page. Callers only change RAM pages (they check the
 * owner first, and non-RAM never has an owner they accept). */
void s2page_set(pfn_t pfn, struct s2page page)
{
	lock_assert_held(S2PAGE_ID);
	if (!pfn_is_ram(pfn))
		arch_halt("s2page_set: not RAM", pfn, page.owner);
	kc.s2page[pfn - RAM_BASE_PFN] = page;
}

/* D68: s2page_set where the owner may change, keeping kc.vm_pages. (The
 * count-only changes, grant, revoke, pins, device mappings, keep plain
 * s2page_set: their hot paths pay nothing for D68.) */
void s2page_set_owner(pfn_t pfn, struct s2page page)
{
	lock_assert_held(S2PAGE_ID);
	if (!pfn_is_ram(pfn))
		arch_halt("s2page_set_owner: not RAM", pfn, page.owner);
	vm_pages_moved(kc.s2page[pfn - RAM_BASE_PFN].owner, page.owner);
	kc.s2page[pfn - RAM_BASE_PFN] = page;
}

/* The owner entries of the n RAM frames from pfn, for a loop over a 2 MB
 * block that tests "is RAM" once; NULL if any of them is not RAM. Writes
 * through it need S2PAGE, as s2page_set. */
struct s2page *s2page_ram_span(pfn_t pfn, u64 n)
{
	if (!pfn_is_ram(pfn) || n > kc.ram_pages - (pfn - RAM_BASE_PFN))
		return NULL;
	return &kc.s2page[pfn - RAM_BASE_PFN];
}
