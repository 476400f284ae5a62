/* Placement of the page-table pools, from kc.pool_base upwards:
 *
 *   HOSTVISOR | VM 1 | ... | VM COREVISOR-1 | COREVISOR | SMMU
 *
 * Each principal's pool is [root + pud tables | pmd tables | pte tables]
 * (KCORE_POOL_*_PGD/PUD/PMD pages; the first PGD page is the root). The
 * SMMU pool is one root page per context (EL2_SMMU_CFG_SIZE of them, in
 * smmu_id order), then KCORE_SPT_PMD_POOL pmd tables, then
 * KCORE_SPT_PTE_POOL pte tables. Everything is fixed at init: these are pure
 * functions of kc.pool_base. */
#include "kcore/arch.h"
#include "kcore/smmu.h"
#include "kcore/state.h"

struct pool_pages {
	u64 pgd, pud, pmd;
};

static struct pool_pages pool_pages(vmid_t p)
{
	if (p == HOSTVISOR)
		return (struct pool_pages){ KCORE_POOL_HOST_PGD, KCORE_POOL_HOST_PUD,
					    KCORE_POOL_HOST_PMD };
	if (p == COREVISOR)
		return (struct pool_pages){ KCORE_POOL_CORE_PGD, KCORE_POOL_CORE_PUD,
					    KCORE_POOL_CORE_PMD };
	return (struct pool_pages){ KCORE_POOL_VM_PGD, KCORE_POOL_VM_PUD, KCORE_POOL_VM_PMD };
}

static u64 pool_size(vmid_t p)
{
	struct pool_pages n = pool_pages(p);

	return (n.pgd + n.pud + n.pmd) * PAGE_SIZE;
}

/* Principals' pools are laid out in id order, so p's pool starts after the
 * pools of 0 .. p-1 (all VM pools have the same size). */
static phys_addr_t pool_start(vmid_t p)
{
	phys_addr_t pa = kc.pool_base;

	if (p > HOSTVISOR)
		pa += pool_size(HOSTVISOR);
	if (p > 1)
		pa += (u64)(p - 1) * pool_size(1);
	return pa;
}

/* spec: pud_start, pmd_start, pool_end (and the pool's start, a layer below HighSpecs) */
struct pool_bounds pool_bounds(vmid_t p)
{
	struct pool_pages n;
	struct pool_bounds b;

	if (p > COREVISOR)
		arch_halt("pool_bounds: bad principal", p, 0);
	n = pool_pages(p);
	b.start = pool_start(p);
	b.pud_start = b.start + n.pgd * PAGE_SIZE;
	b.pmd_start = b.pud_start + n.pud * PAGE_SIZE;
	b.end = b.pmd_start + n.pmd * PAGE_SIZE;
	return b;
}

static phys_addr_t spt_roots_start(void)
{
	return pool_start(COREVISOR) + pool_size(COREVISOR);
}

/* spec: SMMU_TTBR index cbndx */
phys_addr_t spt_root(u32 index, u32 cbndx)
{
	if (index >= KCORE_SMMU_NUM || cbndx >= KCORE_SMMU_MAX_CFG)
		arch_halt("spt_root: bad context", index, cbndx);
	return spt_roots_start() + (u64)smmu_id(index, cbndx) * PAGE_SIZE;
}

phys_addr_t spt_pool_start(void)
{
	return spt_roots_start() + EL2_SMMU_CFG_SIZE * PAGE_SIZE;
}

/* spec: SMMU_PMD_START */
phys_addr_t spt_pmd_start(void)
{
	return spt_pool_start() + KCORE_SPT_PMD_POOL * PAGE_SIZE;
}

/* spec: SMMU_POOL_END */
phys_addr_t spt_pool_end(void)
{
	return spt_pmd_start() + KCORE_SPT_PTE_POOL * PAGE_SIZE;
}

u64 layout_pool_bytes(void)
{
	return spt_pool_end() - kc.pool_base;
}
