/* Boot images: where the host loaded each image of a VM (load slots), and
 * KCore's private view of those pages in the remap window of its own EL2
 * table, through which the images are authenticated (local_verify_vm) and
 * the first entry point is checked (search_load_info).
 *
 * Locks: INFO(vmid) for the slots; CORE for the window's bump pointer;
 * S2PAGE (owner test of D27) and NPT(COREVISOR) for the window's table. */
#include "kcore/errno.h"
#include "kcore/state.h"

static u64 boot_pgnum(u64 size)
{
	return (size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* spec: local_set_boot_info (+ D14, D28) */
long local_set_boot_info(vmid_t vmid, u64 load_addr, u64 size)
{
	struct vm_info *info;
	struct vm_boot_info *b;
	u64 pgnum, remap;
	u32 idx;

	if (!is_vm(vmid))
		return -KE_RANGE;
	lock_assert_held(CORE_ID);
	lock_assert_held(INFO_ID + vmid);
	info = &kc.vminfo[vmid];
	b = &info->boot;
	if (info->state != READY)
		return -KE_STATE;
	/* D28: a page-aligned, non-empty image inside the IPA space, so that
	 * search_load_info's base + size never wraps. */
	if (load_addr % PAGE_SIZE != 0)
		return -KE_ALIGN;
	if (size == 0 || load_addr > KVM_ADDR_SPACE || size > KVM_ADDR_SPACE - load_addr)
		return -KE_RANGE;
	idx = b->next_load_info;
	if (idx >= MAX_LOAD_INFO_NUM)
		return -KE_FULL; /* D14 */
	/* size <= 2^40 here, so neither the page count nor the sum overflows. */
	pgnum = boot_pgnum(size);
	remap = kc.core.next_remap_ptr;
	if (remap + pgnum * PAGE_SIZE >= KCORE_REMAP_END)
		return -KE_FULL;
	kc.core.next_remap_ptr = remap + pgnum * PAGE_SIZE;
	b->load_addr[idx] = load_addr;
	b->load_size[idx] = size;
	b->remap_addr[idx] = remap;
	b->mapped_pages[idx] = 0;
	b->next_load_info = idx + 1;
	return idx;
}

/* spec: local_remap_vm_image (+ D27, and R2: a bad slot or a full slot is
 * an error, not a silent no-op) */
long local_remap_vm_image(vmid_t vmid, pfn_t pfn, u64 load_idx)
{
	struct vm_info *info;
	struct vm_boot_info *b;
	u64 mapped, target;
	long ret;

	if (!is_vm(vmid) || pfn >= KVM_ADDR_SPACE / PAGE_SIZE)
		return -KE_RANGE;
	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + COREVISOR);
	info = &kc.vminfo[vmid];
	b = &info->boot;
	if (info->state != READY)
		return -KE_STATE;
	if (load_idx >= b->next_load_info)
		return -KE_RANGE;
	mapped = b->mapped_pages[load_idx];
	if (mapped >= boot_pgnum(b->load_size[load_idx]))
		return -KE_FULL;
	/* D27: only host RAM may be shown to KCore as a VM image. */
	if (s2page_get(pfn).owner != HOSTVISOR)
		return -KE_OWNER;
	target = b->remap_addr[load_idx] + mapped * PAGE_SIZE;
	ret = npt_map(COREVISOR, target, 3, pfn * PAGE_SIZE | PAGE_HYP);
	if (ret < 0)
		return ret;
	b->mapped_pages[load_idx] = mapped + 1;
	return 0;
}

/* spec: search_load_info_loop_h. Every slot is looked at, so the last image
 * containing addr wins, as in the spec's loop. */
u64 search_load_info(vmid_t vmid, u64 addr)
{
	const struct vm_boot_info *b;
	u64 ret = 0;

	if (!is_vm(vmid))
		return 0;
	lock_assert_held(INFO_ID + vmid);
	b = &kc.vminfo[vmid].boot;
	for (u32 i = 0; i < b->next_load_info && i < MAX_LOAD_INFO_NUM; i++) {
		u64 base = b->load_addr[i];

		if (addr >= base && addr - base < b->load_size[i])
			ret = addr - base + b->remap_addr[i];
	}
	return ret;
}
