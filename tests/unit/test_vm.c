/* Unit tests of kcore/vm.c, kcore/boot_image.c, kcore/ctxt.c and the host
 * hypercall dispatch of kcore/hvc.c over the fake machine: the VM and vCPU
 * lifecycle lines of the "Operation contract" of docs/deviations.md with
 * every refusal code (R1-R3, D14, D27, D28, D29, D33, D34). */
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/ctxt.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#define BIG (1UL << 32) /* added to an id: must not alias a small one */

static void test_gen_vmid(void)
{
	fake_machine_reset();
	for (u32 i = 1; i < COREVISOR; i++)
		CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), i);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), -KE_FULL);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), -KE_FULL);
	CHECK_EQ(kc.core.next_vmid, COREVISOR);
	CHECK(no_lock_held());
}

static void test_register_kvm(void)
{
	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, HOSTVISOR, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, COREVISOR, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, BIG + 1, 0, 0), -KE_RANGE);
	CHECK_EQ(kc.vminfo[1].state, UNUSED);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, 1, 0, 0), 0);
	CHECK_EQ(kc.vminfo[1].state, READY);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, 1, 0, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, COREVISOR - 1, 0, 0), 0);
	CHECK(no_lock_held());
}

static void test_register_vcpu(void)
{
	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, 0, 0), -KE_STATE); /* VM UNUSED */
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, 1, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 0, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, KCORE_MAX_VCPUS, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, BIG, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, KCORE_MAX_VCPUS - 1, 0), 0);
	CHECK_EQ(kc.vminfo[1].vcpu_state[KCORE_MAX_VCPUS - 1], READY);
	CHECK_EQ(kc.vminfo[1].vcpu_state[0], UNUSED);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, KCORE_MAX_VCPUS - 1, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, 1, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, 1, 0, 0), -KE_STATE); /* VM VERIFIED */
	CHECK(no_lock_held());
}

static void test_set_boot_info_refusals(void)
{
	vmid_t vm;
	struct core_data core0;

	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 1, LOAD_IPA, PAGE_SIZE), -KE_STATE);
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 0, LOAD_IPA, PAGE_SIZE), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, BIG + vm, LOAD_IPA, PAGE_SIZE), -KE_RANGE);
	/* D28: alignment, then range, then size 0 */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA + 8, PAGE_SIZE), -KE_ALIGN);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, KVM_ADDR_SPACE - PAGE_SIZE, PAGE_SIZE + 1), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, KVM_ADDR_SPACE, 1), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, PAGE_SIZE, ~0UL), -KE_RANGE); /* no wrap */
	/* inside the IPA space but larger than the window: full, no overflow */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, 0, KVM_ADDR_SPACE), -KE_FULL);
	CHECK_EQ(kc.vminfo[vm].boot.next_load_info, 0);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START);
	/* the last page of the IPA space is a valid image */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, KVM_ADDR_SPACE - PAGE_SIZE, PAGE_SIZE), 0);
	core0 = kc.core;
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA + 1, PAGE_SIZE), -KE_ALIGN);
	CHECK(memcmp(&core0, &kc.core, sizeof(core0)) == 0);
	CHECK(no_lock_held());
}

static void test_set_boot_info_slots_and_window(void)
{
	vmid_t vm, vm2;
	u64 window_pages = KCORE_REMAP_SIZE / PAGE_SIZE;

	fake_machine_reset();
	vm = vm_new();
	/* slot i: i + 1 pages, recorded and bumped */
	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++) {
		u64 before = kc.core.next_remap_ptr;

		CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA + i * 0x100000UL,
			    (i + 1) * PAGE_SIZE - 7), i);
		CHECK_EQ(kc.vminfo[vm].boot.load_addr[i], LOAD_IPA + i * 0x100000UL);
		CHECK_EQ(kc.vminfo[vm].boot.load_size[i], (i + 1) * PAGE_SIZE - 7);
		CHECK_EQ(kc.vminfo[vm].boot.remap_addr[i], before);
		CHECK_EQ(kc.vminfo[vm].boot.mapped_pages[i], 0);
		CHECK_EQ(kc.core.next_remap_ptr, before + (i + 1) * PAGE_SIZE);
	}
	/* D14: a sixth image is refused, not dropped */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, PAGE_SIZE), -KE_FULL);
	CHECK_EQ(kc.vminfo[vm].boot.next_load_info, MAX_LOAD_INFO_NUM);

	/* The window: remap + pgnum * 4K must stay below REMAP_END. */
	vm2 = vm_new();
	{
		u64 used = (kc.core.next_remap_ptr - KCORE_REMAP_START) / PAGE_SIZE;
		u64 left = window_pages - used; /* pages up to REMAP_END */

		CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm2, LOAD_IPA, left * PAGE_SIZE), -KE_FULL);
		CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm2, LOAD_IPA, (left - 1) * PAGE_SIZE), 0);
		CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_END - PAGE_SIZE);
		CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm2, LOAD_IPA, 1), -KE_FULL);
		CHECK_EQ(kc.vminfo[vm2].boot.next_load_info, 1);
	}
	CHECK(no_lock_held());
}

static void test_remap(void)
{
	vmid_t vm;
	u64 remap;
	struct npt_entry e;
	pfn_t core_pfn;

	fake_machine_reset();
	core_pfn = kc.core_start >> PAGE_SHIFT;
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, 1, IMG_PFN, 0), -KE_STATE);
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), -KE_RANGE); /* no slot yet (R2) */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, 2 * PAGE_SIZE), 0);
	remap = kc.vminfo[vm].boot.remap_addr[0];
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, 0, IMG_PFN, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, KVM_ADDR_SPACE / PAGE_SIZE, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 1), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, BIG), -KE_RANGE);
	/* D27: KCore's own page and a non-RAM frame are not host RAM */
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, core_pfn, 0), -KE_OWNER);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, 0x9000, 0), -KE_OWNER);
	CHECK_EQ(kc.vminfo[vm].boot.mapped_pages[0], 0);
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap).level, 0);

	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(kc.vminfo[vm].boot.mapped_pages[0], 1);
	e = npt_lookup_locked(COREVISOR, remap);
	CHECK_EQ(e.level, 3);
	CHECK_EQ(e.pfn, IMG_PFN);
	CHECK_EQ(e.pte, IMG_PFN * PAGE_SIZE | PAGE_HYP);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 7, 0), 0);
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap + PAGE_SIZE).pfn, IMG_PFN + 7);
	CHECK_EQ(kc.vminfo[vm].boot.mapped_pages[0], 2);
	/* all pages remapped (R2): full, tested before the owner (D27) */
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 8, 0), -KE_FULL);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, core_pfn, 0), -KE_FULL);
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap + 2 * PAGE_SIZE).level, 0);
	/* no remap once verified (the signed image loaded into both pages) */
	image_write(IMG_PFN, test_image_2p, PAGE_SIZE);
	image_write(IMG_PFN + 7, test_image_2p + PAGE_SIZE, PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, PAGE_SIZE), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), -KE_STATE);
	CHECK(no_lock_held());
}

static void test_verify(void)
{
	vmid_t vm, empty;

	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, 1, 0, 0), -KE_STATE); /* UNUSED */
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, COREVISOR, 0, 0), -KE_RANGE);
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, PAGE_SIZE), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, 2 * LOAD_IPA, PAGE_SIZE + 1), 1);
	/* D29: every page of every slot first */
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 1, 1), 0);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_STATE); /* slot 1: 1 of 2 */
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 2, 1), 0);
	image_write(IMG_PFN, test_image_1p, PAGE_SIZE);
	image_write(IMG_PFN + 1, test_image_hi, sizeof(test_image_hi));
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(kc.vminfo[vm].state, VERIFIED);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_STATE);
	/* no image at all: nothing to check */
	empty = vm_new();
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, empty, 0, 0), 0);
	CHECK(no_lock_held());
}

static void test_poweroff_by_host(void)
{
	vmid_t a, b;

	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, 1, 0, 0), -KE_STATE); /* UNUSED */
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, 0, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, BIG + 1, 0, 0), -KE_RANGE);
	a = vm_new();
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, a, 0, 0), 0); /* READY */
	CHECK_EQ(kc.vminfo[a].state, POWEROFF);
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, a, 0, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, a, 0, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, a, 0, 0), -KE_STATE);
	b = vm_new();
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, b, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, b, 0, 0), 0); /* VERIFIED */
	CHECK_EQ(kc.vminfo[b].state, POWEROFF);
	CHECK(no_lock_held());
}

/* D41: SAVE_ENCRYPTED_VCPU seals a READY vCPU's context into a host page;
 * LOAD_ENCRYPTED_VCPU opens it for that VM and vCPU only. */
static void test_load_encrypted_vcpu(void)
{
	vmid_t vm, vm2;
	struct shadow_ctxt before, saved;
	const u64 blob = (IMG_PFN + 20) << PAGE_SHIFT;
	u8 copy[PAGE_SIZE];
	struct kcore_blob_header *h = fake_ram_write(blob);

	fake_machine_reset();
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, 1, 0, blob, 0, 0), -KE_STATE);
	vm = vm_new();
	vm2 = vm_new();
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, KCORE_MAX_VCPUS, blob, 0, 0), -KE_RANGE);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_STATE); /* vCPU UNUSED */
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_STATE);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 1, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm2, 0, 0), 0);
	for (u32 i = 0; i < NR_CTXT_REGS; i++)
		kc.shadow[vm][0].r[i] = 0xA000 + i;
	saved = kc.shadow[vm][0];
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, KVM_ADDR_SPACE, 0, 0), -KE_RANGE);
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, kc.core_start, 0, 0), -KE_OWNER);
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), 0);
	CHECK_EQ(h->kind, KCORE_BLOB_VCPU);
	CHECK_EQ(h->index, 0);
	CHECK(memcmp((u8 *)h + 64, saved.r, KCORE_BLOB_VCPU_BYTES) != 0); /* ciphertext */
	memcpy(copy, h, PAGE_SIZE);
	for (u32 i = 0; i < NR_CTXT_REGS; i++)
		kc.shadow[vm][0].r[i] = 0;
	before = kc.shadow[vm][0];
	/* refused, nothing changes: a flipped ciphertext bit, another vCPU
	 * (slot), another VM, a blob page that is not the host's */
	((u8 *)h)[64 + 9] ^= 1;
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_AUTH);
	memcpy(h, copy, PAGE_SIZE);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 1, blob, 0, 0), -KE_AUTH);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm2, 0, blob, 0, 0), -KE_AUTH);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, kc.core_start, 0, 0), -KE_OWNER);
	CHECK_EQ(kc.vminfo[vm].boot.inc_exe, 0);
	CHECK(memcmp(&before, &kc.shadow[vm][0], sizeof(before)) == 0);
	/* the genuine blob restores the context exactly (but for dirty: never
	 * run here, so its first run keeps the registers) */
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), 0);
	CHECK_EQ(kc.vminfo[vm].boot.inc_exe, 1);
	saved.r[DIRTY] = INVALID64;
	CHECK(memcmp(&saved, &kc.shadow[vm][0], sizeof(saved)) == 0);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_STATE); /* VM VERIFIED */
	CHECK(no_lock_held());
}

/* D52: without a boot salt (no /chosen/rng-seed, or one under 16 bytes)
 * both SAVE_* calls are -KE_NOTSUPP after R3 and change nothing: the same VM
 * id would get the same key, so the same keystream, in every such boot. */
static void test_save_without_salt(void)
{
	static const u8 seed[32] = { 1, 2, 3 };
	const u64 blob = (IMG_PFN + 20) << PAGE_SHIFT;
	u64 *b = fake_ram_write(blob);
	vmid_t vm;

	fake_machine_reset();
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 0, 0), 0);
	b[0] = 0x5A5A;
	kcore_set_boot_salt(NULL, 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, KVM_ADDR_SPACE, 0, 0), -KE_RANGE);
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_NOTSUPP);
	CHECK_EQ(hc(KCORE_HC_SAVE_ENCRYPT_BUF, COREVISOR, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SAVE_ENCRYPT_BUF, vm, blob, blob), -KE_NOTSUPP);
	kcore_set_boot_salt(seed, 15); /* too short to stand for a boot */
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_NOTSUPP);
	CHECK_EQ(kc.vminfo[vm].export_seq, 0);
	CHECK_EQ(b[0], 0x5A5A);
	kcore_set_boot_salt(seed, 16);
	CHECK_EQ(kc.boot_salt[2], 3);
	CHECK_EQ(hc(KCORE_HC_SAVE_ENCRYPT_BUF, vm, blob, blob), -KE_OWNER); /* then the owners */
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), 0);
	CHECK_EQ(kc.vminfo[vm].export_seq, 1);
	CHECK(no_lock_held());
}

static void test_dispatch(void)
{
	fake_machine_reset();
	CHECK_EQ(hc(KCORE_HC_NOP, 1, 2, 3), 0);
	CHECK_EQ(hc(KCORE_HC_VCPU_RUN, 1, 0, 0), -KE_NOFUNC);
	CHECK_EQ(hc(KCORE_HC_MAX, 0, 0, 0), -KE_NOFUNC);
	CHECK_EQ(hc(KCORE_HC_BASE - 1, 0, 0, 0), -KE_NOFUNC);
	CHECK_EQ(hc(0, 0, 0, 0), -KE_NOFUNC);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID | (1UL << 32), 0, 0, 0), -KE_NOFUNC);
	CHECK_EQ(kc.core.next_vmid, 1);
	/* every VM-id call range-checks before it takes a lock */
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, BIG + 1, IMG_PFN, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_MAP_IO, 0, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SAVE_ENCRYPT_BUF, COREVISOR, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_LOAD_DECRYPT_BUF, COREVISOR, 0, 0), -KE_RANGE);
	/* SMMU calls: a 64-bit index is not truncated into range */
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, BIG, HOSTVISOR, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 0, HOSTVISOR, BIG), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 0, BIG + 1, 0), -KE_RANGE); /* D32 */
	CHECK_EQ(kc.smmu_vmid[0], INVALID);
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 0, HOSTVISOR, 0), 0);
	CHECK_EQ(kc.smmu_vmid[0], HOSTVISOR);
	CHECK_EQ(hc(KCORE_HC_SMMU_FREE, BIG, 0, 0), -KE_RANGE);
	CHECK_EQ(hc(KCORE_HC_SMMU_FREE, 0, 0, 0), 0);
	CHECK(no_lock_held());
}

static void test_ctxt_index_space(void)
{
	struct shadow_ctxt c;

	memset(&c, 0xA5, sizeof(c));
	ctxt_set_spec(&c, X0, 1);
	ctxt_set_spec(&c, X30, 2);
	ctxt_set_spec(&c, MDSCR_EL1, 3);
	ctxt_set_spec(&c, ESR_EL2, 4);
	CHECK_EQ(ctxt_get_spec(&c, X0), 1);
	CHECK_EQ(ctxt_get_spec(&c, X30), 2);
	CHECK_EQ(ctxt_get_spec(&c, MDSCR_EL1), 3);
	CHECK_EQ(ctxt_get_spec(&c, ESR_EL2), 4);
	/* MDCCINT_EL1 and everything past ESR_EL2: writes ignored, read 0 */
	ctxt_set_spec(&c, MDCCINT_EL1, 5);
	ctxt_set_spec(&c, SP_EL1, 6);
	ctxt_set_spec(&c, FP_Q0_LO, 7);
	ctxt_set_spec(&c, NR_CTXT_REGS, 8);
	ctxt_set_spec(&c, 0xFFFFFFFFU, 9);
	CHECK_EQ(c.r[MDCCINT_EL1], 0xA5A5A5A5A5A5A5A5UL);
	CHECK_EQ(c.r[SP_EL1], 0xA5A5A5A5A5A5A5A5UL);
	CHECK_EQ(c.r[FP_Q0_LO], 0xA5A5A5A5A5A5A5A5UL);
	CHECK_EQ(ctxt_get_spec(&c, MDCCINT_EL1), 0);
	CHECK_EQ(ctxt_get_spec(&c, SP_EL0), 0);
	CHECK_EQ(ctxt_get_spec(&c, FP_Q31_HI), 0);
	CHECK_EQ(ctxt_get_spec(&c, NR_CTXT_REGS + 100), 0);
}

UT_MAIN(UT(test_gen_vmid), UT(test_register_kvm), UT(test_register_vcpu),
	UT(test_set_boot_info_refusals), UT(test_set_boot_info_slots_and_window),
	UT(test_remap), UT(test_verify), UT(test_poweroff_by_host),
	UT(test_load_encrypted_vcpu), UT(test_save_without_salt), UT(test_dispatch), UT(test_ctxt_index_space))
