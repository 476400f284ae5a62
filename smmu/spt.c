/* The device page tables (the spec's SPT): one three-level table per SMMU
 * context, kept as real ARMv8 descriptors in KCore's SMMU pool.
 *
 *   root page  spt_root(index, cbndx)     index iova[38:30] (stage2_pgd_index)
 *   pmd tables [spt_pool_start, spt_pmd_start)  index iova[29:21], from pgd_next
 *   pte tables [spt_pmd_start, spt_pool_end)    index iova[20:12], from pmd_next
 *
 * A table descriptor is exactly `table phys | 3`; a leaf is whatever KCore
 * passes to local_spt_map_h (smmu.c builds `pfn*4K | PAGE_SMMU`, D31). The
 * spec's spt_pgd_t / spt_pmd_t flags ("this table page exists") are the
 * non-zero descriptors themselves, and spt_pt is what spt_lookup reads.
 * Everything here needs the SPT lock. */
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/errno.h"
#include "kcore/lock.h"
#include "kcore/smmu.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

#define SPT_ENTRIES 512UL
#define SPT_TABLE_DESC 3UL /* PTE_VALID | PTE_TABLE */

/* spec: stage2_pgd_index (three-level device tables: iova bits 38:30) */
static u64 spt_pgd_index(u64 iova)
{
	return (iova >> 30) & (SPT_ENTRIES - 1);
}

/* spec: pmd_index */
static u64 spt_pmd_index(u64 iova)
{
	return (iova >> 21) & (SPT_ENTRIES - 1);
}

/* The level-3 index (pte_index: a layer below HighSpecs, beside pmd_index) */
static u64 spt_pte_index(u64 iova)
{
	return (iova >> 12) & (SPT_ENTRIES - 1);
}

static u64 *spt_table(phys_addr_t pa)
{
	return arch_phys_to_virt(pa);
}

/* Descriptors are read and written with single 64-bit accesses: the SMMU
 * may walk the table while KCore changes it, and must never see a torn or
 * reordered descriptor. */
static u64 spt_read(const u64 *slot)
{
	return *(const volatile u64 *)slot;
}

static void spt_write(u64 *slot, u64 desc)
{
	*(volatile u64 *)slot = desc;
}

static void spt_zero_page(phys_addr_t pa)
{
	u64 *t = spt_table(pa);

	for (u64 i = 0; i < SPT_ENTRIES; i++)
		spt_write(&t[i], 0);
}

/* The table a non-leaf descriptor points to, 0 if the slot is empty.
 * Anything but `page | 3` with the page inside [lo, next) is a descriptor
 * KCore never wrote: R5, halt. */
static phys_addr_t spt_next_table(u64 desc, phys_addr_t lo, phys_addr_t next)
{
	phys_addr_t pa = desc & PHYS_MASK;

	if (desc == 0)
		return 0;
	if (desc != (pa | SPT_TABLE_DESC) || pa < lo || pa >= next)
		arch_halt("spt: table descriptor outside the SMMU pool", desc, lo);
	return pa;
}

/* The pmd table of iova in the context's root, 0 if none yet. */
static phys_addr_t spt_pmd_table(u32 index, u32 cbndx, u64 iova)
{
	const u64 *root = spt_table(spt_root(index, cbndx));

	return spt_next_table(spt_read(&root[spt_pgd_index(iova)]), spt_pool_start(),
			      kc.spt.pgd_next);
}

/* The pte table of iova, 0 if none yet. */
static phys_addr_t spt_pte_table(u32 index, u32 cbndx, u64 iova)
{
	phys_addr_t pmd = spt_pmd_table(index, cbndx, iova);

	if (!pmd)
		return 0;
	return spt_next_table(spt_read(&spt_table(pmd)[spt_pmd_index(iova)]), spt_pmd_start(),
			      kc.spt.pmd_next);
}

/* The level-3 slot of iova, NULL if its tables do not exist. */
static u64 *spt_leaf_slot(u32 index, u32 cbndx, u64 iova)
{
	phys_addr_t pte = spt_pte_table(index, cbndx, iova);

	return pte ? &spt_table(pte)[spt_pte_index(iova)] : NULL;
}

/* Callers bound iova (R3) and the context; a miss here is KCore's bug. */
static void spt_check_args(u32 index, u32 cbndx, u64 iova)
{
	if (index >= KCORE_SMMU_NUM || cbndx >= KCORE_SMMU_MAX_CFG || iova >= SMMU_IOVA_SPACE)
		arch_halt("spt: context or iova out of range", smmu_id(index, cbndx), iova);
}

void spt_init(void)
{
	for (u32 index = 0; index < KCORE_SMMU_NUM; index++)
		for (u32 cbndx = 0; cbndx < KCORE_SMMU_MAX_CFG; cbndx++)
			spt_zero_page(spt_root(index, cbndx));
	kc.spt.pgd_next = spt_pool_start();
	kc.spt.pmd_next = spt_pmd_start();
}

/* spec: gfn @ (ttbr @ spt_pt). Read-only, so the harness may call it on a
 * quiescent state without the lock; the core's callers hold SPT. */
struct spt_entry spt_lookup(u32 index, u32 cbndx, u64 iova_gfn)
{
	struct spt_entry e = { 0, 0 };
	u64 iova = iova_gfn << PAGE_SHIFT;
	const u64 *slot;
	u64 desc;

	if (index >= KCORE_SMMU_NUM || cbndx >= KCORE_SMMU_MAX_CFG ||
	    iova_gfn >= (SMMU_IOVA_SPACE >> PAGE_SHIFT))
		return e;
	slot = spt_leaf_slot(index, cbndx, iova);
	if (!slot)
		return e;
	desc = spt_read(slot);
	if (desc == 0)
		return e;
	/* Only page descriptors are ever stored at level 3 (local_spt_map_h). */
	if ((desc & PTE_TYPE_MASK) != 3)
		arch_halt("spt: unknown leaf descriptor", desc, iova);
	e.pfn = (desc & PHYS_MASK) >> PAGE_SHIFT;
	e.pte = desc;
	return e;
}

/* How many pool pages mapping iova needs: the spec's pgd_next' and
 * pmd_next' of local_spt_map_h. */
static void spt_needs(u32 index, u32 cbndx, u64 iova, bool *new_pmd, bool *new_pte)
{
	*new_pmd = spt_pmd_table(index, cbndx, iova) == 0;
	*new_pte = spt_pte_table(index, cbndx, iova) == 0; /* also without a pmd table */
}

/* The checks of local_spt_map_h for a non-zero pte, changing nothing. */
long spt_map_check(u32 cbndx, u32 index, u64 addr)
{
	bool new_pmd, new_pte;
	phys_addr_t pgd_next, pmd_next;

	lock_assert_held(SPT_ID);
	spt_check_args(index, cbndx, addr);
	spt_needs(index, cbndx, addr, &new_pmd, &new_pte);
	pgd_next = kc.spt.pgd_next + (new_pmd ? PAGE_SIZE : 0);
	pmd_next = kc.spt.pmd_next + (new_pte ? PAGE_SIZE : 0);
	if (pgd_next > spt_pmd_start() || pmd_next > spt_pool_end())
		return -KE_NOMEM;
	return 0;
}

/* Take one page from a bump pointer, zeroed before anyone can see it. */
static phys_addr_t spt_alloc(phys_addr_t *next)
{
	phys_addr_t pa = *next;

	spt_zero_page(pa);
	*next = pa + PAGE_SIZE;
	return pa;
}

/* The level-3 slot of iova, creating its tables. Only after spt_map_check
 * said yes, so the allocations cannot fail. */
static u64 *spt_make_slot(u32 index, u32 cbndx, u64 iova)
{
	u64 *root = spt_table(spt_root(index, cbndx));
	phys_addr_t pmd = spt_pmd_table(index, cbndx, iova);
	phys_addr_t pte;

	if (!pmd) {
		pmd = spt_alloc(&kc.spt.pgd_next);
		spt_write(&root[spt_pgd_index(iova)], pmd | SPT_TABLE_DESC);
	}
	pte = spt_pte_table(index, cbndx, iova);
	if (!pte) {
		pte = spt_alloc(&kc.spt.pmd_next);
		spt_write(&spt_table(pmd)[spt_pmd_index(iova)], pte | SPT_TABLE_DESC);
	}
	return &spt_table(pte)[spt_pte_index(iova)];
}

/* Removing an entry needs no table: unmapping an iova whose tables do not
 * exist changes nothing. (The spec would still account for the table pages
 * it "creates"; its only caller with pte 0, local_smmu_clear, never does
 * that for an unmapped iova.) */
static void spt_unmap(u32 index, u32 cbndx, u64 iova)
{
	u64 *slot = spt_leaf_slot(index, cbndx, iova);

	if (!slot || spt_read(slot) == 0)
		return;
	spt_write(slot, 0);
	smmu_hw_tlbi(index, cbndx, iova & ~(PAGE_SIZE - 1));
}

/* spec: local_spt_map_h */
long local_spt_map_h(u32 cbndx, u32 index, u64 addr, u64 pte)
{
	u64 *slot;
	u64 old;
	long ret;

	lock_assert_held(SPT_ID);
	spt_check_args(index, cbndx, addr);
	if (pte == 0) {
		spt_unmap(index, cbndx, addr);
		return 0;
	}
	/* KCore only ever stores page descriptors at level 3 (R5). */
	if ((pte & PTE_TYPE_MASK) != 3)
		arch_halt("spt: not a page descriptor", pte, addr);
	ret = spt_map_check(cbndx, index, addr);
	if (ret)
		return ret;
	slot = spt_make_slot(index, cbndx, addr);
	old = spt_read(slot);
	spt_write(slot, pte);
	/* A device may have cached the old translation. */
	if (old != 0 && old != pte)
		smmu_hw_tlbi(index, cbndx, addr & ~(PAGE_SIZE - 1));
	return 0;
}

/* spec: local_alloc_smmu_pgd's spt_pt := ZMap.init (0, 0). The pool pages
 * under the old root are not reclaimed (as in the spec). */
void spt_reset(u32 index, u32 cbndx)
{
	lock_assert_held(SPT_ID);
	spt_check_args(index, cbndx, 0);
	spt_zero_page(spt_root(index, cbndx));
	smmu_hw_tlbi_ctx(index, cbndx);
}
