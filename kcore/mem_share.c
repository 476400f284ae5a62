/* Pages a VM shares with the host (its SET/UNSET_DESC_PFN hypercalls), and
 * the encrypted export/import of pages (SAVE_ENCRYPT_BUF, LOAD_DECRYPT_BUF).
 * docs/deviations.md, "Operation contract". */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

/* spec: local_grant_vm_page. A count of INVALID (an SMMU-assigned page) is
 * above MAX_SHARE_COUNT, so such a page is never shared. */
void local_grant_vm_page(vmid_t vmid, pfn_t pfn)
{
	struct s2page page;

	lock_assert_held(S2PAGE_ID);
	if (!is_vm(vmid))
		return;
	page = s2page_get(pfn);
	if (page.owner != vmid || page.count >= MAX_SHARE_COUNT)
		return;
	page.count++;
	s2page_set(pfn, page);
}

/* spec: local_revoke_vm_page (D13: a count of INVALID is left alone). The
 * last revoke takes the page back from the host's table (D15: only a
 * removal, which needs no pool page, so it cannot fail). */
void local_revoke_vm_page(vmid_t vmid, pfn_t pfn)
{
	struct s2page page;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!is_vm(vmid))
		return;
	page = s2page_get(pfn);
	if (page.owner != vmid || page.count == 0 || page.count == INVALID)
		return;
	if (page.count == 1)
		host_unmap(pfn);
	page.count--;
	s2page_set(pfn, page);
}

/* D25: the range must lie inside the IPA space; D53: and span at most
 * KCORE_SHARE_MAX_PAGES of the spec's (size + 4095) / 4096 pages (size is
 * below 2^40 here, so the sum cannot wrap). */
static bool range_ok(u64 addr, u64 size)
{
	return r3_addr(addr) && size <= KVM_ADDR_SPACE - addr &&
	       (size + PAGE_SIZE - 1) / PAGE_SIZE <= KCORE_SHARE_MAX_PAGES;
}

/* The page the VM's mapping of gfn backs, 0 if none: inside a block, the
 * page of gfn, not the block's first page (D9). */
static pfn_t range_pfn(vmid_t vmid, gfn_t gfn)
{
	struct npt_entry e = npt_lookup(vmid, gfn);
	pfn_t pfn = (e.pte & PHYS_MASK) / PAGE_SIZE; /* spec: phys_page pte */

	if (pfn == 0)
		return 0;
	return e.level == 2 ? pfn + (gfn & (PTRS_PER_PMD - 1)) : pfn;
}

/* Both range calls: -KE_RANGE unless vmid is a VM and the range lies in
 * the IPA space (D25) and is at most 2 MB (D53); then fn on the page of
 * each mapped gfn. The spec's
 * loops run over (size + 4095) / PAGE_SIZE pages from addr's gfn. Gfns in
 * tables that do not exist map nothing and are skipped whole, so a guest's
 * huge range costs table walks, not 2^28 lookups. */
static long range_each(vmid_t vmid, u64 addr, u64 size, void (*fn)(vmid_t, pfn_t))
{
	gfn_t gfn, end;

	if (!is_vm(vmid) || !range_ok(addr, size))
		return -KE_RANGE;
	lock_assert_held(NPT_ID + vmid);
	gfn = addr / PAGE_SIZE;
	end = gfn + (size + PAGE_SIZE - 1) / PAGE_SIZE;
	while (gfn < end) {
		pfn_t pfn = range_pfn(vmid, gfn);

		if (pfn != 0)
			fn(vmid, pfn);
		if (gfn + 1 >= end) /* the last page: no walk for the next one */
			break;
		gfn = npt_next_gfn(vmid, gfn);
	}
	return 0;
}

/* spec: grant_stage2_loop (D9, D25) */
long grant_stage2_range(vmid_t vmid, u64 addr, u64 size)
{
	lock_assert_held(S2PAGE_ID);
	return range_each(vmid, addr, size, local_grant_vm_page);
}

/* spec: revoke_stage2_loop (D9, D13, D15, D25) */
long revoke_stage2_range(vmid_t vmid, u64 addr, u64 size)
{
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	return range_each(vmid, addr, size, local_revoke_vm_page);
}

/* spec: local_save_encrypt_buf (D41: the cipher is vm_page_encrypt; the
 * blob takes two host pages, the ciphertext at outbuf and its header in the
 * next page) */
long local_save_encrypt_buf(vmid_t vmid, u64 inbuf, u64 outbuf)
{
	pfn_t in = inbuf / PAGE_SIZE, out = outbuf / PAGE_SIZE;

	lock_assert_held(S2PAGE_ID);
	if (!is_vm(vmid) || !r3_addr(inbuf) || !r3_addr(outbuf))
		return -KE_RANGE;
	if (!export_salt_ok()) /* D52: no boot salt, no keystream of its own */
		return -KE_NOTSUPP;
	if (s2page_get(in).owner != vmid || s2page_get(out).owner != HOSTVISOR ||
	    s2page_get(out + 1).owner != HOSTVISOR)
		return -KE_OWNER;
	vm_page_encrypt(vmid, in, out);
	return 0;
}

/* The page leaves the host (mapping, then owner) before it is decrypted in
 * place, so the host never maps plaintext. The cipher changes nothing when
 * it refuses, so a refusal hands the page back exactly as it was, host
 * mapping included: nothing changed (R1, D41). On success the page is the
 * VM's at the gfn the blob was sealed for. */
static long load_decrypt_commit(vmid_t vmid, pfn_t pfn, struct s2page old,
				const struct kcore_blob_header *h)
{
	struct s2page vm = { vmid, 0, INVALID64 };
	u64 host_pte = npt_lookup(HOSTVISOR, pfn).pte;
	long ret;

	host_unmap(pfn);
	s2page_set_owner(pfn, vm);
	/* D50: the ciphertext KCore reads is the one in memory, with no line
	 * of the host's left behind (the plaintext written over it is
	 * cleaned by vm_page_decrypt). */
	arch_dcache_clean_inval_poc(pfn * PAGE_SIZE, PAGE_SIZE);
	ret = vm_page_decrypt(vmid, pfn, h);
	if (ret >= 0) {
		vm.gfn = h->index;
		s2page_set(pfn, vm);
		return ret;
	}
	s2page_set_owner(pfn, old);
	if (host_pte != 0 && npt_map(HOSTVISOR, pfn * PAGE_SIZE, 3, host_pte) != 0)
		arch_halt("load_decrypt_buf: cannot restore a host mapping", pfn, host_pte);
	return ret;
}

/* spec: local_load_decrypt_buf (D41: the blob's header is in the page after
 * inbuf, which stays the host's) */
long local_load_decrypt_buf(vmid_t vmid, u64 inbuf)
{
	pfn_t pfn = inbuf / PAGE_SIZE;
	struct kcore_blob_header h;
	struct s2page page;
	long ret;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + HOSTVISOR);
	if (!is_vm(vmid) || !r3_addr(inbuf))
		return -KE_RANGE;
	lock_assert_held(INFO_ID + vmid);
	if (kc.vminfo[vmid].state != READY)
		return -KE_STATE;
	page = s2page_get(pfn);
	if (page.owner != HOSTVISOR)
		return -KE_OWNER;
	if (page.count != 0)
		return -KE_BUSY;
	if (s2page_get(pfn + 1).owner != HOSTVISOR)
		return -KE_OWNER;
	ret = blob_header_check(pfn + 1, KCORE_BLOB_PAGE, vmid, INVALID64, &h);
	if (ret)
		return ret;
	return load_decrypt_commit(vmid, pfn, page, &h);
}
