/* Unit tests of smmu/smmu.c and smmu/spt.c over the fake machine: the
 * "Operation contract" lines SMMU_ALLOC / FREE / ASSIGN / MAP / CLEAR /
 * IOVA_TO_PHYS of docs/deviations.md (with D30, D31, D32), the device
 * tables as real descriptors, pool exhaustion, and TLB maintenance. */
#include <setjmp.h>
#include <string.h>

#include "fake.h"
#include "kcore/constants.h"
#include "kcore/errno.h"
#include "kcore/lock.h"
#include "kcore/smmu.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#define HPFN (RAM_PFN0 + 0x100) /* a host page */
#define HPFN2 (RAM_PFN0 + 0x101)
#define VM1 1U
#define VM2 2U

/* The hypercall layer holds these; the tests hold all of them, in order. */
static void lock_all(void)
{
	lock_acquire(SMMU_ID);
	for (u32 v = 0; v <= COREVISOR; v++)
		lock_acquire(INFO_ID + v);
	lock_acquire(SPT_ID);
	lock_acquire(S2PAGE_ID);
	lock_acquire(NPT_ID + HOSTVISOR);
}

static void unlock_all(void)
{
	lock_release(NPT_ID + HOSTVISOR);
	lock_release(S2PAGE_ID);
	lock_release(SPT_ID);
	for (u32 v = COREVISOR + 1; v-- > 0;)
		lock_release(INFO_ID + v);
	lock_release(SMMU_ID);
}

static void setup(void)
{
	machine_reset_ready(VM1, VM2);
	lock_all();
	fake_events_clear();
}

static u64 pa_of(pfn_t pfn)
{
	return pfn << PAGE_SHIFT;
}

static u32 nr_mapped(u32 index, u32 cbndx)
{
	return kc.smmu_nr_mapped[smmu_id(index, cbndx)];
}

static u32 owner_of_ctx(u32 index, u32 cbndx)
{
	return kc.smmu_vmid[smmu_id(index, cbndx)];
}

/* A host page mapped into a host context at iova == pa (gfn == pfn). */
static long host_dev_map(u32 index, u32 cbndx, pfn_t pfn)
{
	return local_smmu_map_page(cbndx, index, pa_of(pfn), pa_of(pfn) | PAGE_SMMU);
}

static void test_cfg_num(void)
{
	CHECK_EQ(smmu_cfg_num(0), KCORE_SMMU_CFG_NUM_0);
	CHECK_EQ(smmu_cfg_num(1), KCORE_SMMU_CFG_NUM_1);
	CHECK_EQ(smmu_cfg_num(2), 0);
	CHECK_EQ(smmu_cfg_num(0xFFFFFFFFU), 0);
}

static void test_init_state(void)
{
	setup();
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++) {
		CHECK_EQ(kc.smmu_vmid[i], INVALID);
		CHECK_EQ(kc.smmu_nr_mapped[i], 0);
	}
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start());
	CHECK_EQ(kc.spt.pmd_next, spt_pmd_start());
	CHECK_EQ(spt_lookup(0, 0, HPFN).pte, 0);
	CHECK_EQ(spt_lookup(0, 0, HPFN).pfn, 0);
	/* Every SMMU context is unallocated: nothing but alloc is allowed. */
	CHECK_EQ(local_free_smmu_pgd(0, 0), -KE_STATE);
	CHECK_EQ(local_smmu_assign_page(0, 0, HPFN, 5), -KE_STATE);
	CHECK_EQ(local_smmu_map_page(0, 0, pa_of(HPFN), pa_of(HPFN)), -KE_STATE);
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), 0, 0), -KE_STATE);
	CHECK_EQ(smmu_iova_to_phys(pa_of(HPFN), 0, 0), -KE_STATE);
	CHECK_EQ(fake_events_count(), 0);
	unlock_all();
}

static void test_alloc_rules(void)
{
	setup();
	/* R3, then cbndx < num(index). */
	CHECK_EQ(local_alloc_smmu_pgd(KCORE_SMMU_MAX_CFG, HOSTVISOR, 0), -KE_RANGE);
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, KCORE_SMMU_NUM), -KE_RANGE);
	CHECK_EQ(local_alloc_smmu_pgd(KCORE_SMMU_CFG_NUM_1, HOSTVISOR, 1), -KE_RANGE);
	/* D32: only the host or a VM. */
	CHECK_EQ(local_alloc_smmu_pgd(0, COREVISOR, 0), -KE_RANGE);
	CHECK_EQ(local_alloc_smmu_pgd(0, INVALID, 0), -KE_RANGE);
	CHECK_EQ(local_alloc_smmu_pgd(0, COREVISOR + 1, 0), -KE_RANGE);
	/* A VERIFIED VM cannot get a context. */
	kc.vminfo[VM2].state = VERIFIED;
	CHECK_EQ(local_alloc_smmu_pgd(0, VM2, 0), -KE_STATE);
	CHECK_EQ(owner_of_ctx(0, 0), INVALID);
	CHECK_EQ(fake_events_count(), 0);

	/* Host context: allocated and its table emptied (context TLBI). */
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(owner_of_ctx(0, 0), HOSTVISOR);
	CHECK_EQ(nr_mapped(0, 0), 0);
	CHECK(has_event_b(FAKE_SMMU_TLBI_CTX, 0, 0, 0));
	/* R2: double alloc is -KE_BUSY, and busy comes before D32. */
	CHECK_EQ(local_alloc_smmu_pgd(0, VM1, 0), -KE_BUSY);
	CHECK_EQ(local_alloc_smmu_pgd(0, COREVISOR, 0), -KE_BUSY);
	CHECK_EQ(owner_of_ctx(0, 0), HOSTVISOR);

	/* VMs in any state but VERIFIED, on the last context of SMMU 1. */
	CHECK_EQ(local_alloc_smmu_pgd(KCORE_SMMU_CFG_NUM_1 - 1, VM1, 1), 0);
	CHECK_EQ(owner_of_ctx(1, KCORE_SMMU_CFG_NUM_1 - 1), VM1);
	kc.vminfo[VM2].state = POWEROFF;
	CHECK_EQ(local_alloc_smmu_pgd(1, VM2, 0), 0);
	kc.vminfo[3].state = UNUSED;
	CHECK_EQ(local_alloc_smmu_pgd(2, 3, 0), 0);
	CHECK_EQ(owner_of_ctx(0, 2), 3);
	unlock_all();
}

static void test_free_rules(void)
{
	setup();
	CHECK_EQ(local_free_smmu_pgd(KCORE_SMMU_MAX_CFG, 0), -KE_RANGE);
	CHECK_EQ(local_free_smmu_pgd(0, KCORE_SMMU_NUM), -KE_RANGE);
	CHECK_EQ(local_free_smmu_pgd(1, 0), -KE_STATE); /* unallocated (R2) */

	/* A VM's context needs POWEROFF. */
	CHECK_EQ(local_alloc_smmu_pgd(1, VM1, 0), 0);
	CHECK_EQ(local_free_smmu_pgd(1, 0), -KE_STATE);
	kc.vminfo[VM1].state = VERIFIED;
	CHECK_EQ(local_free_smmu_pgd(1, 0), -KE_STATE);
	CHECK_EQ(owner_of_ctx(0, 1), VM1);
	kc.vminfo[VM1].state = POWEROFF;
	fake_events_clear();
	CHECK_EQ(local_free_smmu_pgd(1, 0), 0);
	CHECK_EQ(owner_of_ctx(0, 1), INVALID);
	CHECK(has_event_b(FAKE_SMMU_TLBI_CTX, 0, 1, 0));
	CHECK_EQ(local_free_smmu_pgd(1, 0), -KE_STATE);

	/* D30: a host context goes once it maps nothing. */
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(host_dev_map(0, 0, HPFN), 0);
	fake_events_clear();
	CHECK_EQ(local_free_smmu_pgd(0, 0), -KE_BUSY);
	CHECK_EQ(owner_of_ctx(0, 0), HOSTVISOR);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), 0, 0), 0);
	CHECK_EQ(local_free_smmu_pgd(0, 0), 0);
	CHECK_EQ(owner_of_ctx(0, 0), INVALID);
	CHECK(has_event_b(FAKE_SMMU_TLBI_CTX, 0, 0, 0));
	unlock_all();
}

/* A freed VM context keeps its table until the next alloc empties it. */
static void test_alloc_empties_table(void)
{
	setup();
	CHECK_EQ(local_alloc_smmu_pgd(3, VM1, 0), 0);
	CHECK_EQ(local_smmu_assign_page(3, 0, HPFN, 0x77), 0);
	CHECK_EQ(local_smmu_map_page(3, 0, 0x77000, pa_of(HPFN)), 0);
	kc.vminfo[VM1].state = POWEROFF;
	CHECK_EQ(local_free_smmu_pgd(3, 0), 0); /* live mappings allowed for a VM */
	CHECK_EQ(local_alloc_smmu_pgd(3, HOSTVISOR, 0), 0);
	CHECK_EQ(spt_lookup(0, 3, 0x77).pte, 0);
	CHECK_EQ(nr_mapped(0, 3), 0);
	CHECK_EQ(smmu_iova_to_phys(0x77000, 3, 0), 0);
	unlock_all();
}

static void test_assign(void)
{
	struct s2page p;
	struct npt_entry e;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(1, VM1, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(2, VM2, 0), 0);
	/* The host has the page mapped in its stage 2. */
	CHECK_EQ(local_map_host(pa_of(HPFN)), 0);
	CHECK(npt_lookup(HOSTVISOR, HPFN).pte != 0);

	/* R3. */
	CHECK_EQ(local_smmu_assign_page(KCORE_SMMU_MAX_CFG, 0, HPFN, 5), -KE_RANGE);
	CHECK_EQ(local_smmu_assign_page(1, KCORE_SMMU_NUM, HPFN, 5), -KE_RANGE);
	CHECK_EQ(local_smmu_assign_page(1, 0, KVM_ADDR_SPACE >> PAGE_SHIFT, 5), -KE_RANGE);
	CHECK_EQ(local_smmu_assign_page(1, 0, HPFN, 1UL << 27), -KE_RANGE);
	CHECK_EQ(local_smmu_assign_page(3, 0, HPFN, 5), -KE_STATE);
	/* Host context: nothing to do. */
	fake_events_clear();
	CHECK_EQ(local_smmu_assign_page(0, 0, HPFN, 5), 0);
	p = s2page_get(HPFN);
	CHECK_EQ(p.owner, HOSTVISOR);
	CHECK_EQ(p.gfn, HPFN);
	CHECK_EQ(fake_events_count(), 0);
	/* A VERIFIED VM's context takes no page. */
	kc.vminfo[VM1].state = VERIFIED;
	CHECK_EQ(local_smmu_assign_page(1, 0, HPFN, 5), -KE_STATE);
	CHECK_EQ(s2page_get(HPFN).owner, HOSTVISOR);
	kc.vminfo[VM1].state = READY;

	/* The host page moves to VM1, count INVALID, and leaves the host. */
	CHECK_EQ(local_smmu_assign_page(1, 0, HPFN, 0x1234), 0);
	p = s2page_get(HPFN);
	CHECK_EQ(p.owner, VM1);
	CHECK_EQ(p.count, INVALID);
	CHECK_EQ(p.gfn, 0x1234);
	e = npt_lookup(HOSTVISOR, HPFN);
	CHECK_EQ(e.pte, 0);
	CHECK(has_event_b(FAKE_TLBI_S2_IPA, HOSTVISOR, 0, pa_of(HPFN)));
	/* The host cannot fault it back in (D12). */
	CHECK(local_map_host(pa_of(HPFN)) < 0);
	/* Already VM1's: nothing to do, whatever gfn. */
	CHECK_EQ(local_smmu_assign_page(1, 0, HPFN, 0x99), 0);
	CHECK_EQ(s2page_get(HPFN).gfn, 0x1234);
	/* A host context takes nothing, even a page it could never map. */
	CHECK_EQ(local_smmu_assign_page(0, 0, HPFN, 0x1234), 0);
	CHECK_EQ(local_smmu_assign_page(0, 0, kc.pool_base >> PAGE_SHIFT, 1), 0);
	CHECK_EQ(s2page_get(HPFN).owner, VM1);
	/* Another VM's page, and KCore's own memory: -KE_OWNER. */
	CHECK_EQ(local_smmu_assign_page(2, 0, HPFN, 0x1234), -KE_OWNER);
	CHECK_EQ(local_smmu_assign_page(2, 0, kc.pool_base >> PAGE_SHIFT, 1), -KE_OWNER);
	CHECK_EQ(s2page_get(kc.pool_base >> PAGE_SHIFT).owner, COREVISOR);

	/* A host page that is not in the host's table: no host TLBI needed. */
	fake_events_clear();
	CHECK_EQ(local_smmu_assign_page(2, 0, HPFN2, 7), 0);
	CHECK_EQ(s2page_get(HPFN2).owner, VM2);
	CHECK_EQ(count_events(FAKE_TLBI_S2_IPA), 0);
	unlock_all();
}

/* A host page a host device maps (count > 0) cannot go to a VM. */
static void test_assign_busy(void)
{
	pfn_t pfn = HPFN + 3;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(1, VM1, 0), 0);
	CHECK_EQ(host_dev_map(0, 0, pfn), 0);
	CHECK_EQ(s2page_get(pfn).count, 1);
	fake_events_clear();
	CHECK_EQ(local_smmu_assign_page(1, 0, pfn, 9), -KE_BUSY);
	CHECK_EQ(s2page_get(pfn).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(pfn).count, 1);
	CHECK_EQ(fake_events_count(), 0);
	unlock_all();
}

static void test_map_vm(void)
{
	u64 iova = 0x1234UL << PAGE_SHIFT;
	struct spt_entry e;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(1, VM1, 0), 0);
	CHECK_EQ(local_smmu_assign_page(1, 0, HPFN, 0x1234), 0);
	fake_events_clear();

	/* R3 and state. */
	CHECK_EQ(local_smmu_map_page(KCORE_SMMU_MAX_CFG, 0, iova, pa_of(HPFN)), -KE_RANGE);
	CHECK_EQ(local_smmu_map_page(1, KCORE_SMMU_NUM, iova, pa_of(HPFN)), -KE_RANGE);
	CHECK_EQ(local_smmu_map_page(1, 0, SMMU_IOVA_SPACE, pa_of(HPFN)), -KE_RANGE);
	CHECK_EQ(local_smmu_map_page(2, 0, iova, pa_of(HPFN)), -KE_STATE);
	kc.vminfo[VM1].state = VERIFIED;
	CHECK_EQ(local_smmu_map_page(1, 0, iova, pa_of(HPFN)), -KE_STATE);
	kc.vminfo[VM1].state = READY;
	/* Owner and gfn must match. */
	CHECK_EQ(local_smmu_map_page(1, 0, iova + PAGE_SIZE, pa_of(HPFN)), -KE_OWNER);
	CHECK_EQ(local_smmu_map_page(1, 0, pa_of(HPFN2), pa_of(HPFN2)), -KE_OWNER); /* host page */
	CHECK_EQ(local_smmu_map_page(1, 0, iova, 0), -KE_OWNER);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start());

	/* The descriptor is KCore's (D31), whatever bits the host sent. */
	CHECK_EQ(local_smmu_map_page(1, 0, iova, pa_of(HPFN) | 0xFFF | (1UL << 54)), 0);
	e = spt_lookup(0, 1, 0x1234);
	CHECK_EQ(e.pfn, HPFN);
	CHECK_EQ(e.pte, pa_of(HPFN) | PAGE_SMMU);
	CHECK_EQ(nr_mapped(0, 1), 1);
	CHECK_EQ(s2page_get(HPFN).count, INVALID); /* a VM page is not counted */
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start() + PAGE_SIZE);
	CHECK_EQ(kc.spt.pmd_next, spt_pmd_start() + PAGE_SIZE);
	/* D31: an iova that is mapped stays as it is. */
	CHECK_EQ(local_smmu_map_page(1, 0, iova, pa_of(HPFN)), -KE_EXIST);
	CHECK_EQ(nr_mapped(0, 1), 1);
	CHECK_EQ(fake_events_count(), 0);
	/* Other contexts do not see it. */
	CHECK_EQ(spt_lookup(0, 0, 0x1234).pte, 0);
	CHECK_EQ(spt_lookup(1, 1, 0x1234).pte, 0);

	CHECK_EQ(smmu_iova_to_phys(iova + 0x123, 1, 0), (long)(pa_of(HPFN) | 0x123));
	CHECK_EQ(smmu_iova_to_phys(iova + PAGE_SIZE, 1, 0), 0);
	CHECK_EQ(smmu_iova_to_phys(SMMU_IOVA_SPACE, 1, 0), -KE_RANGE);
	CHECK_EQ(smmu_iova_to_phys(iova, KCORE_SMMU_MAX_CFG, 0), -KE_RANGE);
	CHECK_EQ(smmu_iova_to_phys(iova, 1, KCORE_SMMU_NUM), -KE_RANGE);
	unlock_all();
}

/* Host pages: iova == pa, one count per device mapping (D31). */
static void test_map_host_count(void)
{
	pfn_t full = HPFN + 9;
	struct s2page p;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 1), 0);
	CHECK_EQ(host_dev_map(0, 0, HPFN), 0);
	CHECK_EQ(host_dev_map(1, 0, HPFN), 0);
	CHECK_EQ(s2page_get(HPFN).count, 2);
	CHECK_EQ(nr_mapped(0, 0), 1);
	CHECK_EQ(nr_mapped(1, 0), 1);
	CHECK_EQ(smmu_iova_to_phys(pa_of(HPFN) + 8, 0, 1), (long)(pa_of(HPFN) + 8));
	/* A host page is device-mapped only where it is (gfn == pfn). */
	CHECK_EQ(local_smmu_map_page(0, 0, pa_of(HPFN2), pa_of(HPFN)), -KE_OWNER);
	CHECK_EQ(host_dev_map(0, 0, HPFN), -KE_EXIST);
	CHECK_EQ(s2page_get(HPFN).count, 2);
	/* Not RAM, and KCore's own pages, are nobody's to map. */
	CHECK_EQ(host_dev_map(0, 0, 0x9000), -KE_OWNER);
	CHECK_EQ(host_dev_map(0, 0, kc.pool_base >> PAGE_SHIFT), -KE_OWNER);

#define COUNT_MAX (EL2_SMMU_CFG_SIZE + KCORE_PIN_SLOTS)
	/* D31: a count at its bound (every context's mapping and every pin slot,
	 * D60) is refused, not silently kept. */
	p = s2page_get(full);
	p.count = COUNT_MAX;
	s2page_set(full, p);
	fake_events_clear();
	CHECK_EQ(host_dev_map(0, 0, full), -KE_FULL);
	CHECK_EQ(s2page_get(full).count, COUNT_MAX);
	CHECK_EQ(spt_lookup(0, 0, full).pte, 0);
	CHECK_EQ(nr_mapped(0, 0), 1);
	CHECK_EQ(fake_events_count(), 0);
	p.count = COUNT_MAX - 1;
	s2page_set(full, p);
	CHECK_EQ(host_dev_map(0, 0, full), 0);
	CHECK_EQ(s2page_get(full).count, COUNT_MAX);
#undef COUNT_MAX
	unlock_all();
}

static void test_clear(void)
{
	u64 viova = 0x4000UL << PAGE_SHIFT;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(5, VM1, 0), 0);
	CHECK_EQ(host_dev_map(0, 0, HPFN), 0);
	CHECK_EQ(local_smmu_assign_page(5, 0, HPFN2, 0x4000), 0);
	CHECK_EQ(local_smmu_map_page(5, 0, viova, pa_of(HPFN2)), 0);

	CHECK_EQ(local_smmu_clear(SMMU_IOVA_SPACE, 0, 0), -KE_RANGE);
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), KCORE_SMMU_MAX_CFG, 0), -KE_RANGE);
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), 0, KCORE_SMMU_NUM), -KE_RANGE);
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), 1, 0), -KE_STATE);

	/* Host context: unmapped, device TLB invalidated, count dropped. */
	fake_events_clear();
	CHECK_EQ(local_smmu_clear(pa_of(HPFN) + 0x10, 0, 0), 0);
	CHECK_EQ(spt_lookup(0, 0, HPFN).pte, 0);
	CHECK_EQ(smmu_iova_to_phys(pa_of(HPFN), 0, 0), 0);
	CHECK(has_event_b(FAKE_SMMU_TLBI, 0, 0, pa_of(HPFN)));
	CHECK_EQ(s2page_get(HPFN).count, 0);
	CHECK_EQ(nr_mapped(0, 0), 0);
	/* An unmapped iova: 0, nothing happens. */
	fake_events_clear();
	CHECK_EQ(local_smmu_clear(pa_of(HPFN), 0, 0), 0);
	CHECK_EQ(local_smmu_clear(0x7000000000UL, 0, 0), 0);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start() + 2 * PAGE_SIZE);

	/* VM context: refused from VERIFIED on (spec: state >= VERIFIED). */
	kc.vminfo[VM1].state = VERIFIED;
	CHECK_EQ(local_smmu_clear(viova, 5, 0), -KE_STATE);
	kc.vminfo[VM1].state = POWEROFF;
	CHECK_EQ(local_smmu_clear(viova, 5, 0), -KE_STATE);
	CHECK_EQ(spt_lookup(0, 5, 0x4000).pfn, HPFN2);
	kc.vminfo[VM1].state = READY;
	fake_events_clear();
	CHECK_EQ(local_smmu_clear(viova, 5, 0), 0);
	CHECK(has_event_b(FAKE_SMMU_TLBI, 0, 5, viova));
	CHECK_EQ(spt_lookup(0, 5, 0x4000).pte, 0);
	CHECK_EQ(nr_mapped(0, 5), 0);
	CHECK_EQ(s2page_get(HPFN2).owner, VM1);
	CHECK_EQ(s2page_get(HPFN2).count, INVALID); /* a VM page keeps its mark */
	/* It can be mapped again. */
	CHECK_EQ(local_smmu_map_page(5, 0, viova, pa_of(HPFN2)), 0);
	unlock_all();
}

struct snap {
	struct spt spt;
	struct s2page page;
	u32 nr_mapped;
	u32 events;
};

static struct snap snap_take(u32 index, u32 cbndx, pfn_t pfn)
{
	struct snap s = { kc.spt, s2page_get(pfn), nr_mapped(index, cbndx), fake_events_count() };

	return s;
}

static void snap_check(const struct snap *s, u32 index, u32 cbndx, pfn_t pfn)
{
	struct s2page p = s2page_get(pfn);

	CHECK_EQ(kc.spt.pgd_next, s->spt.pgd_next);
	CHECK_EQ(kc.spt.pmd_next, s->spt.pmd_next);
	CHECK_EQ(p.owner, s->page.owner);
	CHECK_EQ(p.count, s->page.count);
	CHECK_EQ(p.gfn, s->page.gfn);
	CHECK_EQ(nr_mapped(index, cbndx), s->nr_mapped);
	CHECK_EQ(fake_events_count(), s->events);
}

/* pte tables run out: one per 2 MB of iova. */
static void test_nomem_pte(void)
{
	struct snap s;
	pfn_t last = RAM_PFN0 + (KCORE_SPT_PTE_POOL + 1) * PMD_PAGE_NUM;

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	for (u64 k = 1; k <= KCORE_SPT_PTE_POOL; k++)
		CHECK_EQ(host_dev_map(0, 0, RAM_PFN0 + k * PMD_PAGE_NUM), 0);
	CHECK_EQ(kc.spt.pmd_next, spt_pool_end());
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start() + PAGE_SIZE); /* all in 1 GB..2 GB */

	s = snap_take(0, 0, last);
	CHECK_EQ(host_dev_map(0, 0, last), -KE_NOMEM);
	snap_check(&s, 0, 0, last);
	CHECK_EQ(spt_lookup(0, 0, last).pte, 0);
	CHECK_EQ(smmu_iova_to_phys(pa_of(last), 0, 0), 0);
	/* A page inside an existing 2 MB table needs no pool page. */
	CHECK_EQ(host_dev_map(0, 0, RAM_PFN0 + PMD_PAGE_NUM + 1), 0);
	CHECK_EQ(nr_mapped(0, 0), KCORE_SPT_PTE_POOL + 1);
	unlock_all();
}

/* pmd tables run out: one per 1 GB of iova (a VM places pages anywhere). */
static void test_nomem_pmd(void)
{
	struct snap s;
	pfn_t next = HPFN + KCORE_SPT_PMD_POOL;
	u64 gb = 1UL << (30 - PAGE_SHIFT); /* gfns per GB */

	setup();
	CHECK_EQ(local_alloc_smmu_pgd(4, VM1, 0), 0);
	for (u64 k = 0; k < KCORE_SPT_PMD_POOL; k++) {
		CHECK_EQ(local_smmu_assign_page(4, 0, HPFN + k, k * gb + 3), 0);
		CHECK_EQ(local_smmu_map_page(4, 0, (k * gb + 3) << PAGE_SHIFT, pa_of(HPFN + k)), 0);
	}
	CHECK_EQ(kc.spt.pgd_next, spt_pmd_start());

	CHECK_EQ(local_smmu_assign_page(4, 0, next, KCORE_SPT_PMD_POOL * gb), 0);
	s = snap_take(0, 4, next);
	CHECK_EQ(local_smmu_map_page(4, 0, (KCORE_SPT_PMD_POOL * gb) << PAGE_SHIFT, pa_of(next)),
		 -KE_NOMEM);
	snap_check(&s, 0, 4, next);
	CHECK_EQ(spt_lookup(0, 4, KCORE_SPT_PMD_POOL * gb).pte, 0);
	/* The pool is shared: another context cannot get a pmd table either. */
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(host_dev_map(0, 0, HPFN2 + 0x40), -KE_NOMEM);
	CHECK_EQ(s2page_get(HPFN2 + 0x40).count, 0);
	unlock_all();
}

/* The table itself: real descriptors, TLBI on change, reset. */
static void test_spt_tables(void)
{
	u64 iova = (3UL << 30) | (5UL << 21) | (7UL << 12);
	const u64 *root, *pmd, *pte;
	u64 d;

	setup();
	/* Pool pages are zeroed before they are linked: leave junk in them. */
	memset(fake_ram(spt_pool_start()), 0x5A, PAGE_SIZE);
	memset(fake_ram(spt_pmd_start()), 0x5A, PAGE_SIZE);
	CHECK_EQ(local_spt_map_h(2, 1, iova, pa_of(HPFN) | PAGE_SMMU), 0);
	root = fake_ram(spt_root(1, 2));
	d = root[3];
	CHECK_EQ(d & PTE_TYPE_MASK, 3);
	CHECK_EQ(d & PHYS_MASK, spt_pool_start());
	pmd = fake_ram(d & PHYS_MASK);
	CHECK_EQ(pmd[5], spt_pmd_start() | 3);
	pte = fake_ram(spt_pmd_start());
	CHECK_EQ(pte[7], pa_of(HPFN) | PAGE_SMMU);
	CHECK_EQ(pte[6], 0);
	CHECK_EQ(pmd[4], 0);
	CHECK_EQ(spt_lookup(1, 2, (iova >> PAGE_SHIFT) + 1).pte, 0);
	CHECK_EQ(fake_events_count(), 0); /* a new entry needs no TLBI */

	/* Changing an entry invalidates it; rewriting the same does not. */
	CHECK_EQ(local_spt_map_h(2, 1, iova, pa_of(HPFN) | PAGE_SMMU), 0);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(local_spt_map_h(2, 1, iova, pa_of(HPFN2) | PAGE_SMMU), 0);
	CHECK(has_event_b(FAKE_SMMU_TLBI, 1, 2, iova));
	CHECK_EQ(spt_lookup(1, 2, iova >> PAGE_SHIFT).pfn, HPFN2);
	/* Unmapping where there is no table allocates nothing. */
	fake_events_clear();
	CHECK_EQ(local_spt_map_h(2, 1, 1UL << 38, 0), 0);
	CHECK_EQ(kc.spt.pgd_next, spt_pool_start() + PAGE_SIZE);
	CHECK_EQ(kc.spt.pmd_next, spt_pmd_start() + PAGE_SIZE);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(spt_map_check(2, 1, iova), 0);
	/* Reset: the root is empty, the whole context invalidated. */
	spt_reset(1, 2);
	CHECK_EQ(root[3], 0);
	CHECK_EQ(spt_lookup(1, 2, iova >> PAGE_SHIFT).pte, 0);
	CHECK(has_event_b(FAKE_SMMU_TLBI_CTX, 1, 2, 0));
	/* Out-of-range lookups read as unmapped. */
	CHECK_EQ(spt_lookup(KCORE_SMMU_NUM, 0, 1).pte, 0);
	CHECK_EQ(spt_lookup(0, 0, SMMU_IOVA_SPACE >> PAGE_SHIFT).pte, 0);
	unlock_all();
}

/* R5: a table descriptor outside the SMMU pool halts. */
/* D42: attach and detach streams; a freed context loses its streams. */
static void test_attach_rules(void)
{
	setup();
	/* R3: stream, cbndx, index, cbndx < num(index); then an allocated context. */
	CHECK_EQ(local_smmu_attach(KCORE_SMMU_STREAMS, 0, 0), -KE_RANGE);
	CHECK_EQ(local_smmu_attach(8, KCORE_SMMU_MAX_CFG, 0), -KE_RANGE);
	CHECK_EQ(local_smmu_attach(8, 0, KCORE_SMMU_NUM), -KE_RANGE);
	CHECK_EQ(local_smmu_attach(8, KCORE_SMMU_CFG_NUM_1, 1), -KE_RANGE);
	CHECK_EQ(local_smmu_attach(8, 0, 0), -KE_STATE);
	CHECK_EQ(local_smmu_detach(KCORE_SMMU_STREAMS, 0), -KE_RANGE);
	CHECK_EQ(local_smmu_detach(8, KCORE_SMMU_NUM), -KE_RANGE);
	CHECK_EQ(fake_events_count(), 0);

	/* The host's context: at any time. A VM's: only before VERIFIED. */
	CHECK_EQ(local_alloc_smmu_pgd(0, HOSTVISOR, 0), 0);
	CHECK_EQ(local_alloc_smmu_pgd(1, VM1, 0), 0);
	CHECK_EQ(local_smmu_attach(8, 0, 0), 0);
	CHECK_EQ(fake_stream_ctx(0, 8), 0);
	CHECK_EQ(local_smmu_attach(16, 1, 0), 0);
	CHECK_EQ(fake_stream_ctx(0, 16), 1);
	kc.vminfo[VM1].state = VERIFIED;
	fake_events_clear();
	CHECK_EQ(local_smmu_attach(8, 1, 0), -KE_STATE);
	CHECK_EQ(fake_stream_ctx(0, 8), 0);
	CHECK_EQ(fake_events_count(), 0);
	/* A verified VM's device stays put; others move and detach. */
	CHECK_EQ(local_smmu_attach(16, 0, 0), -KE_BUSY);
	CHECK_EQ(local_smmu_detach(16, 0), -KE_BUSY);
	CHECK_EQ(fake_stream_ctx(0, 16), 1);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(local_smmu_attach(24, 0, 0), 0);
	CHECK_EQ(local_smmu_detach(24, 0), 0);
	CHECK_EQ(fake_stream_ctx(0, 24), FAKE_STREAM_DETACHED);
	CHECK_EQ(kc.smmu_stream[0][24], SMMU_NO_CTX);
	CHECK_EQ(local_smmu_detach(24, 0), 0); /* detached already: nothing to do */

	/* Freeing a context detaches its streams, and only its. */
	kc.vminfo[VM1].state = READY;
	CHECK_EQ(local_smmu_attach(24, 1, 0), 0);
	CHECK_EQ(local_smmu_attach(32, 1, 0), 0);
	kc.vminfo[VM1].state = POWEROFF;
	CHECK_EQ(local_smmu_attach(40, 1, 0), -KE_STATE);
	fake_events_clear();
	CHECK_EQ(local_free_smmu_pgd(1, 0), 0);
	CHECK(has_event_b(FAKE_SMMU_DETACH, 0, 0, 24));
	CHECK(has_event_b(FAKE_SMMU_DETACH, 0, 0, 32));
	CHECK_EQ(kc.smmu_stream[0][24], SMMU_NO_CTX);
	CHECK_EQ(fake_stream_ctx(0, 24), FAKE_STREAM_DETACHED);
	CHECK_EQ(fake_stream_ctx(0, 32), FAKE_STREAM_DETACHED);
	CHECK_EQ(fake_stream_ctx(0, 16), FAKE_STREAM_DETACHED);
	CHECK_EQ(fake_stream_ctx(0, 8), 0);
	unlock_all();
}

static void test_corrupt_table_halts(void)
{
	jmp_buf jb;
	u64 *root;
	volatile int halted = 0;

	setup();
	root = fake_ram(spt_root(0, 0));
	root[1] = pa_of(HPFN) | 3; /* a host page as a pmd table */
	fake_halt_jmp = &jb;
	fake_halt_reason = NULL;
	if (setjmp(jb) == 0)
		(void)spt_lookup(0, 0, (1UL << 30) >> PAGE_SHIFT);
	else
		halted = 1;
	fake_halt_jmp = NULL;
	CHECK(halted);
	CHECK(fake_halt_reason != NULL && strstr(fake_halt_reason, "spt") != NULL);
	root[1] = 0;
	unlock_all();
}

UT_MAIN(UT(test_cfg_num), UT(test_init_state), UT(test_alloc_rules), UT(test_free_rules),
	UT(test_alloc_empties_table), UT(test_assign), UT(test_assign_busy), UT(test_map_vm),
	UT(test_map_host_count), UT(test_clear), UT(test_nomem_pte), UT(test_nomem_pmd),
	UT(test_spt_tables), UT(test_attach_rules), UT(test_corrupt_table_halts))
