/* KCore's entry points (include/kcore/core.h): the host hypercalls of
 * include/kcore/abi.h, the host's stage-2 faults, vCPU run and VM exit.
 *
 * Each entry range-checks the arguments it needs to pick a lock (R3), takes
 * the locks its callee needs, calls the local_* function, and releases them.
 * Lock ids are numbered in the documented order (kcore/lock.h: CORE < SMMU <
 * INFO(vmid) < SPT < S2PAGE < NPT(principal, increasing id)), so a set of
 * locks taken in increasing id is taken in order. Arguments are narrowed to
 * 32 bits only after their range check, or saturated so that a too-large
 * value stays out of range for the callee's own check. */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/smmu.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"
#include "kcore/vcpu.h"

_Static_assert(NR_LOCKS <= 64, "a lock set is one u64");

#define LK(id) (1UL << (id))
#define LK_INFO(vmid) LK(INFO_ID + (vmid))
#define LK_NPT(p) LK(NPT_ID + (p))

/* Only the set's own bits are visited (lowest id first, released highest
 * first): a loop over all NR_LOCKS ids cost a host stage-2 fault about 380
 * of its EL2 instructions (docs/bench.md). */
static void hvc_lock(u64 set)
{
	for (u64 s = set; s; s &= s - 1)
		lock_acquire((u32)__builtin_ctzll(s));
}

static void hvc_unlock(u64 set)
{
	for (u64 s = set; s;) {
		u32 id = 63U - (u32)__builtin_clzll(s);

		s &= ~LK(id);
		lock_release(id);
	}
}

/* R3 for a VM id given in a 64-bit register. */
static bool hvc_arg_is_vm(u64 a)
{
	return a < COREVISOR && is_vm((vmid_t)a);
}

/* A 32-bit argument whose range the callee checks: saturated, so that
 * 2^32 + 1 cannot pass as 1. 0xFFFFFFFF is out of every 32-bit range
 * (and, as a vmid, is INVALID: neither the host nor a VM). */
static u32 hvc_arg32(u64 a)
{
	return a > 0xFFFFFFFFUL ? 0xFFFFFFFFU : (u32)a;
}

/* Calls on one VM's state alone (INFO(vmid)). */
static long hvc_vm_call(u64 fn, u64 a1, u64 a2)
{
	vmid_t vmid;
	long ret;

	if (!hvc_arg_is_vm(a1))
		return -KE_RANGE;
	vmid = (vmid_t)a1;
	if (fn == KCORE_HC_REGISTER_VCPU && !is_vcpu(a2))
		return -KE_RANGE;
	hvc_lock(LK_INFO(vmid));
	switch (fn) {
	case KCORE_HC_REGISTER_KVM:
		ret = local_register_kvm(vmid);
		break;
	case KCORE_HC_REGISTER_VCPU:
		ret = local_register_vcpu(vmid, (u32)a2);
		break;
	default: /* KCORE_HC_POWEROFF_VM */
		ret = local_poweroff_vm_by_host(vmid);
		break;
	}
	hvc_unlock(LK_INFO(vmid));
	return ret;
}

/* Calls that move pages or map for one VM. */
static long hvc_vm_mem_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
	vmid_t vmid;
	u64 set;
	long ret;

	if (!hvc_arg_is_vm(a1))
		return -KE_RANGE;
	vmid = (vmid_t)a1;
	switch (fn) {
	case KCORE_HC_SET_BOOT_INFO:
		set = LK(CORE_ID) | LK_INFO(vmid);
		break;
	case KCORE_HC_REMAP_VM_IMAGE:
		set = LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(COREVISOR);
		break;
	case KCORE_HC_CLEAR_VM_PAGE: /* SMMU: D16 looks at the contexts */
		set = LK(SMMU_ID) | LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(HOSTVISOR);
		break;
	case KCORE_HC_MAP_IO:
		set = LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(vmid);
		break;
	case KCORE_HC_LOAD_ENCRYPTED_VCPU: /* the blob's owner */
	case KCORE_HC_SAVE_ENCRYPTED_VCPU:
		set = LK_INFO(vmid) | LK(S2PAGE_ID);
		break;
	case KCORE_HC_VERIFY_VM: /* takes the pages, reads the window, maps */
		set = LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(HOSTVISOR) | LK_NPT(vmid) |
		      LK_NPT(COREVISOR);
		break;
	default: /* SAVE_ENCRYPT_BUF, LOAD_DECRYPT_BUF (host-unmap) */
		set = LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(HOSTVISOR);
		break;
	}
	hvc_lock(set);
	switch (fn) {
	case KCORE_HC_SET_BOOT_INFO:
		ret = local_set_boot_info(vmid, a2, a3);
		break;
	case KCORE_HC_REMAP_VM_IMAGE:
		ret = local_remap_vm_image(vmid, a2, a3);
		break;
	case KCORE_HC_CLEAR_VM_PAGE:
		ret = local_clear_vm_page(vmid, a2);
		break;
	case KCORE_HC_MAP_IO:
		ret = local_map_io(vmid, a2, a3);
		break;
	case KCORE_HC_VERIFY_VM:
		ret = local_verify_vm(vmid);
		break;
	case KCORE_HC_LOAD_ENCRYPTED_VCPU:
		ret = local_load_encryted_vcpu(vmid, hvc_arg32(a2), a3);
		break;
	case KCORE_HC_SAVE_ENCRYPTED_VCPU:
		ret = local_save_encrypted_vcpu(vmid, hvc_arg32(a2), a3);
		break;
	case KCORE_HC_SAVE_ENCRYPT_BUF:
		ret = local_save_encrypt_buf(vmid, a2, a3);
		break;
	default: /* KCORE_HC_LOAD_DECRYPT_BUF */
		ret = local_load_decrypt_buf(vmid, a2);
		break;
	}
	hvc_unlock(set);
	return ret;
}

/* The principal that owns context (index, cbndx), read under SMMU; INVALID
 * for a free context or out-of-range indices (the callee refuses those). */
static vmid_t hvc_smmu_owner(u32 index, u32 cbndx)
{
	if (index >= KCORE_SMMU_NUM || cbndx >= KCORE_SMMU_MAX_CFG)
		return (vmid_t)INVALID;
	return kc.smmu_vmid[smmu_id(index, cbndx)];
}

/* The SMMU calls: SMMU first (it says which VM a context belongs to), then
 * INFO of that VM, SPT, S2PAGE, NPT(HOSTVISOR): the superset any of them
 * needs. */
static long hvc_smmu_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	/* SMMU_CLEAR and IOVA_TO_PHYS take (iova, cbndx, index). */
	bool iova_first = fn == KCORE_HC_SMMU_CLEAR || fn == KCORE_HC_SMMU_IOVA_TO_PHYS;
	u32 cbndx = hvc_arg32(iova_first ? a2 : a1);
	u32 index = hvc_arg32(iova_first ? a3 : (fn == KCORE_HC_SMMU_ALLOC ? a3 : a2));
	vmid_t owner;
	u64 set;
	long ret;

	lock_acquire(SMMU_ID);
	owner = fn == KCORE_HC_SMMU_ALLOC ? hvc_arg32(a2) : hvc_smmu_owner(index, cbndx);
	set = LK(SPT_ID) | LK(S2PAGE_ID) | LK_NPT(HOSTVISOR);
	if (is_vm(owner))
		set |= LK_INFO(owner);
	hvc_lock(set);
	switch (fn) {
	case KCORE_HC_SMMU_ALLOC:
		ret = local_alloc_smmu_pgd(cbndx, owner, index);
		break;
	case KCORE_HC_SMMU_FREE:
		ret = local_free_smmu_pgd(cbndx, index);
		break;
	case KCORE_HC_SMMU_ASSIGN:
		ret = local_smmu_assign_page(cbndx, index, a3, a4);
		break;
	case KCORE_HC_SMMU_MAP:
		ret = local_smmu_map_page(cbndx, index, a3, a4);
		break;
	case KCORE_HC_SMMU_CLEAR:
		ret = local_smmu_clear(a1, cbndx, index);
		break;
	default: /* KCORE_HC_SMMU_IOVA_TO_PHYS */
		ret = smmu_iova_to_phys(a1, cbndx, index);
		break;
	}
	hvc_unlock(set);
	lock_release(SMMU_ID);
	return ret;
}

/* ---- SMMU devices (issue 5) ---- */
/* D42: SMMU_ATTACH (stream, cbndx, index) and SMMU_DETACH (stream, index):
 * SMMU (it says where the stream is attached and who owns each context),
 * then INFO of the VMs owning the new context and the stream's current one
 * (the rules read their states). */
static long hvc_smmu_attach_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
	u32 stream = hvc_arg32(a1);
	u32 cbndx = hvc_arg32(a2), index = hvc_arg32(fn == KCORE_HC_SMMU_ATTACH ? a3 : a2);
	vmid_t owner, cur;
	u64 set = 0;
	long ret;

	lock_acquire(SMMU_ID);
	owner = fn == KCORE_HC_SMMU_ATTACH ? hvc_smmu_owner(index, cbndx) : (vmid_t)INVALID;
	cur = stream < KCORE_SMMU_STREAMS && index < KCORE_SMMU_NUM ?
		      hvc_smmu_owner(index, kc.smmu_stream[index][stream]) :
		      (vmid_t)INVALID;
	if (is_vm(owner))
		set |= LK_INFO(owner);
	if (is_vm(cur))
		set |= LK_INFO(cur);
	hvc_lock(set);
	if (fn == KCORE_HC_SMMU_ATTACH)
		ret = local_smmu_attach(stream, cbndx, index);
	else
		ret = local_smmu_detach(stream, index);
	hvc_unlock(set);
	lock_release(SMMU_ID);
	return ret;
}
/* ---- end SMMU devices ---- */

static long hvc_gen_vmid(void)
{
	long ret;

	hvc_lock(LK(CORE_ID));
	ret = local_gen_vmid();
	hvc_unlock(LK(CORE_ID));
	return ret;
}

/* D68: CORE (the free ids, the window), SMMU (no context of the VM's),
 * INFO(vmid), S2PAGE (its page count), NPT(vmid) (its pool emptied),
 * NPT(COREVISOR) (its window ranges unmapped). */
static long hvc_destroy_vm(u64 a1)
{
	vmid_t vmid;
	u64 set;
	long ret;

	if (!hvc_arg_is_vm(a1))
		return -KE_RANGE;
	vmid = (vmid_t)a1;
	set = LK(CORE_ID) | LK(SMMU_ID) | LK_INFO(vmid) | LK(S2PAGE_ID) | LK_NPT(vmid) |
	      LK_NPT(COREVISOR);
	hvc_lock(set);
	ret = local_destroy_vm(vmid);
	hvc_unlock(set);
	return ret;
}

long kcore_host_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	switch (fn) {
	case KCORE_HC_NOP:
		return 0;
	case KCORE_HC_GEN_VMID:
		return hvc_gen_vmid();
	case KCORE_HC_REGISTER_KVM:
	case KCORE_HC_REGISTER_VCPU:
	case KCORE_HC_POWEROFF_VM:
		return hvc_vm_call(fn, a1, a2);
	case KCORE_HC_DESTROY_VM:
		return hvc_destroy_vm(a1);
	case KCORE_HC_SET_BOOT_INFO:
	case KCORE_HC_REMAP_VM_IMAGE:
	case KCORE_HC_CLEAR_VM_PAGE:
	case KCORE_HC_MAP_IO:
	case KCORE_HC_VERIFY_VM:
	case KCORE_HC_LOAD_ENCRYPTED_VCPU:
	case KCORE_HC_SAVE_ENCRYPTED_VCPU:
	case KCORE_HC_SAVE_ENCRYPT_BUF:
	case KCORE_HC_LOAD_DECRYPT_BUF:
		return hvc_vm_mem_call(fn, a1, a2, a3);
	case KCORE_HC_SMMU_ALLOC:
	case KCORE_HC_SMMU_FREE:
	case KCORE_HC_SMMU_ASSIGN:
	case KCORE_HC_SMMU_MAP:
	case KCORE_HC_SMMU_CLEAR:
	case KCORE_HC_SMMU_IOVA_TO_PHYS:
		if (!smmu_hw_available())
			return -KE_NOTSUPP; /* D43: no SMMU on this machine */
		return hvc_smmu_call(fn, a1, a2, a3, a4);
	/* ---- SMMU devices (issue 5) ---- */
	case KCORE_HC_SMMU_ATTACH:
	case KCORE_HC_SMMU_DETACH:
		if (!smmu_hw_available())
			return -KE_NOTSUPP;
		return hvc_smmu_attach_call(fn, a1, a2, a3);
	/* ---- end SMMU devices ---- */
	default:
		/* VCPU_RUN needs the run page: the trap handler calls
		 * kcore_vcpu_run instead. SMMU_POLL_EVENT answers in several
		 * registers: the EL2 trap handler (the SMMUv3 driver). */
		return -KE_NOFUNC;
	}
}

/* spec: local_map_host (the host's stage-2 fault) */
long kcore_host_stage2_fault(u64 addr)
{
	u64 set = LK(S2PAGE_ID) | LK_NPT(HOSTVISOR);
	long ret;

	hvc_lock(set);
	ret = local_map_host(addr);
	hvc_unlock(set);
	return ret;
}

/* D60: only owners and counts change; no table is touched. */
long kcore_host_pin(u32 slot, u64 base, u64 size)
{
	u64 set = LK(S2PAGE_ID);
	long ret;

	hvc_lock(set);
	ret = local_host_pin(slot, base, size);
	hvc_unlock(set);
	return ret;
}

/* The locks of a run and of an exit: INFO for the states and boot slots,
 * S2PAGE for the owners (and, at EL2, the run page's owner test). The
 * tables' locks only when a table is touched: a run with a mapping request,
 * a guest grant or revoke. The shadow context needs none: it is the
 * vCPU's own, and only the CPU running the vCPU (ACTIVE, set and cleared
 * under INFO) or a run refused before ACTIVE touches it. */
static u64 hvc_vcpu_locks(vmid_t vmid)
{
	return LK_INFO(vmid) | LK(S2PAGE_ID);
}

static u64 hvc_vcpu_table_locks(vmid_t vmid)
{
	return LK_NPT(HOSTVISOR) | LK_NPT(vmid);
}

/* hvc_vcpu_locks(vmid) taken and released without the set loop: the world
 * switch's path takes them twice per round trip (docs/bench.md). */
static void hvc_vcpu_lock(vmid_t vmid)
{
	lock_acquire(INFO_ID + vmid);
	lock_acquire(S2PAGE_ID);
}

static void hvc_vcpu_unlock(vmid_t vmid)
{
	lock_release(S2PAGE_ID);
	lock_release(INFO_ID + vmid);
}

/* spec: host_vcpu_run_handler_spec (the part that is not the world switch) */
long kcore_vcpu_run(vmid_t vmid, u32 vcpuid, const struct kcore_run_input *in)
{
	u64 set;
	long ret;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	set = hvc_vcpu_locks(vmid) | (vcpu_map_request_present(in) ? hvc_vcpu_table_locks(vmid) : 0);
	hvc_lock(set);
	ret = vcpu_run_process(vmid, vcpuid, in);
	hvc_unlock(set);
	return ret;
}

/* kcore_vcpu_run with the input copied by `fetch` under the run's own
 * locks, so that it copies only the registers the run takes and the run
 * sees exactly what was copied. */
long kcore_vcpu_run_fetch(vmid_t vmid, u32 vcpuid, kcore_run_fetch_fn fetch)
{
	struct kcore_run_input in;
	long ret;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	hvc_vcpu_lock(vmid);
	ret = fetch(vmid, vcpuid, vcpu_run_regs_needed(vmid, vcpuid), &in);
	if (ret == 0) {
		u64 tables = vcpu_map_request_present(&in) ? hvc_vcpu_table_locks(vmid) : 0;

		if (tables)
			hvc_lock(tables); /* above S2PAGE in the order */
		ret = vcpu_run_process(vmid, vcpuid, &in);
		if (tables)
			hvc_unlock(tables);
	}
	hvc_vcpu_unlock(vmid);
	return ret;
}

/* spec: vm_exit_handler_spec (the part that is not the world switch) */
long kcore_vm_exit(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
		   struct kcore_exit_info *out)
{
	u64 set;
	long ret;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return vm_exit_process(vmid, vcpuid, hw, out); /* -KE_RANGE, *out cleared */
	set = hvc_vcpu_locks(vmid);
	if (vm_exit_is_share(hw->ec, hw->esr, hw->regs[X0]))
		set |= hvc_vcpu_table_locks(vmid);
	hvc_lock(set);
	ret = vm_exit_process(vmid, vcpuid, hw, out);
	hvc_unlock(set);
	return ret;
}

/* kcore_vm_exit for the EL2 world switch: x0..x30 are already in the
 * shadow context, and `store` writes the exit record (ret 1) under the
 * same locks. */
long kcore_vm_exit_store(vmid_t vmid, u32 vcpuid, const struct kcore_exit_hw *hw,
			 struct kcore_exit_info *out, kcore_exit_store_fn store)
{
	u64 set;
	long ret;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return vm_exit_process_in_place(vmid, vcpuid, hw, out);
	set = vm_exit_is_share(hw->ec, hw->esr, kc.shadow[vmid][vcpuid].r[X0]) ?
		      hvc_vcpu_table_locks(vmid) : 0;
	hvc_vcpu_lock(vmid);
	if (set)
		hvc_lock(set); /* above S2PAGE in the order */
	ret = vm_exit_process_in_place(vmid, vcpuid, hw, out);
	if (ret == 1)
		store(vmid, vcpuid, out);
	if (set)
		hvc_unlock(set);
	hvc_vcpu_unlock(vmid);
	return ret;
}

/* A guest's grant or revoke taken by the EL2 world switch without a full
 * VM exit (D37): the vCPU is ACTIVE on the calling CPU, its registers stay
 * in the CPU. The same grant_stage2_range / revoke_stage2_range under the
 * locks the spec relies on for them (S2PAGE, NPT(vmid); NPT(HOSTVISOR)
 * for a revoke's host-unmap). Returns the guest's new x0 (D25). */
long kcore_guest_share(vmid_t vmid, bool revoke, u64 addr, u64 size)
{
	u64 set;
	long ret;

	if (!is_vm(vmid))
		return -KE_RANGE;
	set = LK(S2PAGE_ID) | LK_NPT(vmid) | (revoke ? LK_NPT(HOSTVISOR) : 0);
	hvc_lock(set);
	ret = revoke ? revoke_stage2_range(vmid, addr, size) : grant_stage2_range(vmid, addr, size);
	hvc_unlock(set);
	return ret;
}
