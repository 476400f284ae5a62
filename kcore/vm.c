/* VM and vCPU lifecycle: the state machines of vminfos (spec VS).
 *
 *   VM:   UNUSED -register_kvm-> READY -verify-> VERIFIED
 *         READY/VERIFIED -(guest SYSTEM_OFF, host POWEROFF_VM D33)-> POWEROFF
 *   vCPU: UNUSED -register_vcpu-> READY <-run / exit-> ACTIVE
 *
 * Every local_* here needs INFO(vmid) (local_gen_vmid: CORE). Each range-
 * checks its arguments itself (R3) before it uses them to index anything,
 * so that the hypercall layer, the harness and the model may call it with
 * raw values. A refusal changes nothing (R1). */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "page.h"

/* is_vm and is_vcpu: inline in include/kcore/state.h (every entry point and
 * every local_* calls them). */

static struct vm_info *vm_info_locked(vmid_t vmid)
{
	lock_assert_held(INFO_ID + vmid);
	return &kc.vminfo[vmid];
}

/* D68: the lowest id not handed out (COREVISOR if every one is). */
static u32 vmid_lowest_free(void)
{
	u32 free = ~kc.core.vmid_used & (((1U << COREVISOR) - 1U) & ~1U);

	return free ? (u32)__builtin_ctz(free) : COREVISOR;
}

/* spec: local_gen_vmid (D68: the lowest free id, not a bump pointer) */
long local_gen_vmid(void)
{
	u32 vmid;

	lock_assert_held(CORE_ID);
	vmid = kc.core.next_vmid;
	if (vmid >= COREVISOR)
		return -KE_FULL;
	kc.core.vmid_used |= 1U << vmid;
	kc.core.next_vmid = vmid_lowest_free();
	return vmid;
}

/* spec: local_register_kvm */
long local_register_kvm(vmid_t vmid)
{
	struct vm_info *info;

	if (!is_vm(vmid))
		return -KE_RANGE;
	info = vm_info_locked(vmid);
	if (info->state != UNUSED)
		return -KE_STATE;
	info->state = READY;
	return 0;
}

/* spec: local_register_vcpu */
long local_register_vcpu(vmid_t vmid, u32 vcpuid)
{
	struct vm_info *info;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	info = vm_info_locked(vmid);
	if (info->state != READY || info->vcpu_state[vcpuid] != UNUSED)
		return -KE_STATE;
	info->vcpu_state[vcpuid] = READY;
	return 0;
}

/* spec: local_set_vcpu_active */
long local_set_vcpu_active(vmid_t vmid, u32 vcpuid)
{
	struct vm_info *info;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	info = vm_info_locked(vmid);
	if (info->state != VERIFIED || info->vcpu_state[vcpuid] != READY)
		return -KE_STATE;
	info->vcpu_state[vcpuid] = ACTIVE;
	return 0;
}

/* spec: local_set_vcpu_inactive */
long local_set_vcpu_inactive(vmid_t vmid, u32 vcpuid)
{
	struct vm_info *info;

	if (!is_vm(vmid) || !is_vcpu(vcpuid))
		return -KE_RANGE;
	info = vm_info_locked(vmid);
	if (info->vcpu_state[vcpuid] != ACTIVE)
		return -KE_STATE;
	info->vcpu_state[vcpuid] = READY;
	return 0;
}

/* spec: local_set_vm_poweroff. The guest asked (PSCI SYSTEM_OFF): no state
 * rule, the spec powers off whatever state the VM is in. Callers pass a VM
 * whose vCPU is running, so vmid is in range; anything else is a caller bug. */
void local_set_vm_poweroff(vmid_t vmid)
{
	if (!is_vm(vmid))
		arch_halt("poweroff of a non-VM", vmid, 0);
	vm_info_locked(vmid)->state = POWEROFF;
}

/* D33: the host stops a VM that is READY or VERIFIED, so that it can take
 * back the VM's memory (clear_vm_page, D16) even if the guest never powers
 * itself off. A VM that was never registered has nothing to stop. */
long local_poweroff_vm_by_host(vmid_t vmid)
{
	struct vm_info *info;

	if (!is_vm(vmid))
		return -KE_RANGE;
	info = vm_info_locked(vmid);
	if (info->state != READY && info->state != VERIFIED)
		return -KE_STATE;
	info->state = POWEROFF;
	return 0;
}

/* D68: DESTROY_VM. A powered-off VM that no CPU runs, no device reaches
 * and that owns no page any more (the host took each back with
 * CLEAR_VM_PAGE, D16) is forgotten: its table pool emptied and its VMID's
 * TLB entries invalidated, its window ranges unmapped and released, its
 * info and vCPU contexts as at boot, the arch's per-vCPU state (run pages,
 * timers, vGIC) forgotten; its id goes back to the free set, one generation
 * on (its next export key is another). */
long local_destroy_vm(vmid_t vmid)
{
	struct vm_info *info;
	long ret;

	if (!is_vm(vmid))
		return -KE_RANGE;
	lock_assert_held(CORE_ID);
	lock_assert_held(S2PAGE_ID);
	lock_assert_held(NPT_ID + vmid);
	lock_assert_held(NPT_ID + COREVISOR);
	info = vm_info_locked(vmid);
	ret = vm_check_stopped(vmid); /* POWEROFF, no ACTIVE vCPU, no SMMU context */
	if (ret)
		return ret;
	if (kc.vm_pages[vmid] != 0)
		return -KE_BUSY; /* a page still the VM's: CLEAR_VM_PAGE it first */
	if (kc.vm_generation[vmid] == 0xFFFFFFFFU)
		return -KE_FULL; /* 2^32 - 1 destroys of this id: never wraps */
	npt_pool_reset(vmid);
	arch_tlbi_s2_vmid(vmid);
	boot_window_release(vmid);
	arch_vm_destroyed(vmid);
	{
		u8 *b = (u8 *)info;

		for (u64 i = 0; i < sizeof(*info); i++)
			b[i] = 0; /* UNUSED, every vCPU UNUSED, no slot, export_seq 0 */
	}
	for (u32 v = 0; v < KCORE_MAX_VCPUS; v++) {
		u64 *r = kc.shadow[vmid][v].r;

		for (u32 i = 0; i < NR_CTXT_REGS; i++)
			r[i] = 0;
		r[DIRTY] = INVALID64; /* never run */
	}
	kc.vm_generation[vmid]++;
	kc.core.vmid_used &= ~(1U << vmid);
	kc.core.next_vmid = vmid_lowest_free();
	boot_window_recompute();
	return 0;
}

/* One scratch context per CPU: the decrypted registers are built here and
 * copied into the shadow context only if the whole decryption succeeded
 * (R1), without a kilobyte-sized copy on the small EL2 stack. */
static struct shadow_ctxt vm_decrypt_scratch[KCORE_MAX_CPUS];

/* spec: local_load_encryted_vcpu (D41: the blob is the host page inbuf).
 * The restored context is the exported one, except that the vCPU counts as
 * never run here (dirty INVALID64): its first run keeps the registers
 * (inc_exe) and starts it where it was. */
long local_load_encryted_vcpu(vmid_t vmid, u32 vcpuid, u64 inbuf)
{
	struct vm_info *info;
	struct shadow_ctxt *scratch;
	long ret;

	if (!is_vm(vmid) || !is_vcpu(vcpuid) || !r3_addr(inbuf))
		return -KE_RANGE;
	lock_assert_held(S2PAGE_ID);
	info = vm_info_locked(vmid);
	if (info->state != READY || info->vcpu_state[vcpuid] != READY)
		return -KE_STATE;
	if (s2page_get(inbuf / PAGE_SIZE).owner != HOSTVISOR)
		return -KE_OWNER;
	scratch = &vm_decrypt_scratch[arch_cpu_id()];
	ret = vm_vcpu_decrypt(vmid, vcpuid, inbuf / PAGE_SIZE, scratch);
	if (ret < 0)
		return ret;
	scratch->r[DIRTY] = INVALID64;
	kc.shadow[vmid][vcpuid] = *scratch;
	info->boot.inc_exe = 1;
	return 0;
}

/* D41: the vCPU's context, sealed into the host page outbuf. The vCPU must
 * be READY (its context is in the shadow, not on a CPU); any VM state but
 * UNUSED, so a powered-off VM's vCPU can still be saved. */
long local_save_encrypted_vcpu(vmid_t vmid, u32 vcpuid, u64 outbuf)
{
	struct vm_info *info;

	if (!is_vm(vmid) || !is_vcpu(vcpuid) || !r3_addr(outbuf))
		return -KE_RANGE;
	if (!export_salt_ok()) /* D52: no boot salt, no keystream of its own */
		return -KE_NOTSUPP;
	lock_assert_held(S2PAGE_ID);
	info = vm_info_locked(vmid);
	if (info->vcpu_state[vcpuid] != READY)
		return -KE_STATE;
	if (s2page_get(outbuf / PAGE_SIZE).owner != HOSTVISOR)
		return -KE_OWNER;
	vm_vcpu_encrypt(vmid, vcpuid, outbuf / PAGE_SIZE);
	return 0;
}
