/* VERIFY_VM: KCore boots a VM only from images it has authenticated, and
 * it authenticates the bytes the VM will run, not bytes the host can still
 * change. For every page of every load slot, in this order (D40):
 *
 *   1. check, changing nothing: the VM is READY, every slot is completely
 *      remapped (D29), no two slots overlap in the IPA space, every page is
 *      the host's with no device mapping (count 0) and appears once, and the
 *      VM's table can take a level-3 mapping of every page;
 *   2. take the pages: each is unmapped from the host's stage 2 (TLB
 *      invalidated) and becomes the VM's, at the gfn of its load address,
 *      then is cleaned and invalidated to the point of coherency (D50), so
 *      the bytes KCore reads through its cacheable window are the bytes in
 *      memory, which a guest with its MMU off fetches;
 *   3. authenticate each image through KCore's remap window (kcore/crypto.c),
 *      now that no one but KCore can write it;
 *   4. success: the unsigned tail of each image's last page (after the
 *      file's payload and trailer) is zeroed (D51), every page is mapped
 *      into the VM at its load address, and the instruction caches are
 *      invalidated (D50) before any vCPU of the VM can run: VERIFIED.
 *      Failure: every page is scrubbed and given back to the host, and the
 *      VM is POWEROFF: it can never run (-KE_AUTH).
 *
 * Locks: INFO(vmid), S2PAGE, NPT(HOSTVISOR), NPT(vmid), NPT(COREVISOR). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

/* A share count no page can have (counts are <= MAX_SHARE_COUNT, a device
 * mapping count, or INVALID): marks a page already seen in step 1. */
#define VERIFY_SEEN (INVALID - 1)

static u64 slot_pages(const struct vm_boot_info *b, u32 i)
{
	return (b->load_size[i] + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* The frame behind page k of slot i, read from KCore's own window table. */
static pfn_t slot_pfn(const struct vm_boot_info *b, u32 i, u64 k)
{
	return npt_lookup(COREVISOR, (b->remap_addr[i] >> PAGE_SHIFT) + k).pfn;
}

/* D29: every load slot must be remapped page for page: otherwise the check
 * would read a window that does not hold the whole image. */
static bool images_complete(const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++)
		if (b->mapped_pages[i] != slot_pages(b, i))
			return false;
	return true;
}

/* D40: two images at overlapping IPAs would give the VM a mix that nobody
 * signed. */
static bool images_disjoint(const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++)
		for (u32 j = 0; j < i; j++) {
			gfn_t si = b->load_addr[i] >> PAGE_SHIFT, sj = b->load_addr[j] >> PAGE_SHIFT;

			if (si < sj + slot_pages(b, j) && sj < si + slot_pages(b, i))
				return false;
		}
	return true;
}

/* Undo the marks of step 1 on the first `upto` pages, in slot order. */
static void unmark_pages(const struct vm_boot_info *b, u64 upto)
{
	u64 n = 0;

	for (u32 i = 0; i < b->next_load_info; i++)
		for (u64 k = 0; k < slot_pages(b, i); k++, n++) {
			pfn_t pfn = slot_pfn(b, i, k);
			struct s2page page = s2page_get(pfn);

			if (n == upto)
				return;
			page.count = 0;
			s2page_set(pfn, page);
		}
}

/* Step 1's page checks, in slot then page order: the host's (-KE_OWNER),
 * no device mapping (-KE_BUSY), not already in an image (-KE_OWNER). Each
 * page is marked as it passes (under S2PAGE, so no one sees the mark), and
 * every mark is undone before return. */
static long check_pages(const struct vm_boot_info *b)
{
	long ret = 0;
	u64 n = 0;

	for (u32 i = 0; i < b->next_load_info && !ret; i++)
		for (u64 k = 0; k < slot_pages(b, i) && !ret; k++) {
			pfn_t pfn = slot_pfn(b, i, k);
			struct s2page page = s2page_get(pfn);

			if (page.owner != HOSTVISOR || page.count == VERIFY_SEEN)
				ret = -KE_OWNER;
			else if (page.count != 0)
				ret = -KE_BUSY;
			else {
				page.count = VERIFY_SEEN;
				s2page_set(pfn, page);
				n++;
			}
		}
	unmark_pages(b, n);
	return ret;
}

static long check_vm_table(vmid_t vmid, const struct vm_boot_info *b)
{
	struct gfn_range r[MAX_LOAD_INFO_NUM];

	for (u32 i = 0; i < b->next_load_info; i++) {
		r[i].start = b->load_addr[i] >> PAGE_SHIFT;
		r[i].num = slot_pages(b, i);
	}
	return npt_map_ranges_check(vmid, r, b->next_load_info);
}

/* Step 2: the host loses each page (mapping first, TLB invalidated, then
 * the owner), so from here on only KCore can write the images. Then the
 * page's lines are cleaned and invalidated to PoC (D50): whatever the host
 * left in a cache (through a cacheable alias) or in memory (through a
 * non-cacheable one), one value is left, and it is the one checked. Taken
 * first: the host, which can no longer write the page, cannot dirty a line
 * of it again after the maintenance. */
static void take_pages(vmid_t vmid, const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++)
		for (u64 k = 0; k < slot_pages(b, i); k++) {
			pfn_t pfn = slot_pfn(b, i, k);
			struct s2page vm = { vmid, 0, (b->load_addr[i] >> PAGE_SHIFT) + k };

			host_unmap(pfn);
			s2page_set_owner(pfn, vm); /* D68: the VM's page count */
			arch_dcache_clean_inval_poc(pfn * PAGE_SIZE, PAGE_SIZE);
		}
}

/* Step 4, success (D51): the bytes of an image's last page after the file
 * (payload + trailer, load_size bytes) are not signed, so they are zeroed
 * (and cleaned to PoC, for a guest with its MMU off) before the VM can
 * read them: a host cannot hand a verified VM bytes of its choice there. */
static void zero_tails(const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++) {
		u64 used = b->load_size[i] % PAGE_SIZE;
		pfn_t last;
		u8 *p;

		if (used == 0)
			continue;
		last = slot_pfn(b, i, slot_pages(b, i) - 1);
		p = arch_phys_to_virt(last * PAGE_SIZE);
		for (u64 off = used; off < PAGE_SIZE; off++)
			p[off] = 0;
		arch_dcache_clean_page(last * PAGE_SIZE);
	}
}

/* Step 4, failure: as CLEAR_VM_PAGE, each page is zeroed while S2PAGE is
 * still held, so the host never sees a byte of a refused image again. The
 * VM has never been mapped, so no VM table refers to the pages. */
static void give_back_scrubbed(const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++)
		for (u64 k = 0; k < slot_pages(b, i); k++) {
			pfn_t pfn = slot_pfn(b, i, k);
			struct s2page host = { HOSTVISOR, 0, pfn + SMMU_HOST_OFFSET };

			s2page_set_owner(pfn, host);
			page_zero(pfn * PAGE_SIZE);
		}
}

/* Step 4, success: checked by check_vm_table, so a failure is a broken
 * invariant (R5). */
static void map_images(vmid_t vmid, const struct vm_boot_info *b)
{
	for (u32 i = 0; i < b->next_load_info; i++)
		for (u64 k = 0; k < slot_pages(b, i); k++) {
			pfn_t pfn = slot_pfn(b, i, k);
			u64 addr = b->load_addr[i] + k * PAGE_SIZE;

			if (local_map_pfn_vm(vmid, addr, pfn * PAGE_SIZE, 3) != 0)
				arch_halt("verify_vm: image map failed after its check", vmid, addr);
		}
}

/* spec: local_verify_vm (+ D29, D40, D45, D50, D51) */
long local_verify_vm(vmid_t vmid)
{
	struct vm_info *info;
	const struct vm_boot_info *b;
	long ret;

	if (!is_vm(vmid))
		return -KE_RANGE;
	/* D45: no VM boots where device DMA could reach it, unless the build
	 * opted in to that by name. */
	if (!arch_dma_policy_allows_vms())
		return -KE_NOTSUPP;
	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	lock_assert_held(NPT_ID + vmid);
	lock_assert_held(NPT_ID + COREVISOR);
	info = &kc.vminfo[vmid];
	b = &info->boot;
	if (info->state != READY)
		return -KE_STATE;
	if (!images_complete(b))
		return -KE_STATE;
	if (!images_disjoint(b))
		return -KE_RANGE;
	ret = check_pages(b);
	if (ret)
		return ret;
	ret = check_vm_table(vmid, b);
	if (ret)
		return ret;
	take_pages(vmid, b);
	ret = image_authenticate(vmid);
	if (ret < 0) {
		give_back_scrubbed(b);
		info->state = POWEROFF;
		return -KE_AUTH;
	}
	zero_tails(b);
	map_images(vmid, b);
	/* D50: no CPU may fetch a stale line of an image page when a vCPU of
	 * the VM first runs (VERIFIED is what lets it run). */
	arch_icache_inval_all();
	info->state = VERIFIED;
	return 0;
}
