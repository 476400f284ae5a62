/* Each principal's page table (the spec's NPT): a real ARMv8 four-level
 * table with 4 KB granule, read and written through KCore's linear map.
 * HOSTVISOR's and the VMs' tables are stage 2; COREVISOR's is KCore's own
 * EL2 stage 1 (the image remap window).
 *
 *   root (pool start)               index addr[47:39]
 *   pud tables [start+4K, pud_start) index addr[38:30], from pgd_next
 *   pmd tables [pud_start, pmd_start) index addr[29:21], from pud_next
 *   pte tables [pmd_start, pool_end) index addr[20:12], from pmd_next
 *
 * The spec's pgd_t/pud_t/pmd_t flags ("this table exists") are the table
 * descriptors themselves, and its abstract map pt is what npt_lookup reads
 * from the leaves. KCore writes only four kinds of descriptor: 0, a table
 * (next-table address | 3), a level-2 block (bit 1 clear) and a level-3
 * page (bits 1:0 = 3); any other content is a broken invariant (R5). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

#define PGD_SHIFT 39
#define PUD_SHIFT 30
#define PMD_SHIFT 21
#define NPT_ADDR_LIMIT (1UL << 48) /* four levels translate 48 bits */
#define DESC_TABLE (PTE_TABLE | PTE_VALID)
#define DESC_BLOCK PTE_VALID

/* Pointers to the entries translating one address, one per table level;
 * NULL from the first table that does not exist. */
struct npt_walk {
	u64 *pgd, *pud, *pmd, *pte;
};

/* What a map needs: the walk and which tables it must allocate. */
struct npt_plan {
	struct npt_walk w;
	bool new_pud, new_pmd, new_pte;
};

static u64 npt_index(u64 addr, u32 shift)
{
	return (addr >> shift) & (PTRS_PER_PMD - 1);
}

static u64 desc_read(const u64 *d)
{
	return __atomic_load_n(d, __ATOMIC_RELAXED);
}

/* Release: a new table's zeroing is ordered before the link to it. */
static void desc_write(u64 *d, u64 v)
{
	__atomic_store_n(d, v, __ATOMIC_RELEASE);
}

static bool desc_is_block(u64 d)
{
	return (d & PTE_TYPE_MASK) == DESC_BLOCK;
}

static void npt_check_principal(vmid_t p)
{
	if (p > COREVISOR)
		arch_halt("npt: bad principal", p, 0);
}

/* The table a table descriptor links to. It must be a table descriptor with
 * no other bits, pointing at a page already handed out from [lo, next):
 * KCore only ever links pages of the principal's own pool. */
static u64 *npt_next_table(u64 desc, phys_addr_t lo, phys_addr_t next, u64 addr)
{
	phys_addr_t pa = desc & PHYS_MASK;

	if ((desc & ~PHYS_MASK) != DESC_TABLE || pa < lo || pa >= next)
		arch_halt("npt: table descriptor outside the pool", desc, addr);
	return arch_phys_to_virt(pa);
}

static struct npt_walk npt_walk(vmid_t p, u64 addr)
{
	const struct npt *t = &kc.npt[p];
	const struct pool_bounds b = t->bounds;
	struct npt_walk w = { NULL, NULL, NULL, NULL };
	u64 *table = arch_phys_to_virt(t->root);
	u64 d;

	w.pgd = &table[npt_index(addr, PGD_SHIFT)];
	d = desc_read(w.pgd);
	if (!d)
		return w;
	table = npt_next_table(d, b.start + PAGE_SIZE, t->pgd_next, addr);
	w.pud = &table[npt_index(addr, PUD_SHIFT)];
	d = desc_read(w.pud);
	if (!d)
		return w;
	table = npt_next_table(d, b.pud_start, t->pud_next, addr);
	w.pmd = &table[npt_index(addr, PMD_SHIFT)];
	d = desc_read(w.pmd);
	if (!d || desc_is_block(d))
		return w;
	table = npt_next_table(d, b.pmd_start, t->pmd_next, addr);
	w.pte = &table[npt_index(addr, PAGE_SHIFT)];
	d = desc_read(w.pte);
	if (d && (d & PTE_TYPE_MASK) != DESC_TABLE)
		arch_halt("npt: level-3 descriptor is not a page", d, addr);
	return w;
}

/* The descriptor a map at `level` writes: a level-2 one is a block (bit 1
 * clear, whatever the caller passed). Anything KCore could not read back
 * later is refused here, before it reaches a table (R5). */
static u64 npt_leaf_desc(u32 level, u64 pte, u64 addr)
{
	u64 d = level == 2 ? pte & ~PTE_TABLE : pte;
	u64 want = level == 2 ? DESC_BLOCK : DESC_TABLE;

	if (d && (d & PTE_TYPE_MASK) != want)
		arch_halt("npt: map of a descriptor KCore does not write", pte, addr);
	return d;
}

/* The checks of spec local_mmap_h, in its order: a page inside a block is
 * refused, then every table the map needs must fit in its pool part. */
static long npt_plan(vmid_t p, u64 addr, u32 level, struct npt_plan *pl)
{
	const struct npt *t = &kc.npt[p];
	const struct pool_bounds b = t->bounds;

	if (addr >= NPT_ADDR_LIMIT)
		arch_halt("npt: address beyond the table", p, addr);
	pl->w = npt_walk(p, addr);
	pl->new_pud = !pl->w.pud;
	pl->new_pmd = !pl->w.pmd;
	pl->new_pte = false;
	if (level != 2) {
		if (pl->w.pmd && desc_is_block(desc_read(pl->w.pmd)))
			return -KE_BLOCK;
		pl->new_pte = !pl->w.pte;
	}
	if (t->pgd_next + (u64)pl->new_pud * PAGE_SIZE > b.pud_start ||
	    t->pud_next + (u64)pl->new_pmd * PAGE_SIZE > b.pmd_start ||
	    t->pmd_next + (u64)pl->new_pte * PAGE_SIZE > b.end)
		return -KE_NOMEM;
	return 0;
}

/* Take the next page from one part of the pool, zero it, and link it at
 * `entry`. Returns the entry for addr in the new table. */
static u64 *npt_link(u64 *entry, phys_addr_t *next, u32 shift, u64 addr)
{
	phys_addr_t pa = *next;
	u64 *table;

	*next = pa + PAGE_SIZE;
	page_zero(pa);
	desc_write(entry, pa | DESC_TABLE);
	table = arch_phys_to_virt(pa);
	return &table[npt_index(addr, shift)];
}

/* Invalidate what the old entry at `level` may have left in a TLB. A block
 * or a replaced table covers 2 MB: the whole VMID for stage 2; for KCore's
 * own EL2 table each page (the arch boundary has no EL2-wide flush). */
static void npt_tlbi(vmid_t p, u64 addr, u32 level)
{
	u64 page = addr & ~(PAGE_SIZE - 1);
	u64 base = addr & ~(PMD_SIZE - 1);

	if (p == COREVISOR && level == 3)
		arch_tlbi_el2_va(page);
	else if (p == COREVISOR)
		for (u64 i = 0; i < PTRS_PER_PMD; i++)
			arch_tlbi_el2_va(base + i * PAGE_SIZE);
	else if (level == 3)
		arch_tlbi_s2_ipa(p, page);
	else
		arch_tlbi_s2_vmid(p);
}

/* Write a leaf. A valid entry that changes is broken first (written 0 and
 * invalidated), as the architecture requires before a new valid entry. */
static void npt_set(vmid_t p, u64 *entry, u64 desc, u64 addr, u32 level)
{
	u64 old = desc_read(entry);

	if (old == desc)
		return;
	if (old & PTE_VALID) {
		desc_write(entry, 0);
		npt_tlbi(p, addr, level);
	}
	if (desc)
		desc_write(entry, desc);
}

static void npt_commit(vmid_t p, u64 addr, u32 level, u64 desc, const struct npt_plan *pl)
{
	struct npt *t = &kc.npt[p];
	u64 *pud = pl->new_pud ? npt_link(pl->w.pgd, &t->pgd_next, PUD_SHIFT, addr) : pl->w.pud;
	u64 *pmd = pl->new_pmd ? npt_link(pud, &t->pud_next, PMD_SHIFT, addr) : pl->w.pmd;
	u64 *pte;

	if (level == 2) {
		/* An existing pte table is unlinked and its page leaks, as in
		 * the spec (pmd_t := false, pt_pmd_next unchanged). */
		npt_set(p, pmd, desc, addr, 2);
		return;
	}
	pte = pl->new_pte ? npt_link(pmd, &t->pmd_next, PAGE_SHIFT, addr) : pl->w.pte;
	npt_set(p, pte, desc, addr, 3);
}

/* spec: local_mmap_h. Any level other than 2 is the spec's level-3 branch
 * (callers check levels, D24). Nothing changes on a refusal (R1). */
long npt_map(vmid_t p, u64 addr, u32 level, u64 pte)
{
	struct npt_plan pl;
	u32 lvl = level == 2 ? 2 : 3;
	u64 desc;
	long ret;

	npt_check_principal(p);
	lock_assert_held(NPT_ID + p);
	desc = npt_leaf_desc(lvl, pte, addr);
	ret = npt_plan(p, addr, lvl, &pl);
	if (ret)
		return ret;
	npt_commit(p, addr, lvl, desc, &pl);
	return 0;
}

/* Remove p's level-3 entry for addr, if any (what npt_map(p, addr, 3, 0)
 * does to an existing entry: written 0 and invalidated), in one walk. A
 * level-2 block there is a broken invariant (R5): the host's table, the
 * one this is for, has none. Returns whether an entry was removed. */
bool npt_unmap_page(vmid_t p, u64 addr)
{
	struct npt_walk w;

	npt_check_principal(p);
	lock_assert_held(NPT_ID + p);
	if (addr >= NPT_ADDR_LIMIT)
		arch_halt("npt: address beyond the table", p, addr);
	w = npt_walk(p, addr);
	if (w.pmd && desc_is_block(desc_read(w.pmd)))
		arch_halt("npt: page unmap inside a block", p, addr);
	if (!w.pte || !desc_read(w.pte))
		return false;
	npt_set(p, w.pte, 0, addr, 3);
	return true;
}

/* The host-unmap of a whole 2 MB block of the host's table (p's level-3
 * table for the 2 MB at `base`): the entries whose bit is set in `which`
 * (bit i: the page at base + i * 4 KB) are removed in one walk, then one
 * invalidation by VMID covers them all, before the caller changes any owner.
 * The same entries become 0 as with one npt_map(..., 3, 0) per page; only
 * the TLB maintenance is coalesced (docs/deviations.md, D36). A level-2
 * block there is a broken invariant (the host's table has none, R5). */
void npt_unmap_pages_2m(vmid_t p, u64 base, const u64 which[PTRS_PER_PMD / 64])
{
	struct npt_walk w;
	u64 *pte, d;
	bool cleared = false;

	npt_check_principal(p);
	lock_assert_held(NPT_ID + p);
	if (base % PMD_SIZE != 0 || base >= NPT_ADDR_LIMIT)
		arch_halt("npt: unaligned 2 MB unmap", p, base);
	w = npt_walk(p, base);
	if (!w.pmd || !(d = desc_read(w.pmd)))
		return; /* no level-3 table: nothing mapped */
	if (desc_is_block(d))
		arch_halt("npt: 2 MB unmap over a block", p, base);
	pte = w.pte; /* entry 0 of the level-3 table */
	for (u64 i = 0; i < PTRS_PER_PMD; i++) {
		if (!(which[i / 64] & (1UL << (i % 64))) || !(d = desc_read(&pte[i])))
			continue;
		if ((d & PTE_TYPE_MASK) != DESC_TABLE)
			arch_halt("npt: level-3 descriptor is not a page", d, base + i * PAGE_SIZE);
		desc_write(&pte[i], 0);
		cleared = true;
	}
	if (cleared) {
		if (p == COREVISOR)
			arch_halt("npt: 2 MB unmap of KCore's own table", p, base);
		arch_tlbi_s2_vmid(p);
	}
}

/* HighSpecs: the refusals of local_mmap_h, changing nothing */
long npt_map_check(vmid_t p, u64 addr, u32 level)
{
	struct npt_plan pl;

	npt_check_principal(p);
	lock_assert_held(NPT_ID + p);
	return npt_plan(p, addr, level == 2 ? 2 : 3, &pl);
}

/* Whether ranges j < i already cover region r (of 2^shift gfns). */
static bool npt_region_seen(const struct gfn_range *r, u32 i, gfn_t reg, u32 shift)
{
	for (u32 j = 0; j < i; j++)
		if (reg >= r[j].start >> shift && reg <= (r[j].start + r[j].num - 1) >> shift)
			return true;
	return false;
}

/* The checks of mapping every gfn of the n ranges (each num >= 1, in any
 * order, overlapping or not) at level 3, as one plan: each table a first
 * map would allocate is counted once, however many maps share it, and the
 * sum must fit in the pool (-KE_NOMEM); a gfn inside a block is -KE_BLOCK.
 * Changes nothing. Needs NPT(p). */
long npt_map_ranges_check(vmid_t p, const struct gfn_range *r, u32 n)
{
	static const u32 shifts[3] = { PGD_SHIFT - PAGE_SHIFT, PUD_SHIFT - PAGE_SHIFT,
				       PMD_SHIFT - PAGE_SHIFT };
	const struct npt *t = &kc.npt[p];
	u64 need[3] = { 0, 0, 0 }; /* new pud, pmd, pte tables */

	npt_check_principal(p);
	lock_assert_held(NPT_ID + p);
	for (u32 lv = 0; lv < 3; lv++) {
		for (u32 i = 0; i < n; i++) {
			gfn_t last = (r[i].start + r[i].num - 1) >> shifts[lv];

			for (gfn_t reg = r[i].start >> shifts[lv]; reg <= last; reg++) {
				struct npt_walk w;

				if (npt_region_seen(r, i, reg, shifts[lv]))
					continue;
				w = npt_walk(p, (reg << shifts[lv]) << PAGE_SHIFT);
				if (lv == 0)
					need[0] += !w.pud;
				else if (lv == 1)
					need[1] += !w.pmd;
				else if (w.pmd && desc_is_block(desc_read(w.pmd)))
					return -KE_BLOCK;
				else
					need[2] += !w.pte;
			}
		}
	}
	if (t->pgd_next + need[0] * PAGE_SIZE > t->bounds.pud_start ||
	    t->pud_next + need[1] * PAGE_SIZE > t->bounds.pmd_start ||
	    t->pmd_next + need[2] * PAGE_SIZE > t->bounds.end)
		return -KE_NOMEM;
	return 0;
}

/* spec: gfn @ (pt npt) */
struct npt_entry npt_lookup(vmid_t p, gfn_t gfn)
{
	struct npt_entry e = { 0, 0, 0 };
	struct npt_walk w;
	u64 d;

	npt_check_principal(p);
	if (gfn >= NPT_ADDR_LIMIT >> PAGE_SHIFT)
		return e;
	w = npt_walk(p, gfn << PAGE_SHIFT);
	if (w.pmd && desc_is_block(d = desc_read(w.pmd))) {
		/* the spec's local_mmap_loop_h: pfn + i for the i-th page */
		e.pfn = ((d & PHYS_MASK) >> PAGE_SHIFT) + (gfn & (PTRS_PER_PMD - 1));
		e.level = 2;
		e.pte = d;
	} else if (w.pte && (d = desc_read(w.pte)) != 0) {
		e.pfn = (d & PHYS_MASK) >> PAGE_SHIFT;
		e.level = 3;
		e.pte = d;
	}
	return e;
}

/* Round gfn + 1 up to a multiple of `span` gfns. */
static gfn_t npt_skip(gfn_t gfn, u64 span)
{
	return (gfn | (span - 1)) + 1;
}

gfn_t npt_next_gfn(vmid_t p, gfn_t gfn)
{
	struct npt_walk w;

	npt_check_principal(p);
	if (gfn >= NPT_ADDR_LIMIT >> PAGE_SHIFT)
		return gfn + 1;
	w = npt_walk(p, gfn << PAGE_SHIFT);
	if (!w.pud)
		return npt_skip(gfn, 1UL << (PGD_SHIFT - PAGE_SHIFT));
	if (!w.pmd)
		return npt_skip(gfn, 1UL << (PUD_SHIFT - PAGE_SHIFT));
	if (!w.pte && !desc_is_block(desc_read(w.pmd)))
		return npt_skip(gfn, 1UL << (PMD_SHIFT - PAGE_SHIFT));
	return gfn + 1;
}

static void npt_zero_range(phys_addr_t from, phys_addr_t to)
{
	for (phys_addr_t pa = from; pa < to; pa += PAGE_SIZE)
		page_zero(pa);
}

/* D68: a destroyed VM's pool as npt_init left it: every table page below
 * the bump pointers and the root zeroed (pages above them are zero: the
 * pool is zeroed at boot and a table page is only written once linked). */
void npt_pool_reset(vmid_t p)
{
	struct npt *t;

	if (p == HOSTVISOR || p >= COREVISOR)
		arch_halt("npt: pool reset of a principal that is not a VM", p, 0);
	lock_assert_held(NPT_ID + p);
	t = &kc.npt[p];
	npt_zero_range(t->bounds.start + PAGE_SIZE, t->pgd_next);
	npt_zero_range(t->bounds.pud_start, t->pud_next);
	npt_zero_range(t->bounds.pmd_start, t->pmd_next);
	page_zero(t->root);
	t->pgd_next = t->bounds.start + PAGE_SIZE;
	t->pud_next = t->bounds.pud_start;
	t->pmd_next = t->bounds.pmd_start;
}

/* Empty tables: each principal's root is the first page of its pool, and
 * the bump pointers start at the three parts of the pool. */
void npt_init(void)
{
	for (vmid_t p = 0; p <= COREVISOR; p++) {
		struct pool_bounds b = pool_bounds(p);
		struct npt *t = &kc.npt[p];

		t->root = b.start;
		page_zero(t->root);
		t->pgd_next = b.start + PAGE_SIZE;
		t->pud_next = b.pud_start;
		t->pmd_next = b.pmd_start;
		t->bounds = b;
	}
}
