/* Who owns each SMMU context, and what a context may map: the spec's
 * local_alloc_smmu_pgd, local_free_smmu_pgd, local_smmu_assign_page,
 * local_smmu_map_page, local_smmu_clear, and iova-to-phys.
 *
 * Each function is one line of docs/deviations.md "Operation contract":
 * R3 range checks first, then the spec's checks in its order (with the
 * deviations at their stated place), then the change, which cannot fail.
 * The caller (kcore/hvc.c) holds the locks; they are asserted here. */
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/errno.h"
#include "kcore/lock.h"
#include "kcore/smmu.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

/* R3: iovas index three-level tables; gfns of SMMU-assigned pages fit in
 * 27 bits for the same reason; frames lie below KVM_ADDR_SPACE. */
#define SMMU_GFN_LIMIT (SMMU_IOVA_SPACE >> PAGE_SHIFT)
#define SMMU_PFN_LIMIT (KVM_ADDR_SPACE >> PAGE_SHIFT)

u32 smmu_cfg_num(u32 index)
{
	switch (index) {
	case 0:
		return KCORE_SMMU_CFG_NUM_0;
	case 1:
		return KCORE_SMMU_CFG_NUM_1;
	default:
		return 0;
	}
}

/* R3 for a context: cbndx first, then index (argument order). */
static bool smmu_ctx_in_range(u32 cbndx, u32 index)
{
	return cbndx < KCORE_SMMU_MAX_CFG && index < KCORE_SMMU_NUM;
}

/* The principal that owns context (index, cbndx): INVALID, HOSTVISOR or a
 * VM. Alloc never stores anything else (D32), so anything else is R5. */
static vmid_t smmu_owner(u32 index, u32 cbndx)
{
	vmid_t vmid = kc.smmu_vmid[smmu_id(index, cbndx)];

	lock_assert_held(SMMU_ID);
	if (vmid != INVALID && vmid != HOSTVISOR && !is_vm(vmid))
		arch_halt("smmu: context owned by a non-principal", smmu_id(index, cbndx), vmid);
	return vmid;
}

/* The state of the VM that owns a context; HOSTVISOR has none (UNUSED),
 * which passes every "VERIFIED" test below, as in the spec. */
static u32 smmu_owner_state(vmid_t vmid)
{
	if (!is_vm(vmid))
		return UNUSED;
	lock_assert_held(INFO_ID + vmid);
	return kc.vminfo[vmid].state;
}

/* Contract "host-unmap(pfn)": the host's own gfn for a page is its pfn.
 * Removing a level-3 entry needs no pool page (D15), and the host never
 * holds blocks, so a failure is a broken invariant (R5). npt_map
 * invalidates the host's TLB entry. */
static void smmu_host_unmap(pfn_t pfn)
{
	struct npt_entry e;

	lock_assert_held(NPT_ID + HOSTVISOR);
	e = npt_lookup(HOSTVISOR, pfn);
	if (e.pte == 0)
		return;
	if (e.level != 3 || npt_map(HOSTVISOR, pfn * PAGE_SIZE, 3, PAGE_GUEST) != 0)
		arch_halt("smmu: cannot unmap a page from the host", pfn, e.level);
}

/* spec: local_alloc_smmu_pgd (num = smmu_cfg_num(index); D32) */
long local_alloc_smmu_pgd(u32 cbndx, vmid_t vmid, u32 index)
{
	u32 id;

	if (!smmu_ctx_in_range(cbndx, index))
		return -KE_RANGE;
	if (cbndx >= smmu_cfg_num(index))
		return -KE_RANGE;
	if (smmu_owner(index, cbndx) != INVALID)
		return -KE_BUSY; /* R2: the spec silently keeps the old owner */
	if (vmid != HOSTVISOR && !is_vm(vmid))
		return -KE_RANGE; /* D32 */
	if (smmu_owner_state(vmid) == VERIFIED)
		return -KE_STATE;

	lock_assert_held(SPT_ID);
	id = smmu_id(index, cbndx);
	kc.smmu_vmid[id] = vmid;
	spt_reset(index, cbndx);
	kc.smmu_nr_mapped[id] = 0; /* the table is empty again (D30) */
	return 0;
}

/* spec: local_free_smmu_pgd (D30 for a host context) */
long local_free_smmu_pgd(u32 cbndx, u32 index)
{
	vmid_t vmid;
	u32 id;

	if (!smmu_ctx_in_range(cbndx, index))
		return -KE_RANGE;
	vmid = smmu_owner(index, cbndx);
	if (vmid == INVALID)
		return -KE_STATE; /* R2 */
	id = smmu_id(index, cbndx);
	if (is_vm(vmid) && smmu_owner_state(vmid) != POWEROFF)
		return -KE_STATE;
	/* D30: the spec reads HOSTVISOR's VM state, so a host context could
	 * never go; it may once nothing is device-mapped through it (so no
	 * host page keeps a count for it). */
	if (vmid == HOSTVISOR && kc.smmu_nr_mapped[id] != 0)
		return -KE_BUSY;

	kc.smmu_vmid[id] = INVALID;
	/* The device must lose every translation before the VM's pages can
	 * be cleared and handed on (D16 waits for this); and no device may
	 * stay attached to the context: its table stays until the next alloc,
	 * and would still reach pages handed on since (D42). */
	for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++)
		if (kc.smmu_stream[index][s] == cbndx) {
			kc.smmu_stream[index][s] = SMMU_NO_CTX;
			smmu_hw_detach(index, s);
		}
	smmu_hw_tlbi_ctx(index, cbndx);
	return 0;
}

/* spec: local_smmu_assign_page */
long local_smmu_assign_page(u32 cbndx, u32 index, pfn_t pfn, gfn_t gfn)
{
	vmid_t vmid;
	struct s2page page;

	if (!smmu_ctx_in_range(cbndx, index) || pfn >= SMMU_PFN_LIMIT || gfn >= SMMU_GFN_LIMIT)
		return -KE_RANGE;
	vmid = smmu_owner(index, cbndx);
	if (vmid == INVALID)
		return -KE_STATE; /* R2 */
	if (vmid == HOSTVISOR)
		return 0; /* host pages are device-mapped where they are */
	if (smmu_owner_state(vmid) == VERIFIED)
		return -KE_STATE;

	lock_assert_held(S2PAGE_ID);
	page = s2page_get(pfn);
	if (page.owner == vmid)
		return 0;
	if (page.owner != HOSTVISOR)
		return -KE_OWNER;
	if (page.count != 0)
		return -KE_BUSY; /* shared, or device-mapped by a host context */

	/* The host loses the page before it changes hands. */
	smmu_host_unmap(pfn);
	page.owner = vmid;
	page.count = INVALID; /* "assigned through the SMMU" (D12) */
	page.gfn = gfn;
	s2page_set_owner(pfn, page);
	return 0;
}

/* spec: local_smmu_map_page (D31) */
long local_smmu_map_page(u32 cbndx, u32 index, u64 iova, u64 pte)
{
	vmid_t vmid;
	struct s2page page;
	pfn_t pfn;
	long ret;
	u32 id;

	if (!smmu_ctx_in_range(cbndx, index) || iova >= SMMU_IOVA_SPACE)
		return -KE_RANGE;
	vmid = smmu_owner(index, cbndx);
	if (vmid == INVALID)
		return -KE_STATE; /* R2 */
	if (smmu_owner_state(vmid) == VERIFIED)
		return -KE_STATE;

	lock_assert_held(S2PAGE_ID);
	lock_assert_held(SPT_ID);
	pfn = (pte & PHYS_MASK) >> PAGE_SHIFT; /* spec: phys_page pte / PAGE_SIZE */
	page = s2page_get(pfn);
	if (page.owner != vmid || page.gfn != iova >> PAGE_SHIFT)
		return -KE_OWNER;
	if (spt_lookup(index, cbndx, iova >> PAGE_SHIFT).pte != 0)
		return -KE_EXIST; /* D31: the spec would leak the old page's count */
	if (page.owner == HOSTVISOR && page.count >= EL2_SMMU_CFG_SIZE + KCORE_PIN_SLOTS)
		return -KE_FULL; /* D31 (D60: pins count too): the spec would stop counting */
	ret = spt_map_check(cbndx, index, iova);
	if (ret)
		return ret;

	/* D31: KCore's descriptor, not the host's attribute bits. */
	if (local_spt_map_h(cbndx, index, iova, pfn * PAGE_SIZE | PAGE_SMMU) != 0)
		arch_halt("smmu: map failed after its checks", iova, pte);
	if (page.owner == HOSTVISOR) {
		page.count++;
		s2page_set(pfn, page);
	}
	id = smmu_id(index, cbndx);
	kc.smmu_nr_mapped[id]++;
	return 0;
}

/* spec: local_smmu_clear */
long local_smmu_clear(u64 iova, u32 cbndx, u32 index)
{
	vmid_t vmid;
	struct spt_entry e;
	struct s2page page;
	u32 id;

	if (iova >= SMMU_IOVA_SPACE || !smmu_ctx_in_range(cbndx, index))
		return -KE_RANGE;
	vmid = smmu_owner(index, cbndx);
	if (vmid == INVALID)
		return -KE_STATE; /* R2 */
	if (smmu_owner_state(vmid) >= VERIFIED)
		return -KE_STATE;

	lock_assert_held(SPT_ID);
	e = spt_lookup(index, cbndx, iova >> PAGE_SHIFT);
	if (e.pte == 0)
		return 0;

	lock_assert_held(S2PAGE_ID);
	id = smmu_id(index, cbndx);
	if (kc.smmu_nr_mapped[id] == 0)
		arch_halt("smmu: mapping count out of step with the table", id, iova);
	/* Unmapping needs no pool page; it invalidates the device TLB. */
	if (local_spt_map_h(cbndx, index, iova, 0) != 0)
		arch_halt("smmu: unmap failed", id, iova);
	page = s2page_get(e.pfn);
	if (page.owner == HOSTVISOR && page.count > 0) {
		page.count--;
		s2page_set(e.pfn, page);
	}
	kc.smmu_nr_mapped[id]--;
	return 0;
}

/* HighSpecs: the translation a device of context (index, cbndx) sees
 * (dev_load_spec / dev_store_spec's gfn @ spt). */
long smmu_iova_to_phys(u64 iova, u32 cbndx, u32 index)
{
	struct spt_entry e;

	if (iova >= SMMU_IOVA_SPACE || !smmu_ctx_in_range(cbndx, index))
		return -KE_RANGE;
	if (smmu_owner(index, cbndx) == INVALID)
		return -KE_STATE; /* R2 */

	lock_assert_held(SPT_ID);
	e = spt_lookup(index, cbndx, iova >> PAGE_SHIFT);
	if (e.pte == 0)
		return 0;
	return (long)(e.pfn * PAGE_SIZE | (iova & (PAGE_SIZE - 1)));
}

/* D42: a stream attached to the context of a VERIFIED VM is that VM's
 * device: the host may neither move it nor detach it until the VM is
 * powered off (it would carry the VM's DMA reach, or what it read, to the
 * host). */
static bool smmu_stream_pinned(u32 index, u32 stream)
{
	u32 cb = kc.smmu_stream[index][stream];
	vmid_t vmid;

	if (cb == SMMU_NO_CTX)
		return false;
	if (cb >= KCORE_SMMU_MAX_CFG)
		arch_halt("smmu: stream attached to no context", stream, cb);
	vmid = smmu_owner(index, cb);
	if (vmid == INVALID)
		arch_halt("smmu: stream attached to a free context", stream, cb);
	return smmu_owner_state(vmid) == VERIFIED;
}

/* D42: attach device `stream` of SMMU `index` to context cbndx. The
 * device then reaches exactly what the context maps, on behalf of the
 * context's owner. A VM's context takes a device only while the VM is
 * still being set up (not yet VERIFIED), like every other change to its
 * device mappings; the host's contexts, at any time. A stream attached
 * elsewhere moves (the old context keeps its mappings), unless it is
 * pinned to a verified VM. */
long local_smmu_attach(u32 stream, u32 cbndx, u32 index)
{
	vmid_t vmid;

	if (stream >= KCORE_SMMU_STREAMS || !smmu_ctx_in_range(cbndx, index) ||
	    cbndx >= smmu_cfg_num(index))
		return -KE_RANGE;
	vmid = smmu_owner(index, cbndx);
	if (vmid == INVALID)
		return -KE_STATE;
	if (smmu_owner_state(vmid) >= VERIFIED)
		return -KE_STATE;
	if (smmu_stream_pinned(index, stream))
		return -KE_BUSY;
	kc.smmu_stream[index][stream] = (u8)cbndx;
	smmu_hw_attach(index, stream, cbndx);
	return 0;
}

/* D42: the device aborts every transaction from now on (unless it is a
 * verified VM's). */
long local_smmu_detach(u32 stream, u32 index)
{
	if (stream >= KCORE_SMMU_STREAMS || index >= KCORE_SMMU_NUM)
		return -KE_RANGE;
	lock_assert_held(SMMU_ID);
	if (smmu_stream_pinned(index, stream))
		return -KE_BUSY;
	if (kc.smmu_stream[index][stream] == SMMU_NO_CTX)
		return 0;
	kc.smmu_stream[index][stream] = SMMU_NO_CTX;
	smmu_hw_detach(index, stream);
	return 0;
}
