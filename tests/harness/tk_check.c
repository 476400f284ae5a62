/* Checkers (tk.h: tk_step_end, tk_check_all).
 *
 * TLB maintenance is checked against a snapshot of every page-table pool
 * and of the s2page table taken at the end of the previous step:
 *  - every descriptor that was valid in the snapshot and differs now must
 *    have been covered by a TLB invalidation recorded during this step;
 *  - when an invalidation is recorded, the page that the old descriptor
 *    mapped must still have its old owner (ownership may change only after
 *    the stale translation is gone).
 * The security invariants are checked on what changed in the step (new
 * descriptors, pages whose s2page entry changed) and, by tk_check_all, over
 * the whole state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk.h"
#include "tk_check.h"
#include "tk_walk.h"

#include "fake.h"
#include "kcore/constants.h"
#include "kcore/smmu.h"
#include "kcore/state.h"

static u8 *pool_copy;
static u64 pool_bytes;
static struct s2page *s2_copy;

static char *out_buf;
static u64 out_len, out_pos, nviol;

static void viol(const char *fmt, ...)
{
	va_list ap;
	int n;

	nviol++;
	if (!out_buf || out_pos + 2 >= out_len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out_buf + out_pos, out_len - out_pos - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_pos += ((u64)n < out_len - out_pos - 1) ? (u64)n : out_len - out_pos - 1;
	out_buf[out_pos++] = '\n';
	out_buf[out_pos] = 0;
}

static void out_begin(char *buf, u64 len)
{
	out_buf = buf;
	out_len = len;
	out_pos = 0;
	if (buf && len)
		buf[0] = 0;
}

static const u64 *copy_mem(u64 pa)
{
	if (pa < kc.pool_base || pa - kc.pool_base >= pool_bytes)
		return NULL;
	return (const u64 *)(pool_copy + (pa - kc.pool_base));
}

static u64 ram_index(u64 pfn)
{
	return pfn - (KCORE_RAM_BASE >> PAGE_SHIFT);
}

static bool is_ram(u64 pfn)
{
	return pfn >= (KCORE_RAM_BASE >> PAGE_SHIFT) && ram_index(pfn) < kc.ram_pages;
}

/* D60: the pfns [first, end) of slot's pinned extent (end == first if none). */
static void pin_extent(u32 slot, u64 *first, u64 *end)
{
	const struct phys_range *r = &kc.pin[slot];

	*first = r->base >> PAGE_SHIFT;
	*end = r->size ? ((r->base + r->size - 1) >> PAGE_SHIFT) + 1 : *first;
}

/* How many pinned extents cover pfn: each holds one count of the page. */
static u32 pins_of(u64 pfn)
{
	u32 n = 0;
	u64 first, end;

	for (u32 s = 0; s < KCORE_PIN_SLOTS; s++) {
		pin_extent(s, &first, &end);
		n += pfn >= first && pfn < end;
	}
	return n;
}

/* The bump pointers at the last snapshot: DESTROY_VM (D68) moves a VM's
 * back, so a step's changed pages are those below the higher of the two. */
static struct npt_ptrs {
	u64 pgd, pud, pmd;
} npt_prev[COREVISOR + 1];

static void ptrs_save(void)
{
	for (u32 p = 0; p <= COREVISOR; p++)
		npt_prev[p] = (struct npt_ptrs){ kc.npt[p].pgd_next, kc.npt[p].pud_next, kc.npt[p].pmd_next };
}

static void snapshot(void)
{
	memcpy(pool_copy, fake_ram(kc.pool_base), pool_bytes);
	memcpy(s2_copy, kc.s2page, kc.ram_pages * sizeof(struct s2page));
	ptrs_save();
}

/* ---- ordering: checked when an invalidation is issued ----------------- */

static u64 hook_viol;
static char hook_msgs[4096];
static u64 hook_pos;

static void hook_note(u64 pfn, const char *what, u64 addr)
{
	int n;

	hook_viol++;
	if (hook_pos + 200 >= sizeof(hook_msgs))
		return;
	n = snprintf(hook_msgs + hook_pos, sizeof(hook_msgs) - hook_pos,
		     "pfn 0x%llx changed owner before the %s of its old mapping at 0x%llx\n",
		     (unsigned long long)pfn, what, (unsigned long long)addr);
	if (n > 0)
		hook_pos += (u64)n;
}

static void check_owner_kept(u64 root, u32 root_level, u64 va, const char *what)
{
	u32 level;
	u64 d = tk_walk_leaf(copy_mem, root, root_level, va, &level);
	u64 pfn;

	if (!d)
		return;
	pfn = ((d & PHYS_MASK) >> PAGE_SHIFT) + (level == 2 ? ((va >> PAGE_SHIFT) & 511) : 0);
	if (is_ram(pfn) && s2_copy[ram_index(pfn)].owner != kc.s2page[ram_index(pfn)].owner)
		hook_note(pfn, what, va);
}

/* An invalidation of a whole VMID covers every page the old table mapped:
 * each must still have its old owner. */
static char vmid_tlbi[] = "stage-2 TLBI by VMID";

static void owner_kept_leaf(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg)
{
	if (is_ram(pfn) && s2_copy[ram_index(pfn)].owner != kc.s2page[ram_index(pfn)].owner)
		hook_note(pfn, arg, gfn << PAGE_SHIFT);
}

static void tlb_hook(const struct fake_event *e)
{
	switch (e->kind) {
	case FAKE_TLBI_S2_VMID:
		if (e->a < COREVISOR)
			tk_walk_leaves(copy_mem, kc.npt[e->a].root, 0, owner_kept_leaf,
				       vmid_tlbi);
		break;
	case FAKE_TLBI_S2_IPA:
		if (e->a <= COREVISOR)
			check_owner_kept(kc.npt[e->a].root, 0, e->addr, "stage-2 TLBI");
		break;
	case FAKE_TLBI_EL2_VA:
		check_owner_kept(kc.npt[COREVISOR].root, 0, e->addr, "EL2 TLBI");
		break;
	case FAKE_SMMU_TLBI:
		if (e->a < KCORE_SMMU_NUM && e->b < KCORE_SMMU_MAX_CFG)
			check_owner_kept(spt_root(e->a, e->b), 1, e->addr, "SMMU TLBI");
		break;
	default:
		break;
	}
}

void tk_check_reset(void)
{
	if (!pool_copy) {
		pool_bytes = layout_pool_bytes();
		pool_copy = malloc(pool_bytes);
		s2_copy = malloc(KCORE_RAM_MAX_PAGES * sizeof(struct s2page));
		if (!pool_copy || !s2_copy)
			abort();
	}
	snapshot();
	fake_event_hook = tlb_hook;
	fake_events_clear();
	hook_viol = 0;
	hook_pos = 0;
}

/* ---- the security invariants, one mapping at a time ------------------- */

static void host_ok(u64 gfn, u64 pfn, u32 level)
{
	struct s2page pg = s2page_get(pfn);

	if (level != 3 || gfn != pfn)
		viol("host maps gfn 0x%llx to pfn 0x%llx at level %u (not identity 4 KB)",
		     (unsigned long long)gfn, (unsigned long long)pfn, level);
	if (pg.owner == HOSTVISOR || pg.owner == INVALID)
		return;
	if (is_vm(pg.owner) && pg.count > 0 && pg.count != INVALID)
		return;
	viol("host maps pfn 0x%llx owned by %u (count 0x%x)", (unsigned long long)pfn, pg.owner, pg.count);
}

static void vm_ok(u32 vmid, u64 gfn, u64 pfn)
{
	struct s2page pg = s2page_get(pfn);

	if (pg.owner == COREVISOR)
		viol("VM %u maps KCore page 0x%llx", vmid, (unsigned long long)pfn);
	if (kc.vminfo[vmid].state == POWEROFF || pg.owner == INVALID)
		return;
	if (pg.owner != vmid || pg.gfn != gfn)
		viol("VM %u maps gfn 0x%llx to pfn 0x%llx owned by %u at gfn 0x%llx", vmid,
		     (unsigned long long)gfn, (unsigned long long)pfn, pg.owner, (unsigned long long)pg.gfn);
}

static void dev_ok(u32 ctx, u64 gfn, u64 pfn)
{
	u32 owner = kc.smmu_vmid[ctx];
	struct s2page pg = s2page_get(pfn);

	if (owner == INVALID)
		return;
	if (pg.owner != owner || pg.gfn != gfn)
		viol("device context %u (owner %u) maps iova gfn 0x%llx to pfn 0x%llx owned by %u at gfn 0x%llx",
		     ctx, owner, (unsigned long long)gfn, (unsigned long long)pfn, pg.owner,
		     (unsigned long long)pg.gfn);
}

static void mapping_ok(u32 p, u64 gfn, u64 pfn, u32 level)
{
	if (p == HOSTVISOR)
		host_ok(gfn, pfn, level);
	else if (p < COREVISOR)
		vm_ok(p, gfn, pfn);
}

/* ---- per step: diff the pools ------------------------------------------ */

struct find_table {
	u64 pa;
	u32 level;
	u64 base;
	bool found;
};

static void find_cb(u64 table, u32 level, u64 base, void *arg)
{
	struct find_table *f = arg;

	if (table == f->pa) {
		f->level = level;
		f->base = base;
		f->found = true;
	}
}

static bool event_covers(u32 kind, u32 a, u32 b, u64 addr, bool any_addr)
{
	const struct fake_event *ev = fake_events();

	for (u32 i = 0; i < fake_events_count(); i++) {
		if (ev[i].kind != kind || ev[i].a != a || ev[i].b != b)
			continue;
		if (any_addr || (ev[i].addr >> PAGE_SHIFT) == (addr >> PAGE_SHIFT))
			return true;
	}
	return false;
}

/* Principal p's changed descriptor: was it invalidated, and is the new one allowed? */
static void npt_word_changed(u32 p, u32 level, u64 va, u64 old, u64 new)
{
	bool old_leaf = (level == 3) ? (old & 3) == 3 : (old & 3) == 1;

	if (old & PTE_VALID) {
		bool ok;

		if (p == COREVISOR)
			ok = old_leaf && level == 3 && event_covers(FAKE_TLBI_EL2_VA, COREVISOR, 0, va, false);
		else
			ok = event_covers(FAKE_TLBI_S2_VMID, p, 0, 0, true) ||
			     (old_leaf && level == 3 && event_covers(FAKE_TLBI_S2_IPA, p, 0, va, false));
		if (!ok)
			viol("principal %u: descriptor at va 0x%llx (level %u) changed 0x%llx -> 0x%llx without TLB invalidation",
			     p, (unsigned long long)va, level, (unsigned long long)old, (unsigned long long)new);
	}
	if (level == 3 && (new & 3) == 3)
		mapping_ok(p, va >> PAGE_SHIFT, (new & PHYS_MASK) >> PAGE_SHIFT, 3);
	if (level == 2 && (new & 3) == 1)
		for (u64 k = 0; k < 512; k++)
			mapping_ok(p, (va >> PAGE_SHIFT) + k, ((new & PHYS_MASK) >> PAGE_SHIFT) + k, 2);
}

static void spt_word_changed(u32 index, u32 cbndx, u32 level, u64 va, u64 old, u64 new)
{
	if ((old & PTE_VALID) && !event_covers(FAKE_SMMU_TLBI_CTX, index, cbndx, 0, true) &&
	    !(level == 3 && event_covers(FAKE_SMMU_TLBI, index, cbndx, va, false)))
		viol("SMMU %u/%u: descriptor at iova 0x%llx (level %u) changed 0x%llx -> 0x%llx without TLB invalidation",
		     index, cbndx, (unsigned long long)va, level, (unsigned long long)old, (unsigned long long)new);
	if (level == 3 && (new & 3) == 3)
		dev_ok(smmu_id(index, cbndx), va >> PAGE_SHIFT, (new & PHYS_MASK) >> PAGE_SHIFT);
}

static void page_changed(u64 pa)
{
	const u64 *old = copy_mem(pa), *new = fake_ram(pa);
	struct find_table f = { pa, 0, 0, false };

	for (u32 p = 0; p <= COREVISOR && !f.found; p++) {
		struct pool_bounds b = pool_bounds(p);

		if (pa < b.start || pa >= b.end)
			continue;
		tk_walk_tables(copy_mem, kc.npt[p].root, 0, find_cb, &f);
		if (!f.found)
			return; /* a page newly taken from the pool: nothing was valid */
		for (u64 i = 0; i < 512; i++)
			if (old[i] != new[i])
				npt_word_changed(p, f.level, f.base + (i << tk_shift(f.level)), old[i], new[i]);
		return;
	}
	for (u32 index = 0; index < KCORE_SMMU_NUM; index++) {
		for (u32 cb = 0; cb < KCORE_SMMU_MAX_CFG; cb++) {
			tk_walk_tables(copy_mem, spt_root(index, cb), 1, find_cb, &f);
			if (!f.found)
				continue;
			for (u64 i = 0; i < 512; i++)
				if (old[i] != new[i])
					spt_word_changed(index, cb, f.level, f.base + (i << tk_shift(f.level)),
							 old[i], new[i]);
			return;
		}
	}
}

/* A page whose owner, count or gfn changed: recheck who maps it. */
static void s2page_changed(u64 pfn, const struct s2page *old, const struct s2page *new)
{
	u32 level;
	u64 d = tk_walk_leaf(tk_live_mem, kc.npt[HOSTVISOR].root, 0, pfn << PAGE_SHIFT, &level);
	u64 gfns[2] = { old->gfn, new->gfn };
	u32 pins = pins_of(pfn);

	if (d && ((d & PHYS_MASK) >> PAGE_SHIFT) == pfn)
		host_ok(pfn, pfn, level);
	if (is_vm(old->owner) && new->owner == HOSTVISOR && !tk_page_is_zero(pfn))
		viol("pfn 0x%llx went from VM %u back to the host without being scrubbed",
		     (unsigned long long)pfn, old->owner);
	/* D60: a pinned page stays the host's, one count per extent at least
	 * (tk_check_all adds the device mappings). */
	if (pins && (new->owner != HOSTVISOR || new->count < pins))
		viol("pinned pfn 0x%llx (%u extents) is now owned by %u, count %u", (unsigned long long)pfn,
		     pins, new->owner, new->count);
	for (u32 g = 0; g < 2; g++) {
		if (gfns[g] >= (1UL << 27))
			continue;
		if (is_vm(old->owner)) {
			d = tk_walk_leaf(tk_live_mem, kc.npt[old->owner].root, 0, gfns[g] << PAGE_SHIFT, &level);
			if (d && ((d & PHYS_MASK) >> PAGE_SHIFT) + (level == 2 ? (gfns[g] & 511) : 0) == pfn)
				vm_ok(old->owner, gfns[g], pfn);
		}
		for (u32 ctx = 0; ctx < EL2_SMMU_CFG_SIZE; ctx++) {
			if (kc.smmu_vmid[ctx] == INVALID)
				continue;
			d = tk_walk_leaf(tk_live_mem, spt_root(ctx / KCORE_SMMU_MAX_CFG, ctx % KCORE_SMMU_MAX_CFG), 1,
					 gfns[g] << PAGE_SHIFT, &level);
			if (d && ((d & PHYS_MASK) >> PAGE_SHIFT) == pfn)
				dev_ok(ctx, gfns[g], pfn);
		}
	}
}

static void check_page(u64 pa)
{
	if (memcmp(fake_ram(pa), copy_mem(pa), PAGE_SIZE))
		page_changed(pa);
}

static void copy_page(u64 pa)
{
	if (memcmp(fake_ram(pa), copy_mem(pa), PAGE_SIZE))
		memcpy(pool_copy + (pa - kc.pool_base), fake_ram(pa), PAGE_SIZE);
}

static void for_each_range(u64 from, u64 to, void (*fn)(u64 pa))
{
	for (u64 pa = from; pa < to; pa += PAGE_SIZE)
		fn(pa);
}

static u64 max_u64(u64 a, u64 b)
{
	return a > b ? a : b;
}

/* Every page-table page in use, now or at the last snapshot: each
 * principal's root and the pages below its bump pointers, the SMMU roots
 * and the SMMU pool below its pointers. */
static void for_each_pool_page(void (*fn)(u64 pa))
{
	for (u32 p = 0; p <= COREVISOR; p++) {
		struct pool_bounds b = pool_bounds(p);

		for_each_range(b.start, max_u64(kc.npt[p].pgd_next, npt_prev[p].pgd), fn);
		for_each_range(b.pud_start, max_u64(kc.npt[p].pud_next, npt_prev[p].pud), fn);
		for_each_range(b.pmd_start, max_u64(kc.npt[p].pmd_next, npt_prev[p].pmd), fn);
	}
	for_each_range(spt_root(0, 0), spt_pool_start(), fn);
	for_each_range(spt_pool_start(), kc.spt.pgd_next, fn);
	for_each_range(spt_pmd_start(), kc.spt.pmd_next, fn);
}

static bool page_in_use(u64 pa)
{
	for (u32 p = 0; p <= COREVISOR; p++) {
		struct pool_bounds b = pool_bounds(p);

		if ((pa >= b.start && pa < kc.npt[p].pgd_next) || (pa >= b.pud_start && pa < kc.npt[p].pud_next) ||
		    (pa >= b.pmd_start && pa < kc.npt[p].pmd_next))
			return true;
	}
	return (pa >= spt_root(0, 0) && pa < spt_pool_start()) ||
	       (pa >= spt_pool_start() && pa < kc.spt.pgd_next) || (pa >= spt_pmd_start() && pa < kc.spt.pmd_next);
}

static void s2page_changed_at(u64 i)
{
	s2page_changed((KCORE_RAM_BASE >> PAGE_SHIFT) + i, &s2_copy[i], &kc.s2page[i]);
	s2_copy[i] = kc.s2page[i];
}

u64 tk_step_end(char *buf, u64 len)
{
	out_begin(buf, len);
	nviol = 0;
	if (hook_viol) {
		nviol += hook_viol;
		if (buf && len > hook_pos + 1) {
			memcpy(buf, hook_msgs, hook_pos + 1);
			out_pos = hook_pos;
		}
	}
	/* Only pages handed out by the pools can change (tk_check_all checks
	 * that the rest stay zero). Check every changed page first
	 * (page_changed reads the old copy of the whole tree), then bring the
	 * copies up to date. */
	for (int pass = 0; pass < 2; pass++)
		for_each_pool_page(pass ? copy_page : check_page);
	for (u64 i = 0; i < kc.ram_pages; i += 256) {
		u64 n = kc.ram_pages - i < 256 ? kc.ram_pages - i : 256;

		if (!memcmp(&s2_copy[i], &kc.s2page[i], n * sizeof(struct s2page)))
			continue;
		for (u64 j = i; j < i + n; j++)
			if (memcmp(&s2_copy[j], &kc.s2page[j], sizeof(struct s2page)))
				s2page_changed_at(j);
	}
	ptrs_save();
	fake_events_clear();
	hook_viol = 0;
	hook_pos = 0;
	hook_msgs[0] = 0;
	return nviol;
}

/* ---- the whole state ---------------------------------------------------- */

static u32 *dev_count;
/* D60: per RAM page, the pinned extents covering it. */
static u32 *pin_count;

/* Every pinned extent: host RAM only, its pages counted in pin_count, and
 * kc.pinned_pages their total. */
static void all_pins(void)
{
	u64 pages = 0, first, end;

	for (u32 s = 0; s < KCORE_PIN_SLOTS; s++) {
		pin_extent(s, &first, &end);
		if (!kc.pin[s].size && kc.pin[s].base)
			viol("pin slot %u: no extent, but base 0x%llx", s, (unsigned long long)kc.pin[s].base);
		for (u64 pfn = first; pfn < end; pfn++) {
			if (!is_ram(pfn) || s2page_get(pfn).owner != HOSTVISOR) {
				viol("pin slot %u covers pfn 0x%llx, not host RAM", s, (unsigned long long)pfn);
				break;
			}
			pin_count[ram_index(pfn)]++;
		}
		pages += end - first;
	}
	if (pages != kc.pinned_pages)
		viol("pinned_pages %llu, the extents have %llu pages", (unsigned long long)kc.pinned_pages,
		     (unsigned long long)pages);
}

static void all_host_leaf(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg)
{
	host_ok(gfn, pfn, level);
}

static void all_vm_leaf(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg)
{
	vm_ok((u32)(uintptr_t)arg, gfn, pfn);
}

static void all_dev_leaf(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg)
{
	u32 ctx = (u32)(uintptr_t)arg;

	dev_ok(ctx, gfn, pfn);
	if (is_ram(pfn))
		dev_count[ram_index(pfn)]++;
	dev_count[kc.ram_pages + ctx]++;
}

u64 tk_check_all(char *buf, u64 len)
{
	out_begin(buf, len);
	nviol = 0;
	dev_count = calloc(kc.ram_pages + EL2_SMMU_CFG_SIZE, sizeof(u32));
	pin_count = calloc(kc.ram_pages, sizeof(u32));
	if (!dev_count || !pin_count)
		abort();
	all_pins();
	tk_walk_leaves(tk_live_mem, kc.npt[HOSTVISOR].root, 0, all_host_leaf, NULL);
	for (u32 v = 1; v < COREVISOR; v++)
		tk_walk_leaves(tk_live_mem, kc.npt[v].root, 0, all_vm_leaf, (void *)(uintptr_t)v);
	for (u32 ctx = 0; ctx < EL2_SMMU_CFG_SIZE; ctx++)
		if (kc.smmu_vmid[ctx] != INVALID)
			tk_walk_leaves(tk_live_mem, spt_root(ctx / KCORE_SMMU_MAX_CFG, ctx % KCORE_SMMU_MAX_CFG), 1,
				       all_dev_leaf, (void *)(uintptr_t)ctx);
	{
		/* D68: each VM's page count is the number of pages it owns. */
		u64 owned[COREVISOR] = { 0 };

		for (u64 i = 0; i < kc.ram_pages; i++)
			if (is_vm(kc.s2page[i].owner))
				owned[kc.s2page[i].owner]++;
		for (u32 v = 1; v < COREVISOR; v++)
			if (owned[v] != kc.vm_pages[v])
				viol("VM %u owns %llu pages but counts %llu (D68)", v,
				     (unsigned long long)owned[v], (unsigned long long)kc.vm_pages[v]);
		if (kc.vm_pages[HOSTVISOR] != 0)
			viol("the host's slot of the VM page counts is %llu", (unsigned long long)kc.vm_pages[0]);
	}
	for (u64 i = 0; i < kc.ram_pages; i++) {
		u64 pfn = (KCORE_RAM_BASE >> PAGE_SHIFT) + i;
		const struct s2page *pg = &kc.s2page[i];

		if ((pfn << PAGE_SHIFT) >= kc.core_start && (pfn << PAGE_SHIFT) < kc.core_end &&
		    pg->owner != COREVISOR)
			viol("KCore page 0x%llx owned by %u", (unsigned long long)pfn, pg->owner);
		/* D31, D60: a host page counts its device mappings and its pins. */
		if (pg->owner == HOSTVISOR && pg->count != dev_count[i] + pin_count[i])
			viol("host page 0x%llx has count %u but %u device mappings and %u pin extents",
			     (unsigned long long)pfn, pg->count, dev_count[i], pin_count[i]);
	}
	for (u64 pa = kc.pool_base; pa < kc.pool_base + pool_bytes; pa += PAGE_SIZE)
		if (!page_in_use(pa) && !tk_page_is_zero(pa >> PAGE_SHIFT))
			viol("pool page 0x%llx is not in use but not zero", (unsigned long long)pa);
	for (u32 ctx = 0; ctx < EL2_SMMU_CFG_SIZE; ctx++)
		if (kc.smmu_vmid[ctx] != INVALID && kc.smmu_nr_mapped[ctx] != dev_count[kc.ram_pages + ctx])
			viol("device context %u counts %u mappings, its table has %u", ctx,
			     kc.smmu_nr_mapped[ctx], dev_count[kc.ram_pages + ctx]);
	/* D42: the hardware's stream table is the core's, and no device is
	 * attached to a free context. */
	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++) {
			u32 cb = kc.smmu_stream[i][s];
			u32 hw = fake_stream_ctx(i, s);

			if (cb != SMMU_NO_CTX && (cb >= KCORE_SMMU_MAX_CFG ||
						  kc.smmu_vmid[smmu_id(i, cb)] == INVALID))
				viol("stream %u of SMMU %u attached to free context %u", s, i, cb);
			if ((cb == SMMU_NO_CTX) != (hw == FAKE_STREAM_DETACHED) ||
			    (cb != SMMU_NO_CTX && cb != hw))
				viol("stream %u of SMMU %u: core says context %u, SMMU %u", s, i, cb, hw);
		}
	free(dev_count);
	free(pin_count);
	dev_count = NULL;
	pin_count = NULL;
	return nviol;
}
