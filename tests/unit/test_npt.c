/* Unit tests of kcore/init.c, pool.c, s2page.c, npt.c and lock.c over the
 * fake machine: the initial state, the pool layout, the real descriptors
 * npt_map writes (both levels), pool exhaustion (-KE_NOMEM, nothing
 * changed), a page inside a block (-KE_BLOCK), TLB invalidation of every
 * removed or changed entry, and the halts on broken tables (R5). */
#include <setjmp.h>
#include <string.h>

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/smmu.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#include "../../kcore/page.h" /* npt_next_gfn */

#define VM 3U
#define GB (1UL << 30)

static u64 *table(phys_addr_t pa)
{
	return fake_ram(pa);
}

static u64 idx(u64 addr, u32 shift)
{
	return (addr >> shift) & 511;
}

static struct npt snap(vmid_t p)
{
	return kc.npt[p];
}

static bool npt_same(struct npt a, struct npt b)
{
	return a.root == b.root && a.pgd_next == b.pgd_next && a.pud_next == b.pud_next &&
	       a.pmd_next == b.pmd_next;
}

static long map(vmid_t p, u64 addr, u32 level, u64 pte)
{
	long ret;

	lock_acquire(NPT_ID + p);
	ret = npt_map(p, addr, level, pte);
	lock_release(NPT_ID + p);
	return ret;
}

static long map_check(vmid_t p, u64 addr, u32 level)
{
	long ret;

	lock_acquire(NPT_ID + p);
	ret = npt_map_check(p, addr, level);
	lock_release(NPT_ID + p);
	return ret;
}

static void test_init_state(void)
{
	phys_addr_t core_start = KCORE_RAM_BASE + FAKE_RAM_SIZE - FAKE_CORE_SIZE;

	fake_machine_reset();
	CHECK_EQ(kc.ram_pages, FAKE_RAM_SIZE / PAGE_SIZE);
	CHECK_EQ(kc.pool_base, core_start + (1UL << 20));
	/* RAM is the host's, at gfn == pfn; KCore's memory is COREVISOR's. */
	CHECK_EQ(s2page_get(RAM_PFN0).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(RAM_PFN0).gfn, RAM_PFN0);
	CHECK_EQ(s2page_get(RAM_PFN0 + 77).count, 0);
	CHECK_EQ(s2page_get((core_start >> PAGE_SHIFT) - 1).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(core_start >> PAGE_SHIFT).owner, COREVISOR);
	CHECK_EQ(s2page_get(core_start >> PAGE_SHIFT).gfn, INVALID64);
	CHECK_EQ(s2page_get(kc.pool_base >> PAGE_SHIFT).owner, COREVISOR);
	CHECK_EQ(s2page_get(RAM_PFN0 + kc.ram_pages - 1).owner, COREVISOR);
	CHECK(pfn_is_ram(RAM_PFN0 + kc.ram_pages - 1));
	/* Not RAM (D44): INVALID on the MMIO allow-list, COREVISOR everywhere else. */
	CHECK(!pfn_is_ram(RAM_PFN0 + kc.ram_pages));
	CHECK_EQ(s2page_get(RAM_PFN0 + kc.ram_pages).owner, COREVISOR);
	CHECK_EQ(s2page_get(RAM_PFN0 - 1).owner, COREVISOR);
	CHECK_EQ(s2page_get(RAM_PFN0 - 1).gfn, INVALID64);
	CHECK_EQ(s2page_get(FAKE_ALLOWED_MMIO >> PAGE_SHIFT).owner, INVALID);
	CHECK_EQ(s2page_get(FAKE_ALLOWED_MMIO >> PAGE_SHIFT).gfn, INVALID64);
	CHECK_EQ(s2page_get(FAKE_WITHHELD_MMIO >> PAGE_SHIFT).owner, COREVISOR);
	CHECK_EQ(s2page_get(FAKE_WITHHELD_MMIO >> PAGE_SHIFT).count, 0);
	/* The allow-list's edges: the page before, the first, the last, the next. */
	CHECK_EQ(s2page_get(0x08fffUL).owner, COREVISOR);
	CHECK_EQ(s2page_get(0x09000UL).owner, INVALID);
	CHECK_EQ(s2page_get(0x09001UL).owner, INVALID);
	CHECK_EQ(s2page_get(0x09002UL).owner, COREVISOR);
	/* fw_cfg and virtio-mmio (DMA masters outside the SMMU) and the mediated
	 * first page of the redistributor frames are withheld. */
	CHECK_EQ(s2page_get(0x09020UL).owner, COREVISOR);
	CHECK_EQ(s2page_get(0x0a000UL).owner, COREVISOR);
	CHECK_EQ(s2page_get(0x080a0UL).owner, COREVISOR);
	CHECK_EQ(s2page_get(0x080a1UL).owner, INVALID);
	/* Beyond every range the PA space is withheld (volatile: a constant pfn
	 * makes GCC warn about the RAM branch it cannot take). */
	{
		volatile pfn_t far = 0xFFFFFFFFFUL;

		CHECK_EQ(s2page_get(far).owner, COREVISOR);
	}
	/* No VM, the remap window unused, no SMMU context. */
	CHECK_EQ(kc.core.next_vmid, 1);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START);
	for (vmid_t v = 0; v <= COREVISOR; v++)
		CHECK_EQ(kc.vminfo[v].state, UNUSED);
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++) {
		CHECK_EQ(kc.smmu_vmid[i], INVALID);
		CHECK_EQ(kc.smmu_nr_mapped[i], 0);
	}
	/* Shadow contexts: VMs "never run", the host's all 0. */
	CHECK_EQ(kc.shadow[1][0].r[DIRTY], INVALID64);
	CHECK_EQ(kc.shadow[COREVISOR - 1][KCORE_MAX_VCPUS - 1].r[DIRTY], INVALID64);
	CHECK_EQ(kc.shadow[1][0].r[X0], 0);
	CHECK_EQ(kc.shadow[HOSTVISOR][0].r[DIRTY], 0);
	CHECK(no_lock_held());
}

static void test_pool_layout(void)
{
	phys_addr_t prev_end;

	fake_machine_reset();
	prev_end = kc.pool_base;
	for (vmid_t p = 0; p <= COREVISOR; p++) {
		struct pool_bounds b = pool_bounds(p);
		u64 pgd = p == 0 ? KCORE_POOL_HOST_PGD : p == COREVISOR ? KCORE_POOL_CORE_PGD : KCORE_POOL_VM_PGD;
		u64 pud = p == 0 ? KCORE_POOL_HOST_PUD : p == COREVISOR ? KCORE_POOL_CORE_PUD : KCORE_POOL_VM_PUD;
		u64 pmd = p == 0 ? KCORE_POOL_HOST_PMD : p == COREVISOR ? KCORE_POOL_CORE_PMD : KCORE_POOL_VM_PMD;

		CHECK_EQ(b.start, prev_end);
		CHECK_EQ(b.pud_start, b.start + pgd * PAGE_SIZE);
		CHECK_EQ(b.pmd_start, b.pud_start + pud * PAGE_SIZE);
		CHECK_EQ(b.end, b.pmd_start + pmd * PAGE_SIZE);
		CHECK_EQ(kc.npt[p].root, b.start);
		CHECK_EQ(kc.npt[p].pgd_next, b.start + PAGE_SIZE);
		CHECK_EQ(kc.npt[p].pud_next, b.pud_start);
		CHECK_EQ(kc.npt[p].pmd_next, b.pmd_start);
		CHECK(page_is_zero(b.start));
		prev_end = b.end;
	}
	CHECK_EQ(spt_root(0, 0), prev_end);
	CHECK_EQ(spt_root(0, 1), prev_end + PAGE_SIZE);
	CHECK_EQ(spt_root(1, 0), prev_end + KCORE_SMMU_MAX_CFG * PAGE_SIZE);
	CHECK_EQ(spt_pool_start(), prev_end + EL2_SMMU_CFG_SIZE * PAGE_SIZE);
	CHECK_EQ(spt_pmd_start(), spt_pool_start() + KCORE_SPT_PMD_POOL * PAGE_SIZE);
	CHECK_EQ(spt_pool_end(), spt_pmd_start() + KCORE_SPT_PTE_POOL * PAGE_SIZE);
	CHECK_EQ(layout_pool_bytes(), spt_pool_end() - kc.pool_base);
	CHECK(spt_pool_end() <= kc.core_end);
}

/* A level-3 map writes a table per level and the page descriptor. */
static void test_map_level3(void)
{
	u64 addr = 0x80345000UL, pa = KCORE_RAM_BASE + 0x123000UL;
	struct pool_bounds b;
	struct npt before;
	struct npt_entry e;
	u64 *pgd, *pud, *pmd, *pte;

	fake_machine_reset();
	b = pool_bounds(VM);
	before = snap(VM);
	CHECK_EQ(map(VM, addr, 3, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(kc.npt[VM].pgd_next, before.pgd_next + PAGE_SIZE);
	CHECK_EQ(kc.npt[VM].pud_next, before.pud_next + PAGE_SIZE);
	CHECK_EQ(kc.npt[VM].pmd_next, before.pmd_next + PAGE_SIZE);
	/* The real descriptors, walked by hand. */
	pgd = table(b.start);
	CHECK_EQ(pgd[idx(addr, 39)], (b.start + PAGE_SIZE) | 3);
	pud = table(b.start + PAGE_SIZE);
	CHECK_EQ(pud[idx(addr, 30)], b.pud_start | 3);
	pmd = table(b.pud_start);
	CHECK_EQ(pmd[idx(addr, 21)], b.pmd_start | 3);
	pte = table(b.pmd_start);
	CHECK_EQ(pte[idx(addr, 12)], pa | PAGE_S2_KERNEL);
	e = npt_lookup(VM, addr >> PAGE_SHIFT);
	CHECK_EQ(e.level, 3);
	CHECK_EQ(e.pfn, pa >> PAGE_SHIFT);
	CHECK_EQ(e.pte, pa | PAGE_S2_KERNEL);
	/* Neighbours unmapped; other principals untouched. */
	CHECK_EQ(npt_lookup(VM, (addr >> PAGE_SHIFT) + 1).level, 0);
	CHECK_EQ(npt_lookup(VM, (addr >> PAGE_SHIFT) - 1).pte, 0);
	CHECK_EQ(npt_lookup(VM + 1, addr >> PAGE_SHIFT).level, 0);
	CHECK(npt_same(snap(VM + 1), kc.npt[VM + 1]));
	/* A second page in the same 2 MB needs no table. */
	before = snap(VM);
	CHECK_EQ(map(VM, addr + PAGE_SIZE, 3, (pa + PAGE_SIZE) | PAGE_S2_KERNEL), 0);
	CHECK(npt_same(before, snap(VM)));
	CHECK_EQ(npt_lookup(VM, (addr >> PAGE_SHIFT) + 1).pfn, (pa >> PAGE_SHIFT) + 1);
	/* Any level other than 2 is level 3 (callers check levels). */
	CHECK_EQ(map(VM, addr + 2 * PAGE_SIZE, 7, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(npt_lookup(VM, (addr >> PAGE_SHIFT) + 2).level, 3);
	/* New tables are zeroed and cleaned before they are linked. */
	fake_events_clear();
	CHECK_EQ(map(VM, addr + GB, 3, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(count_events(FAKE_DCACHE_CLEAN), 2);
	CHECK_EQ(count_events(FAKE_TLBI_S2_IPA) + count_events(FAKE_TLBI_S2_VMID), 0);
}

/* A level-2 map writes a block descriptor (bit 1 clear) in a pmd table. */
static void test_map_level2(void)
{
	u64 addr = 0x40000000UL + 0x200000UL + 0x5000UL; /* inside the 2nd block */
	u64 pa = KCORE_RAM_BASE + 0x400000UL;
	u64 blk = (pa | PAGE_S2_KERNEL) & ~PTE_TABLE;
	struct pool_bounds b;
	struct npt before;
	struct npt_entry e;
	u64 *pmd;

	fake_machine_reset();
	b = pool_bounds(VM);
	before = snap(VM);
	CHECK_EQ(map_check(VM, addr, 2), 0);
	CHECK(npt_same(before, snap(VM)));
	/* Bit 1 is cleared whatever the caller passed. */
	CHECK_EQ(map(VM, addr, 2, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(kc.npt[VM].pgd_next, before.pgd_next + PAGE_SIZE);
	CHECK_EQ(kc.npt[VM].pud_next, before.pud_next + PAGE_SIZE);
	CHECK_EQ(kc.npt[VM].pmd_next, before.pmd_next); /* no pte table */
	pmd = table(b.pud_start);
	CHECK_EQ(pmd[idx(addr, 21)], blk);
	for (u64 i = 0; i < 512; i += 73) {
		e = npt_lookup(VM, ((addr >> 21) << 9) + i);
		CHECK_EQ(e.level, 2);
		CHECK_EQ(e.pfn, (pa >> PAGE_SHIFT) + i);
		CHECK_EQ(e.pte, blk);
	}
	CHECK_EQ(npt_lookup(VM, ((addr >> 21) << 9) + 512).level, 0);
	CHECK_EQ(npt_lookup(VM, ((addr >> 21) << 9) - 1).level, 0);
}

/* Level 3 inside a block: -KE_BLOCK, before the pool is even looked at. */
static void test_page_in_block(void)
{
	u64 addr = 0x10000000UL, pa = KCORE_RAM_BASE + 0x600000UL;
	struct npt before;

	fake_machine_reset();
	CHECK_EQ(map(VM, addr, 2, pa | PAGE_S2_KERNEL), 0);
	before = snap(VM);
	fake_events_clear();
	CHECK_EQ(map_check(VM, addr + 0x3000, 3), -KE_BLOCK);
	CHECK_EQ(map(VM, addr + 0x3000, 3, (pa + 0x9000) | PAGE_S2_KERNEL), -KE_BLOCK);
	CHECK_EQ(map(VM, addr + 0x1FF000, 3, 0), -KE_BLOCK);
	CHECK(npt_same(before, snap(VM)));
	CHECK_EQ(npt_lookup(VM, (addr + 0x3000) >> PAGE_SHIFT).level, 2);
	CHECK_EQ(npt_lookup(VM, (addr + 0x3000) >> PAGE_SHIFT).pfn, (pa >> PAGE_SHIFT) + 3);
	CHECK_EQ(fake_events_count(), 0);
	/* The next 2 MB is not a block. */
	CHECK_EQ(map(VM, addr + PMD_SIZE, 3, pa | PAGE_S2_KERNEL), 0);
}

/* A block over a pte table replaces it (the table page leaks, as in the
 * spec) and invalidates the whole VMID. */
static void test_block_over_table(void)
{
	u64 addr = 0x20000000UL, pa = KCORE_RAM_BASE + 0x800000UL;
	struct npt before;

	fake_machine_reset();
	CHECK_EQ(map(VM, addr + 0x5000, 3, pa | PAGE_S2_KERNEL), 0);
	before = snap(VM);
	fake_events_clear();
	CHECK_EQ(map(VM, addr, 2, pa | PAGE_S2_KERNEL), 0);
	CHECK(npt_same(before, snap(VM)));
	CHECK(has_event(FAKE_TLBI_S2_VMID, VM, 0));
	CHECK_EQ(npt_lookup(VM, (addr + 0x5000) >> PAGE_SHIFT).level, 2);
	/* Changing the block invalidates again; re-writing it does not. */
	fake_events_clear();
	CHECK_EQ(map(VM, addr, 2, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(map(VM, addr, 2, (pa + PMD_SIZE) | PAGE_S2_KERNEL), 0);
	CHECK_EQ(count_events(FAKE_TLBI_S2_VMID), 1);
	CHECK_EQ(npt_lookup(VM, addr >> PAGE_SHIFT).pfn, (pa + PMD_SIZE) >> PAGE_SHIFT);
	/* A page table is then needed again for level 3 elsewhere only. */
	CHECK_EQ(map(VM, addr + PMD_SIZE, 3, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(kc.npt[VM].pmd_next, before.pmd_next + PAGE_SIZE);
}

/* Removing or changing a page invalidates that IPA (stage 2) or VA (EL2). */
static void test_tlbi_on_unmap(void)
{
	u64 addr = 0x7000000UL, pa = KCORE_RAM_BASE + 0x1000UL;

	fake_machine_reset();
	CHECK_EQ(map(VM, addr, 3, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(count_events(FAKE_TLBI_S2_IPA), 0);
	fake_events_clear();
	CHECK_EQ(map(VM, addr, 3, pa | PAGE_S2_KERNEL), 0); /* same: nothing */
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(map(VM, addr + 0x123, 3, (pa + PAGE_SIZE) | PAGE_S2_KERNEL), 0);
	CHECK_EQ(count_events(FAKE_TLBI_S2_IPA), 1);
	CHECK(has_event(FAKE_TLBI_S2_IPA, VM, addr));
	fake_events_clear();
	CHECK_EQ(map(VM, addr, 3, PAGE_GUEST), 0);
	CHECK(has_event(FAKE_TLBI_S2_IPA, VM, addr));
	CHECK_EQ(npt_lookup(VM, addr >> PAGE_SHIFT).level, 0);
	CHECK_EQ(npt_lookup(VM, addr >> PAGE_SHIFT).pte, 0);
	fake_events_clear();
	CHECK_EQ(map(VM, addr, 3, PAGE_GUEST), 0); /* already empty */
	CHECK_EQ(fake_events_count(), 0);
	/* The host's table: the host's VMID. */
	CHECK_EQ(map(HOSTVISOR, pa, 3, pa | PAGE_S2_KERNEL), 0);
	fake_events_clear();
	CHECK_EQ(map(HOSTVISOR, pa, 3, PAGE_GUEST), 0);
	CHECK(has_event(FAKE_TLBI_S2_IPA, HOSTVISOR, pa));
	/* KCore's own table: an EL2 VA. */
	CHECK_EQ(map(COREVISOR, KCORE_REMAP_START, 3, pa | PAGE_HYP), 0);
	fake_events_clear();
	CHECK_EQ(map(COREVISOR, KCORE_REMAP_START, 3, PAGE_GUEST), 0);
	CHECK(has_event(FAKE_TLBI_EL2_VA, COREVISOR, KCORE_REMAP_START));
	CHECK_EQ(count_events(FAKE_TLBI_S2_IPA) + count_events(FAKE_TLBI_S2_VMID), 0);
}

static u8 pool_copy[4UL << 20];

/* A copy of every pool page, to show a refusal wrote nothing. */
static void pool_save(void)
{
	memcpy(pool_copy, fake_ram(kc.pool_base), layout_pool_bytes());
}

static bool pool_unchanged(void)
{
	return memcmp(pool_copy, fake_ram(kc.pool_base), layout_pool_bytes()) == 0;
}

static void expect_nomem(u64 addr, u32 level)
{
	struct npt before = snap(VM);

	pool_save();
	fake_events_clear();
	CHECK_EQ(map_check(VM, addr, level), -KE_NOMEM);
	CHECK_EQ(map(VM, addr, level, (KCORE_RAM_BASE + 0x200000UL) | PAGE_S2_KERNEL), -KE_NOMEM);
	CHECK(npt_same(before, snap(VM)));
	CHECK(pool_unchanged());
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(npt_lookup(VM, addr >> PAGE_SHIFT).level, 0);
}

/* Exhaust each part of a VM pool (test profile: one pud table, two pmd
 * tables, six pte tables): -KE_NOMEM, and nothing changed at all. */
static void test_pool_exhaustion(void)
{
	u64 pa = KCORE_RAM_BASE + 0x5000UL;

	CHECK_EQ(KCORE_POOL_VM_PGD, 2);
	CHECK_EQ(KCORE_POOL_VM_PUD, 2);
	CHECK_EQ(KCORE_POOL_VM_PMD, 6);
	fake_machine_reset();
	for (u64 i = 0; i < KCORE_POOL_VM_PMD; i++)
		CHECK_EQ(map(VM, i * PMD_SIZE + 0x1000, 3, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(kc.npt[VM].pmd_next, pool_bounds(VM).end);
	/* No pte table left. */
	expect_nomem(6 * PMD_SIZE, 3);
	/* A block needs none; a page in an existing table needs none. */
	CHECK_EQ(map(VM, 6 * PMD_SIZE, 2, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(map(VM, 5 * PMD_SIZE + 0x7000, 3, pa | PAGE_S2_KERNEL), 0);
	/* Another GB: a pmd table is left, but not the pte table too. */
	expect_nomem(GB + 0x1000, 3);
	CHECK_EQ(map(VM, GB, 2, pa | PAGE_S2_KERNEL), 0);
	CHECK_EQ(kc.npt[VM].pud_next, pool_bounds(VM).pmd_start);
	/* A third GB: no pmd table left. */
	expect_nomem(2 * GB, 2);
	expect_nomem(2 * GB + 0x1000, 3);
	/* Past 512 GB: no second pud table. */
	expect_nomem(1UL << 39, 2);
	/* Removing a page still works, and frees nothing (a bump pool). */
	CHECK_EQ(map(VM, 0x1000, 3, PAGE_GUEST), 0);
	CHECK_EQ(npt_lookup(VM, 1).level, 0);
	expect_nomem(6 * PMD_SIZE + PMD_SIZE, 3);
	/* Other principals' pools are separate. */
	CHECK_EQ(map(VM + 1, 6 * PMD_SIZE, 3, pa | PAGE_S2_KERNEL), 0);
}

/* The core pool (test profile) cannot map the second half of the remap
 * window, which lies past the 512 GB boundary. */
static void test_core_pool(void)
{
	fake_machine_reset();
	CHECK_EQ(map(COREVISOR, KCORE_REMAP_START, 3, KCORE_RAM_BASE | PAGE_HYP), 0);
	CHECK_EQ(map(COREVISOR, KCORE_REMAP_END - PAGE_SIZE, 3, KCORE_RAM_BASE | PAGE_HYP),
		 -KE_NOMEM);
	CHECK_EQ(npt_lookup(COREVISOR, KCORE_REMAP_START >> PAGE_SHIFT).pte,
		 KCORE_RAM_BASE | PAGE_HYP);
}

/* npt_next_gfn skips only what cannot be mapped. */
static void test_next_gfn(void)
{
	u64 g = (0x40000000UL + 0x3000) >> PAGE_SHIFT;

	fake_machine_reset();
	CHECK_EQ(npt_next_gfn(VM, 5), 1UL << 27);
	CHECK_EQ(map(VM, g << PAGE_SHIFT, 3, KCORE_RAM_BASE | PAGE_S2_KERNEL), 0);
	CHECK_EQ(npt_next_gfn(VM, 5), 1UL << 18);           /* pud slot empty */
	CHECK_EQ(npt_next_gfn(VM, (1UL << 18) + 517), (1UL << 18) + 1024); /* pmd slot empty */
	CHECK_EQ(npt_next_gfn(VM, g - 2), g - 1);
	CHECK_EQ(npt_next_gfn(VM, g), g + 1);
	CHECK_EQ(map(VM, 0x80000000UL, 2, KCORE_RAM_BASE | PAGE_S2_KERNEL), 0);
	CHECK_EQ(npt_next_gfn(VM, 0x80000000UL >> PAGE_SHIFT), (0x80000000UL >> PAGE_SHIFT) + 1);
}

static jmp_buf halt_jb;

/* Runs fn and says whether it halted (arch_halt). */
static bool halts(void (*fn)(void))
{
	bool halted = false;

	fake_halt_jmp = &halt_jb;
	if (setjmp(halt_jb) == 0)
		fn();
	else
		halted = true;
	fake_halt_jmp = NULL;
	return halted;
}

static void lookup_vm_low(void)
{
	(void)npt_lookup(VM, 1);
}

static void map_bad_desc(void)
{
	lock_acquire(NPT_ID + VM);
	(void)npt_map(VM, 0x1000, 3, KCORE_RAM_BASE | PTE_VALID); /* a level-3 "block" */
}

static void lock_out_of_order(void)
{
	lock_acquire(S2PAGE_ID);
	lock_acquire(SMMU_ID);
}

static void lock_twice(void)
{
	lock_acquire(INFO_ID + 1);
	lock_acquire(INFO_ID + 1);
}

static void release_unheld(void)
{
	lock_release(CORE_ID);
}

/* Broken tables and lock misuse halt (R5). */
static void test_halts(void)
{
	struct pool_bounds b;
	u64 *root, *pud;

	fake_machine_reset();
	b = pool_bounds(VM);
	root = table(b.start);
	/* A table descriptor outside the VM's pool (another VM's page). */
	root[0] = pool_bounds(VM + 1).start | 3;
	CHECK(halts(lookup_vm_low));
	/* Inside the pool but not yet handed out. */
	root[0] = (b.start + PAGE_SIZE) | 3;
	CHECK(halts(lookup_vm_low));
	fake_machine_reset();
	CHECK_EQ(map(VM, 0x1000, 3, KCORE_RAM_BASE | PAGE_S2_KERNEL), 0);
	CHECK(!halts(lookup_vm_low));
	/* A level-1 block, which KCore never writes. */
	root = table(b.start);
	pud = table(b.start + PAGE_SIZE);
	pud[0] = KCORE_RAM_BASE | 1;
	CHECK(halts(lookup_vm_low));
	/* A level-3 descriptor that is not a page. */
	fake_machine_reset();
	CHECK_EQ(map(VM, 0x1000, 3, KCORE_RAM_BASE | PAGE_S2_KERNEL), 0);
	((u64 *)table(b.pmd_start))[1] = KCORE_RAM_BASE | 1;
	CHECK(halts(lookup_vm_low));
	fake_machine_reset();
	CHECK(halts(map_bad_desc));
	CHECK(root[0] == 0);
	fake_machine_reset();
	CHECK(halts(lock_out_of_order));
	fake_machine_reset();
	CHECK(halts(lock_twice));
	fake_machine_reset();
	CHECK(halts(release_unheld));
	fake_machine_reset();
}

static void test_locks(void)
{
	fake_machine_reset();
	lock_acquire(CORE_ID);
	lock_acquire(SMMU_ID);
	lock_acquire(INFO_ID + 2);
	lock_acquire(INFO_ID + 5);
	lock_acquire(S2PAGE_ID);
	lock_acquire(NPT_ID + HOSTVISOR);
	lock_acquire(NPT_ID + COREVISOR);
	CHECK(lock_held(CORE_ID));
	CHECK(lock_held(INFO_ID + 5));
	CHECK(!lock_held(INFO_ID + 3));
	CHECK(!lock_held(SPT_ID));
	CHECK(!lock_held(NR_LOCKS));
	lock_release(INFO_ID + 2);
	CHECK(!lock_held(INFO_ID + 2));
	lock_release(NPT_ID + COREVISOR);
	lock_release(NPT_ID + HOSTVISOR);
	lock_release(S2PAGE_ID);
	lock_release(INFO_ID + 5);
	lock_release(SMMU_ID);
	lock_release(CORE_ID);
	CHECK(no_lock_held());
	/* Tickets: served in turn, again and again. */
	for (u32 i = 0; i < 1000; i++) {
		lock_acquire(SPT_ID);
		lock_release(SPT_ID);
	}
	CHECK_EQ(kc.locks.l[SPT_ID].next, 1000);
	CHECK_EQ(kc.locks.l[SPT_ID].serving, 1000);
}

UT_MAIN(UT(test_init_state), UT(test_pool_layout), UT(test_map_level3), UT(test_map_level2),
	UT(test_page_in_block), UT(test_block_over_table), UT(test_tlbi_on_unmap),
	UT(test_pool_exhaustion), UT(test_core_pool), UT(test_next_gfn), UT(test_halts),
	UT(test_locks))
