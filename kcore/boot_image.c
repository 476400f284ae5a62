/* Boot images: where the host loaded each image of a VM (load slots), and
 * KCore's private view of those pages in the remap window of its own EL2
 * table, through which the images are authenticated (local_verify_vm) and
 * the first entry point is checked (search_load_info).
 *
 * Locks: INFO(vmid) for the slots; CORE for the window (the ranges of
 * every VM's slots, D68);
 * S2PAGE (owner test of D27) and NPT(COREVISOR) for the window's table. */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

static u64 boot_pgnum(u64 size)
{
	return (size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* D68: the lowest window address from which `bytes` are free of every
 * range a VM's load slot holds (first fit; without a destroyed VM's hole
 * that is the end of the highest range, the spec's bump pointer). Needs
 * CORE (every slot's range is written under it). */
static u64 window_first_fit(u64 bytes)
{
	u64 cand = KCORE_REMAP_START;
	bool moved;

	do {
		moved = false;
		for (vmid_t v = 1; v < COREVISOR; v++) {
			const struct vm_boot_info *b = &kc.vminfo[v].boot;

			for (u32 i = 0; i < b->next_load_info && i < MAX_LOAD_INFO_NUM; i++) {
				u64 lo = b->remap_addr[i];
				u64 hi = lo + boot_pgnum(b->load_size[i]) * PAGE_SIZE;

				if (cand < hi && lo < cand + bytes) {
					cand = hi;
					moved = true;
				}
			}
		}
	} while (moved);
	return cand;
}

/* D68: next_remap_ptr, the end of the highest range held. */
void boot_window_recompute(void)
{
	u64 top = KCORE_REMAP_START;

	lock_assert_held(CORE_ID);
	for (vmid_t v = 1; v < COREVISOR; v++) {
		const struct vm_boot_info *b = &kc.vminfo[v].boot;

		for (u32 i = 0; i < b->next_load_info && i < MAX_LOAD_INFO_NUM; i++) {
			u64 hi = b->remap_addr[i] + boot_pgnum(b->load_size[i]) * PAGE_SIZE;

			if (hi > top)
				top = hi;
		}
	}
	kc.core.next_remap_ptr = top;
}

/* D68: vmid's ranges unmapped from KCore's table (each page written 0 and
 * its EL2 entry invalidated: a range handed out again gets new frames)
 * and released to the arch (the Linux home's mirror of the window). */
void boot_window_release(vmid_t vmid)
{
	const struct vm_boot_info *b = &kc.vminfo[vmid].boot;

	lock_assert_held(CORE_ID);
	lock_assert_held(NPT_ID + COREVISOR);
	for (u32 i = 0; i < b->next_load_info && i < MAX_LOAD_INFO_NUM; i++) {
		for (u64 k = 0; k < b->mapped_pages[i]; k++)
			(void)npt_unmap_page(COREVISOR, b->remap_addr[i] + k * PAGE_SIZE);
		arch_remap_window_released(b->remap_addr[i], boot_pgnum(b->load_size[i]));
	}
}

/* spec: local_set_boot_info (+ D14, D28, D68: first fit in the window) */
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
	remap = window_first_fit(pgnum * PAGE_SIZE);
	if (remap + pgnum * PAGE_SIZE >= KCORE_REMAP_END)
		return -KE_FULL;
	if (remap + pgnum * PAGE_SIZE > kc.core.next_remap_ptr)
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
