/* A VM's stage-2 mappings: the host's mapping requests (a page or a 2 MB
 * block of RAM it gives to the VM) and device MMIO (MAP_IO). The order of
 * checks is docs/deviations.md, "Operation contract"; nothing changes
 * before every check has passed (R1). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

/* spec: local_map_pfn_vm. VM RAM is always mapped normal, read-write,
 * whatever attributes the host put in pte. */
long local_map_pfn_vm(vmid_t vmid, u64 addr, u64 pte, u32 level)
{
	u64 paddr = pte & PHYS_MASK; /* spec: phys_page pte */

	if (!is_vm(vmid) || !r3_addr(addr))
		return -KE_RANGE;
	lock_assert_held(NPT_ID + vmid);
	if (level == 2)
		return npt_map(vmid, addr, 2, (paddr | PAGE_S2_KERNEL) & NOT_PMD_TABLE_BIT);
	return npt_map(vmid, addr, 3, paddr | PAGE_S2_KERNEL);
}

/* A step after all checks passed cannot fail; if it does, the checks and
 * the commit disagree, a broken invariant (R5). */
static void must_succeed(long ret, const char *what, u64 a, u64 b)
{
	if (ret != 0)
		arch_halt(what, a, b);
}

/* Level 3 (D7): the assign and the map are both checked, then both done. */
static long prot_and_map_page(vmid_t vmid, u64 addr, u64 pte, gfn_t gfn, pfn_t pfn)
{
	long ret = local_assign_pfn_to_vm_check(vmid, gfn, pfn);

	if (ret)
		return ret;
	ret = npt_map_check(vmid, addr, 3);
	if (ret)
		return ret;
	must_succeed(local_assign_pfn_to_vm(vmid, gfn, pfn), "prot_and_map: assign", gfn, pfn);
	must_succeed(local_map_pfn_vm(vmid, addr, pte, 3), "prot_and_map: map", addr, pte);
	return 0;
}

/* Level 2: an aligned block (D8) whose 512 pages are each assigned at its
 * own gfn (D6), all checked before any is assigned. The checks are
 * independent: each assign touches only its own pfn and the host's entry
 * for it, which no other check reads. The 512 assigns are made together
 * (local_assign_block_to_vm: one walk of the host's table, D36). */
static long prot_and_map_block(vmid_t vmid, u64 addr, u64 pte, gfn_t gfn, pfn_t pfn)
{
	gfn_t gfn0 = gfn / PTRS_PER_PMD * PTRS_PER_PMD;
	long ret;

	if (pfn % PTRS_PER_PMD != 0)
		return -KE_ALIGN;
	ret = local_assign_block_to_vm_check(vmid, gfn0, pfn);
	if (ret)
		return ret;
	ret = npt_map_check(vmid, addr, 2);
	if (ret)
		return ret;
	local_assign_block_to_vm(vmid, gfn0, pfn);
	must_succeed(local_map_pfn_vm(vmid, addr, pte, 2), "prot_and_map: block map", addr, pte);
	return 0;
}

/* spec: prot_and_map_vm_s2pt_spec_h (D6, D7, D8, D24, D50) */
long prot_and_map_vm_s2pt(vmid_t vmid, u64 addr, u64 pte, u32 level)
{
	pfn_t pfn = (pte & PHYS_MASK) / PAGE_SIZE;
	gfn_t gfn = addr / PAGE_SIZE;
	long ret;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!is_vm(vmid) || !r3_addr(addr))
		return -KE_RANGE;
	lock_assert_held(NPT_ID + vmid);
	if (level != 2 && level != 3)
		return -KE_RANGE; /* D24 */
	ret = level == 3 ? prot_and_map_page(vmid, addr, pte, gfn, pfn)
			 : prot_and_map_block(vmid, addr, pte, gfn, pfn);
	/* D50: the page (or block) may be executed by the VM, and the host
	 * may have written it, or run code from it, just before: no CPU may
	 * fetch a stale instruction-cache line of it once it is mapped. The
	 * data side was cleaned to PoC when it left the host. */
	if (ret == 0)
		arch_icache_inval_all();
	return ret;
}

/* spec: local_map_io (D10: the frame checked is the frame mapped) */
long local_map_io(vmid_t vmid, u64 gpa, u64 pa)
{
	lock_assert_held(S2PAGE_ID);
	if (!is_vm(vmid) || !r3_addr(gpa) || !r3_addr(pa))
		return -KE_RANGE;
	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(NPT_ID + vmid);
	if (kc.vminfo[vmid].state != READY)
		return -KE_STATE;
	if (s2page_get(pa / PAGE_SIZE).owner != INVALID)
		return -KE_OWNER; /* R2: RAM, or MMIO KCore keeps */
	return npt_map(vmid, gpa, 3, (pa & PHYS_MASK) | PAGE_S2_DEVICE | S2_RDWR);
}
