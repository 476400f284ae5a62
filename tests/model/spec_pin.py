"""D60 (outside HighSpecs: the spec has no device tables): host pages pinned for the
devices KCore mediates, the twin of kcore/pin.c.

The GIC's ITS and redistributors write host RAM at addresses the host programs. A
table base goes through only once every page of its extent is the host's, and those
pages stay pinned while the device may use them: each extent covering a page adds
one to its s2page count, and every path that takes a page from the host refuses a
count != 0 (-KE_BUSY). On a host page the count also tallies its device mappings
(D31); the two only add.

The state: `pin`, one (base, size) extent per slot (size 0: none, base 0 then), and
`pinned_pages`, the pages of all extents together. The bounds come from the C build
through the Layout: pin_slots (KCORE_PIN_SLOTS) and pin_max_pages
(KCORE_PIN_MAX_PAGES, profile dependent).
"""

try:
    from .constants import *  # noqa: F401,F403
    from .spec_mem import ModelHalt
except ImportError:  # run as a script from tests/model
    from constants import *  # noqa: F401,F403
    from spec_mem import ModelHalt

MASK32 = (1 << 32) - 1


def extent_pfns(base, size):
    """The pfns an extent covers (extent_pfns in C): base's page to the page of its
    last byte, so an unaligned extent covers its partial pages; none if size is 0."""
    first = base // PAGE_SIZE
    return range(first, (base + size - 1) // PAGE_SIZE + 1 if size else first)


class PinSpec:
    """Mixin of Model: kcore_host_pin."""

    def _pin_count(self, extent, pin):
        """extent_count in C: each page's count +1 (pin) or -1 (release). Every page
        of an extent is the host's while pinned (no path takes it), so anything else
        is R5 (arch_halt)."""
        for pfn in extent_pfns(*extent):
            owner, count, gfn = self.s2page(pfn)
            if owner != HOSTVISOR or (not pin and count == 0):
                raise ModelHalt('pin: a pinned page is not the host\'s: %#x' % pfn)  # R5
            self._s2page_set(pfn, (owner, count + 1 if pin else count - 1, gfn))

    def host_pin(self, slot, base, size):
        """local_host_pin: slot's extent becomes [base, base + size), the old one is
        released. Every check first, in the C's order; a refusal changes nothing."""
        slot, base, size = slot & MASK32, base & MASK64, size & MASK64  # u32 slot, u64s
        if not slot < self.L.pin_slots:
            return -KE_RANGE
        if size != 0 and (not base < KVM_ADDR_SPACE or size > KVM_ADDR_SPACE - base):
            return -KE_RANGE  # R3: no wrap, nothing past the address space
        if size > self.L.pin_max_pages * PAGE_SIZE:
            return -KE_FULL  # before the owner loop: it stays short
        if size == 0:
            base = 0
        new = extent_pfns(base, size)
        if any(self.s2page(pfn)[0] != HOSTVISOR for pfn in new):
            return -KE_OWNER
        old = self.pin[slot]
        total = self.pinned_pages - len(extent_pfns(*old)) + len(new)
        if total > self.L.pin_max_pages:
            return -KE_FULL
        # The new extent first: a page in both never drops to 0 between.
        self._pin_count((base, size), True)
        self._pin_count(old, False)
        self.pinned_pages = total
        self.pin[slot] = (base, size)
        return 0

    def pin_table(self):
        """(the extents, one (base, size) per slot; the pinned-page total)."""
        return tuple(self.pin), self.pinned_pages

    def pin_cover(self):
        """pfn -> the number of extents covering it (each gave it one count)."""
        cover = {}
        for extent in self.pin:
            for pfn in extent_pfns(*extent):
                cover[pfn] = cover.get(pfn, 0) + 1
        return cover
