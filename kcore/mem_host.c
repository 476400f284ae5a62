/* Pages moving between the host and a VM: the host's stage-2 faults, a
 * VM's page given back to the host (CLEAR_VM_PAGE), and a host page given
 * to a VM (assign, inside a run's mapping request). The order of checks and
 * the error codes are docs/deviations.md, "Operation contract". Every check
 * is made before anything changes (R1). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

void host_unmap(pfn_t pfn)
{
	lock_assert_held(NPT_ID + HOSTVISOR);
	(void)npt_unmap_page(HOSTVISOR, pfn * PAGE_SIZE);
}

/* The host may map what it owns, what is not RAM (device MMIO), and a VM
 * page the VM shared with it: 0 < count < INVALID. A page assigned to a VM
 * through the SMMU has count INVALID and stays the VM's alone (D12). */
static bool host_may_map(struct s2page page)
{
	return page.owner == INVALID || page.owner == HOSTVISOR ||
	       (page.count > 0 && page.count < INVALID);
}

/* spec: local_map_host */
long local_map_host(u64 addr)
{
	struct s2page page;
	pfn_t pfn;
	u64 attr;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!r3_addr(addr))
		return -KE_RANGE;
	pfn = addr / PAGE_SIZE;
	page = s2page_get(pfn);
	if (!host_may_map(page))
		return -KE_OWNER;
	attr = page.owner == INVALID ? PAGE_S2_DEVICE | S2_RDWR : PAGE_S2_KERNEL;
	return npt_map(HOSTVISOR, addr, 3, pfn * PAGE_SIZE | attr);
}

/* D16: a page may only leave a VM that can no longer touch it: powered
 * off, no vCPU still running on some CPU, no device context of its own. */
long vm_check_stopped(vmid_t vmid)
{
	const struct vm_info *info = &kc.vminfo[vmid];

	if (info->state != POWEROFF)
		return -KE_STATE;
	for (u32 v = 0; v < KCORE_MAX_VCPUS; v++)
		if (info->vcpu_state[v] == ACTIVE)
			return -KE_BUSY;
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		if (kc.smmu_vmid[i] == vmid)
			return -KE_BUSY;
	return 0;
}

/* spec: local_clear_vm_page (D16; the spec's flatmem := 0 is the scrub) */
long local_clear_vm_page(vmid_t vmid, pfn_t pfn)
{
	struct s2page host = { HOSTVISOR, 0, pfn + SMMU_HOST_OFFSET };
	long ret;

	lock_assert_held(SMMU_ID);
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!is_vm(vmid) || !r3_pfn(pfn))
		return -KE_RANGE;
	lock_assert_held(INFO_ID + vmid);
	ret = vm_check_stopped(vmid);
	if (ret)
		return ret;
	if (s2page_get(pfn).owner != vmid)
		return -KE_OWNER; /* R2 */
	host_unmap(pfn);
	s2page_set_owner(pfn, host); /* D68: one page less for the VM */
	/* Still under S2PAGE: the host cannot map it before it is zero. */
	page_zero(pfn * PAGE_SIZE);
	return 0;
}

/* The test of local_assign_pfn_to_vm_check on one entry. */
static long assign_check_page(vmid_t vmid, gfn_t gfn, struct s2page page)
{
	if (page.owner == HOSTVISOR)
		return page.count == 0 ? 0 : -KE_BUSY;
	if (page.owner == vmid && (page.gfn == INVALID64 || page.gfn == gfn))
		return 0;
	return -KE_OWNER;
}

/* The refusals of spec local_assign_pfn_to_vm, changing nothing. */
long local_assign_pfn_to_vm_check(vmid_t vmid, gfn_t gfn, pfn_t pfn)
{
	lock_assert_held(S2PAGE_ID);
	if (!is_vm(vmid))
		return -KE_RANGE;
	return assign_check_page(vmid, gfn, s2page_get(pfn));
}

/* spec: local_assign_pfn_to_vm (D11: the updated page' is stored; D50) */
long local_assign_pfn_to_vm(vmid_t vmid, gfn_t gfn, pfn_t pfn)
{
	struct s2page page;
	long ret;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	ret = local_assign_pfn_to_vm_check(vmid, gfn, pfn);
	if (ret)
		return ret;
	page = s2page_get(pfn);
	if (page.owner == HOSTVISOR) {
		/* The host loses its mapping before the VM owns the page. */
		host_unmap(pfn);
		page.owner = vmid;
		page.count = 0;
		page.gfn = gfn;
		kc.vm_pages[vmid]++; /* D68 */
		/* D50: what the host left in a cache line of it is written
		 * back and dropped: the guest (MMU off, or its own
		 * attributes) reads what memory holds, one value. */
		arch_dcache_clean_inval_poc(pfn * PAGE_SIZE, PAGE_SIZE);
	} else {
		/* Already the VM's (e.g. assigned through the SMMU). */
		if (page.count == INVALID)
			page.count = 0;
		if (page.gfn == INVALID64)
			page.gfn = gfn;
	}
	s2page_set(pfn, page);
	return 0;
}

/* The refusals of the 512 assigns (gfn0 + i, pfn0 + i) of a block, in
 * order: the first page refused gives the code, as a loop of
 * local_assign_pfn_to_vm_check would. */
long local_assign_block_to_vm_check(vmid_t vmid, gfn_t gfn0, pfn_t pfn0)
{
	const struct s2page *s = s2page_ram_span(pfn0, PMD_PAGE_NUM);

	lock_assert_held(S2PAGE_ID);
	if (!is_vm(vmid))
		return -KE_RANGE;
	if (!s) { /* some frame is not RAM: it is refused, at its place */
		for (u64 i = 0; i < PMD_PAGE_NUM; i++) {
			long ret = local_assign_pfn_to_vm_check(vmid, gfn0 + i, pfn0 + i);

			if (ret)
				return ret;
		}
		return 0;
	}
	for (u64 i = 0; i < PMD_PAGE_NUM; i++) {
		long ret = assign_check_page(vmid, gfn0 + i, s[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* spec: local_assign_pfn_to_vm for the 512 pages of a checked block (D6,
 * D11), with the host-unmaps made in one walk of the host's table and one
 * invalidation (D36): every host entry of a page that leaves the host is
 * gone, and invalidated, before the first owner changes. The result is the
 * state 512 local_assign_pfn_to_vm calls leave. */
void local_assign_block_to_vm(vmid_t vmid, gfn_t gfn0, pfn_t pfn0)
{
	struct s2page *s = s2page_ram_span(pfn0, PMD_PAGE_NUM);
	u64 leaving[PMD_PAGE_NUM / 64] = { 0 };
	u64 n = 0;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!s || pfn0 % PMD_PAGE_NUM != 0 ||
	    local_assign_block_to_vm_check(vmid, gfn0, pfn0) != 0)
		arch_halt("assign block: not checked", vmid, pfn0);
	for (u64 i = 0; i < PMD_PAGE_NUM; i++)
		if (s[i].owner == HOSTVISOR) {
			leaving[i / 64] |= 1UL << (i % 64);
			n++;
		}
	kc.vm_pages[vmid] += n; /* D68: the pages that leave the host below */
	/* The host's gfn of a host page is its pfn (SMMU_HOST_OFFSET 0). */
	npt_unmap_pages_2m(HOSTVISOR, pfn0 * PAGE_SIZE, leaving);
	for (u64 i = 0; i < PMD_PAGE_NUM; i++) {
		struct s2page *page = &s[i];

		if (page->owner == HOSTVISOR) {
			page->owner = vmid;
			page->count = 0;
			page->gfn = gfn0 + i;
			arch_dcache_clean_inval_poc((pfn0 + i) * PAGE_SIZE, PAGE_SIZE); /* D50 */
		} else { /* already the VM's (e.g. assigned through the SMMU) */
			if (page->count == INVALID)
				page->count = 0;
			if (page->gfn == INVALID64)
				page->gfn = gfn0 + i;
		}
	}
}
