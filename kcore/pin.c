/* Host pages pinned for the devices KCore mediates (D60): the GIC's ITS and
 * redistributors write memory at addresses the host programs (LPI property
 * and pending tables, the ITS's device, collection and command tables, each
 * device's interrupt translation table). KCore lets a table base through
 * only once every page of its extent is the host's RAM, and pins those
 * pages for as long as the device may use them: each extent covering a page
 * adds one to its s2page count, and every path that takes a page from the
 * host refuses one whose count is not 0 (-KE_BUSY), so a pinned page is
 * never a VM's or KCore's while the device can still write it.
 *
 * On a host page the count also tallies the page's device mappings through
 * host SMMU contexts (smmu/smmu.c); the two only add. The extents are kept
 * here, one per slot, so that a release undoes exactly what was pinned. */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

/* The pfns [first, end) an extent covers; end == first if it is empty. */
static void extent_pfns(struct phys_range r, pfn_t *first, pfn_t *end)
{
	*first = r.base / PAGE_SIZE;
	*end = r.size ? (r.base + r.size - 1) / PAGE_SIZE + 1 : *first;
}

static void extent_count(struct phys_range r, bool pin)
{
	pfn_t pfn, end;

	extent_pfns(r, &pfn, &end);
	for (; pfn < end; pfn++) {
		struct s2page page = s2page_get(pfn);

		if (page.owner != HOSTVISOR || (!pin && page.count == 0))
			arch_halt("pin: a pinned page is not the host's", pfn, page.owner);
		page.count += pin ? 1 : -1U;
		s2page_set(pfn, page);
	}
}

/* D60 (outside HighSpecs: the spec has no device tables). */
long local_host_pin(u32 slot, u64 base, u64 size)
{
	struct phys_range now = { base, size };
	pfn_t pfn, end, old_first, old_end;

	lock_assert_held(S2PAGE_ID);
	if (slot >= KCORE_PIN_SLOTS)
		return -KE_RANGE;
	if (size != 0 && (!r3_addr(base) || size > KVM_ADDR_SPACE - base))
		return -KE_RANGE;
	if (size > KCORE_PIN_MAX_PAGES * PAGE_SIZE)
		return -KE_FULL;
	if (size == 0)
		now.base = 0;
	extent_pfns(now, &pfn, &end);
	for (pfn_t p = pfn; p < end; p++)
		if (s2page_get(p).owner != HOSTVISOR)
			return -KE_OWNER;
	extent_pfns(kc.pin[slot], &old_first, &old_end);
	if (kc.pinned_pages - (old_end - old_first) + (end - pfn) > KCORE_PIN_MAX_PAGES)
		return -KE_FULL;
	/* The new extent first: a page in both never drops to 0 between. */
	extent_count(now, true);
	extent_count(kc.pin[slot], false);
	kc.pinned_pages = kc.pinned_pages - (old_end - old_first) + (end - pfn);
	kc.pin[slot] = now;
	return 0;
}
