/* Unit tests of DESTROY_VM and the reuse of VM ids and of the image remap
 * window (docs/deviations.md D68) over the fake machine: every refusal
 * changes nothing (the whole of kc and KCore's memory compared), a destroy
 * frees everything, the lowest id and the lowest window range that fits are
 * handed out again, a blob of an earlier VM on the same id is refused, and
 * 10,000 create/destroy cycles end with KCore's pools, the free ids, the
 * window and the page counts exactly as they started. */
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "kcore/vcpu.h"
#include "ut.h"
#include "kit.h"

#define BIG (1UL << 32)
#define RAM_IPA 0x80000000UL /* where a run's mapping request puts MAP_PFN */
#define SMMU_PFN (MAP_PFN + 1)  /* a host page given through the SMMU */

/* ---- the whole state, for "changes nothing" -------------------------- */

struct whole {
	struct kcore k;
	u8 *core_mem; /* KCore's region of the fake RAM (pools included) */
	u8 *host_mem; /* the test's host pages (images, blobs) */
};

static u8 *mem_copy(u64 pa, u64 n)
{
	u8 *p = malloc(n);

	if (!p)
		abort();
	memcpy(p, fake_ram(pa), n);
	return p;
}

#define HOST_SPAN (0x400UL * PAGE_SIZE) /* IMG_PFN .. past MAP_PFN */

static struct whole *whole_take(void)
{
	struct whole *w = malloc(sizeof(*w));

	if (!w)
		abort();
	w->k = kc;
	memset(&w->k.locks, 0, sizeof(w->k.locks)); /* tickets move on every call */
	w->core_mem = mem_copy(kc.core_start, kc.core_end - kc.core_start);
	w->host_mem = mem_copy(KCORE_RAM_BASE, HOST_SPAN);
	return w;
}

static bool whole_same(const struct whole *w)
{
	struct whole *now = whole_take();
	bool same = memcmp(&w->k, &now->k, sizeof(w->k)) == 0 &&
		    memcmp(w->core_mem, now->core_mem, kc.core_end - kc.core_start) == 0 &&
		    memcmp(w->host_mem, now->host_mem, HOST_SPAN) == 0;

	free(now->core_mem);
	free(now->host_mem);
	free(now);
	return same;
}

static void whole_free(struct whole *w)
{
	free(w->core_mem);
	free(w->host_mem);
	free(w);
}

/* DESTROY_VM(vmid) must be refused with code and change nothing. */
static void destroy_refused(u64 vmid, long code)
{
	struct whole *w = whole_take();

	fake_events_clear();
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vmid, 0, 0), code);
	CHECK(whole_same(w));
	CHECK_EQ(fake_events_count(), 0);
	CHECK(no_lock_held());
	whole_free(w);
}

/* ---- VMs ------------------------------------------------------------------ */

static struct kcore_exit_hw hw_irq(void)
{
	struct kcore_exit_hw hw;

	memset(&hw, 0, sizeof(hw));
	hw.ec = ARM_EXCEPTION_INTERRUPT;
	hw.pc = ENTRY;
	hw.pstate = EL1H_DAIF;
	return hw;
}

/* A verified VM whose vCPU 0 ran once, got MAP_PFN at RAM_IPA and exited. */
static vmid_t vm_running_mapped(void)
{
	vmid_t vm = vm_make(1, 2, true);
	struct kcore_run_input in = first_input();
	struct kcore_exit_hw hw = hw_irq();
	struct kcore_exit_info out;

	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	return vm;
}

static u64 pages_owned(vmid_t vm)
{
	u64 n = 0;

	for (u64 i = 0; i < kc.ram_pages; i++)
		n += kc.s2page[i].owner == vm;
	return n;
}

/* CLEAR_VM_PAGE of every page the VM owns (the host takes them back). */
static void clear_all(vmid_t vm)
{
	for (u64 i = 0; i < kc.ram_pages; i++)
		if (kc.s2page[i].owner == vm)
			CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, RAM_PFN0 + i, 0), 0);
}

static bool pool_zero(vmid_t p)
{
	struct pool_bounds b = pool_bounds(p);

	for (phys_addr_t pa = b.start; pa < b.end; pa += PAGE_SIZE)
		if (!page_is_zero(pa))
			return false;
	return true;
}

static void test_destroy_refusals(void)
{
	vmid_t vm;
	struct kcore_exit_hw hw = hw_irq();
	struct kcore_exit_info out;
	struct kcore_run_input in = first_input();

	fake_machine_reset();
	vm = vm_running_mapped();
	CHECK_EQ(kc.vm_pages[vm], 3); /* 2 image pages and MAP_PFN */
	CHECK_EQ(pages_owned(vm), 3);
	destroy_refused(HOSTVISOR, -KE_RANGE);
	destroy_refused(COREVISOR, -KE_RANGE);
	destroy_refused(BIG + vm, -KE_RANGE);
	destroy_refused(~0UL, -KE_RANGE);
	destroy_refused(vm + 1, -KE_STATE); /* UNUSED */
	destroy_refused(vm, -KE_STATE);     /* VERIFIED */
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0); /* ACTIVE */
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0);
	destroy_refused(vm, -KE_BUSY); /* a vCPU ACTIVE */
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 1, vm, 0), 0);
	destroy_refused(vm, -KE_BUSY); /* an SMMU context of its own */
	CHECK_EQ(hc(KCORE_HC_SMMU_FREE, 1, 0, 0), 0);
	destroy_refused(vm, -KE_BUSY); /* its pages */
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, IMG_PFN + 1, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 1);
	destroy_refused(vm, -KE_BUSY); /* one page left */
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, MAP_PFN, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 0);
	kc.vm_generation[vm] = 0xFFFFFFFFU; /* 2^32 - 1 destroys of this id */
	destroy_refused(vm, -KE_FULL);
	kc.vm_generation[vm] = 0;
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vm, 0, 0), 0);
	destroy_refused(vm, -KE_STATE); /* UNUSED now */
}

/* A page the VM shares with the host (a grant) and one assigned through the
 * SMMU count as the VM's until CLEAR_VM_PAGE takes them back. */
static void test_destroy_counts_shared_and_smmu_pages(void)
{
	vmid_t vm;
	struct kcore_exit_hw hw;
	struct kcore_exit_info out;
	struct kcore_run_input in;

	fake_machine_reset();
	vm = vm_make(1, 2, false);
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 1, vm, 0), 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_SMMU_ASSIGN, 1, 0, SMMU_PFN, 0x1234, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 1);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 3);
	in = first_input();
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	hw = hw_irq();
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	memset(&hw, 0, sizeof(hw));
	hw.ec = ARM_EXCEPTION_TRAP;
	hw.esr = (u64)ESR_ELx_EC_HVC64 << ESR_ELx_EC_SHIFT | ESR_ELx_IL;
	hw.regs[0] = HVC_KVM_SET_DESC_PFN;
	hw.regs[2] = RAM_IPA;
	hw.regs[3] = PAGE_SIZE;
	hw.pc = ENTRY;
	hw.pstate = EL1H_DAIF;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0); /* granted */
	CHECK_EQ(s2page_get(MAP_PFN).count, 1);
	hw = hw_irq();
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_SMMU_FREE, 1, 0, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 4);
	CHECK_EQ(pages_owned(vm), 4);
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, IMG_PFN + 1, 0), 0);
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, SMMU_PFN, 0), 0);
	destroy_refused(vm, -KE_BUSY); /* the granted page is still the VM's */
	CHECK_EQ(hc(KCORE_HC_CLEAR_VM_PAGE, vm, MAP_PFN, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], 0);
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vm, 0, 0), 0);
	CHECK(no_lock_held());
}

static void test_destroy_frees_everything(void)
{
	vmid_t vm;
	struct pool_bounds b;
	u64 remap;

	fake_machine_reset();
	vm = vm_running_mapped();
	b = pool_bounds(vm);
	remap = kc.vminfo[vm].boot.remap_addr[0];
	CHECK(!pool_zero(vm));
	CHECK(kc.npt[vm].pmd_next > b.pmd_start);
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap).pfn, IMG_PFN);
	CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0);
	clear_all(vm);
	fake_events_clear();
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vm, 0, 0), 0);
	/* the pool: zero, the bump pointers at its start */
	CHECK(pool_zero(vm));
	CHECK_EQ(kc.npt[vm].root, b.start);
	CHECK_EQ(kc.npt[vm].pgd_next, b.start + PAGE_SIZE);
	CHECK_EQ(kc.npt[vm].pud_next, b.pud_start);
	CHECK_EQ(kc.npt[vm].pmd_next, b.pmd_start);
	CHECK(has_event(FAKE_TLBI_S2_VMID, vm, 0));
	CHECK(has_event(FAKE_VM_DESTROYED, vm, 0));
	/* the window: unmapped (each page's EL2 entry invalidated), released */
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap).level, 0);
	CHECK_EQ(npt_lookup_locked(COREVISOR, remap + PAGE_SIZE).level, 0);
	CHECK(has_event(FAKE_TLBI_EL2_VA, COREVISOR, remap));
	CHECK(has_event(FAKE_TLBI_EL2_VA, COREVISOR, remap + PAGE_SIZE));
	CHECK(has_event(FAKE_WINDOW_RELEASED, 2, remap));
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START);
	/* the info and contexts as at boot */
	{
		struct vm_info zero;

		memset(&zero, 0, sizeof(zero));
		CHECK(memcmp(&kc.vminfo[vm], &zero, sizeof(zero)) == 0);
	}
	for (u32 v = 0; v < KCORE_MAX_VCPUS; v++) {
		CHECK_EQ(ctxt(vm, v)->r[DIRTY], INVALID64);
		for (u32 i = 0; i < NR_CTXT_REGS; i++)
			if (i != DIRTY)
				CHECK_EQ(ctxt(vm, v)->r[i], 0);
	}
	/* the id free, one generation on */
	CHECK_EQ(kc.core.vmid_used, 0);
	CHECK_EQ(kc.core.next_vmid, 1);
	CHECK_EQ(kc.vm_generation[vm], 1);
	CHECK(no_lock_held());
}

static void destroy(vmid_t vm)
{
	if (kc.vminfo[vm].state != POWEROFF)
		CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0);
	clear_all(vm);
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vm, 0, 0), 0);
}

static void test_lowest_id_and_window_reused(void)
{
	vmid_t v[5];

	fake_machine_reset();
	for (u32 i = 0; i < 4; i++) {
		v[i] = vm_new();
		CHECK_EQ(v[i], i + 1);
		/* VM i holds i + 1 pages of the window */
		CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, v[i], LOAD_IPA, (i + 1) * PAGE_SIZE), 0);
	}
	CHECK_EQ(kc.core.next_vmid, 5);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START + 10 * PAGE_SIZE);
	destroy(v[2]); /* id 3: pages 3..5 of the window */
	destroy(v[1]); /* id 2: pages 1..2 */
	CHECK_EQ(kc.core.next_vmid, 2);
	CHECK_EQ(kc.core.vmid_used, 1U << 1 | 1U << 4);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START + 10 * PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), 2);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), 3);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), 5);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, 2, 0, 0), 0);
	/* first fit: 4 pages fit no hole (1..5 is 5 pages, but two ranges were
	 * freed: pages 1..5 are one hole of 5), 6 pages go to the end */
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 2, LOAD_IPA, 6 * PAGE_SIZE), 0);
	CHECK_EQ(kc.vminfo[2].boot.remap_addr[0], KCORE_REMAP_START + 10 * PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 2, LOAD_IPA + 0x100000, 4 * PAGE_SIZE), 1);
	CHECK_EQ(kc.vminfo[2].boot.remap_addr[1], KCORE_REMAP_START + 1 * PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 2, LOAD_IPA + 0x200000, PAGE_SIZE), 2);
	CHECK_EQ(kc.vminfo[2].boot.remap_addr[2], KCORE_REMAP_START + 5 * PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, 2, LOAD_IPA + 0x300000, PAGE_SIZE), 3);
	CHECK_EQ(kc.vminfo[2].boot.remap_addr[3], KCORE_REMAP_START + 16 * PAGE_SIZE);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START + 17 * PAGE_SIZE);
	/* ids 1..15 all handed out: full, as before D68 */
	for (u32 i = 6; i < COREVISOR; i++)
		CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), i);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), -KE_FULL);
	destroy(v[0]);
	CHECK_EQ(hc(KCORE_HC_GEN_VMID, 0, 0, 0), 1);
	CHECK(no_lock_held());
}

/* D68 with D41: a blob of the VM that had the id before is refused. */
static void test_export_generation(void)
{
	vmid_t vm, again;
	u64 blob = (MAP_PFN + 8) * PAGE_SIZE, blob2 = (MAP_PFN + 9) * PAGE_SIZE;
	struct kcore_blob_header h;

	fake_machine_reset();
	vm = vm_make(1, 2, false);
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), 0);
	memcpy(&h, fake_ram(blob), sizeof(h));
	CHECK_EQ(h.version, 2);
	CHECK_EQ(h.generation, 0);
	/* a v1 header (or another generation) is not this VM's blob */
	((struct kcore_blob_header *)fake_ram_write(blob))->version = 1;
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_AUTH);
	((struct kcore_blob_header *)fake_ram_write(blob))->version = 2;
	((struct kcore_blob_header *)fake_ram_write(blob))->generation = 1;
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_AUTH);
	((struct kcore_blob_header *)fake_ram_write(blob))->generation = 0;
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), 0);
	destroy(vm);
	again = vm_make(1, 2, false);
	CHECK_EQ(again, vm);
	CHECK_EQ(kc.vminfo[vm].export_seq, 0); /* the same nonce as the first blob's */
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_AUTH);
	/* even with the generation rewritten: the key is another */
	((struct kcore_blob_header *)fake_ram_write(blob))->generation = 1;
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob, 0, 0), -KE_AUTH);
	/* the new VM's blob with the same nonce and plaintext: another keystream */
	memset(ctxt(vm, 0), 0, sizeof(struct shadow_ctxt));
	CHECK_EQ(kcore_host_call(KCORE_HC_SAVE_ENCRYPTED_VCPU, vm, 0, blob2, 0, 0), 0);
	memcpy(&h, fake_ram(blob2), sizeof(h));
	CHECK_EQ(h.generation, 1);
	CHECK(memcmp(h.nonce, ((struct kcore_blob_header *)fake_ram(blob))->nonce, 12) == 0);
	CHECK(memcmp((u8 *)fake_ram(blob2) + 64, (u8 *)fake_ram(blob) + 64, 64) != 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_LOAD_ENCRYPTED_VCPU, vm, 0, blob2, 0, 0), 0);
	CHECK(no_lock_held());
}

/* 10,000 VMs one after another on one id, beside a VM that lives through
 * them all: built, run and given pages (or refused, or never verified),
 * taken apart; at the end every pool, owner, id and window range is as it
 * was, and KCore's table only kept the window's table pages of the first
 * use. */
static void one_cycle(u32 i, vmid_t want)
{
	vmid_t vm = vm_new();
	bool smmu = i % 5 == 0;

	CHECK_EQ(vm, want);
	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 0, 0), 0);
	if (i % 2)
		CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 1, 0), 0);
	image_write(IMG_PFN, test_image_2p, 2 * PAGE_SIZE);
	if (i % 10 == 9) /* a tampered image: refused, the pages scrubbed back */
		((u8 *)fake_ram_write(IMG_PFN * PAGE_SIZE))[100] ^= 1;
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, 2 * PAGE_SIZE), 0);
	CHECK_EQ(kc.vminfo[vm].boot.remap_addr[0], KCORE_REMAP_START + PAGE_SIZE);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 1, 0), 0);
	if (smmu) {
		CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 2, vm, 0), 0);
		/* (no SMMU_MAP: the SMMU's table pool is shared by every
		 * context and, as in the spec, never given back; D68 leaves it) */
		CHECK_EQ(kcore_host_call(KCORE_HC_SMMU_ASSIGN, 2, 0, SMMU_PFN, 0x5000, 0), 0);
	}
	if (i % 10 == 9) {
		CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_AUTH); /* POWEROFF */
	} else if (i % 4 == 3) {
		CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0); /* never verified */
	} else {
		struct kcore_run_input in = first_input();
		struct kcore_exit_hw hw = hw_irq();
		struct kcore_exit_info out;

		CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
		CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
		CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
		/* a page, and a 2 MB block every third time */
		in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
		CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
		CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
		if (i % 3 == 0) {
			in = map_input(RAM_IPA + 0x200000, (RAM_PFN0 + 0x800) * PAGE_SIZE, 2);
			CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
			CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
		}
		CHECK_EQ(hc(KCORE_HC_POWEROFF_VM, vm, 0, 0), 0);
	}
	if (smmu)
		CHECK_EQ(hc(KCORE_HC_SMMU_FREE, 2, 0, 0), 0);
	CHECK_EQ(kc.vm_pages[vm], pages_owned(vm));
	clear_all(vm);
	CHECK_EQ(hc(KCORE_HC_DESTROY_VM, vm, 0, 0), 0);
}

static void test_10000_cycles(void)
{
	vmid_t keep;
	struct whole *start, *first;
	struct kcore *k;
	u8 *pool_start_mem;
	u64 pool_off = kc.pool_base, pool_len;
	u32 cycles = 10000;

	fake_machine_reset();
	pool_off = kc.pool_base - kc.core_start;
	pool_len = layout_pool_bytes();
	/* one VM that lives through every cycle, holding window page 0 */
	keep = vm_new();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, keep, LOAD_IPA, PAGE_SIZE), 0);
	start = whole_take();
	one_cycle(0, 2);
	first = whole_take(); /* KCore's table now has the window's table pages */
	for (u32 i = 1; i < cycles; i++) {
		one_cycle(i, 2);
		if (ut_failed_checks)
			break;
	}
	/* after cycle 1 and after cycle 10,000: the same, but the generation */
	k = &first->k;
	k->vm_generation[2] = cycles;
	CHECK(whole_same(first));
	/* against the start: the pools of the host, every VM and the SMMU, every
	 * owner, every id and window range, every page count and VM info; only
	 * KCore's own table kept what the window needed at its first use */
	CHECK(memcmp(start->k.s2page, kc.s2page, sizeof(kc.s2page)) == 0);
	CHECK(memcmp(&start->k.core, &kc.core, sizeof(kc.core)) == 0);
	CHECK(memcmp(start->k.vm_pages, kc.vm_pages, sizeof(kc.vm_pages)) == 0);
	CHECK(memcmp(start->k.vminfo, kc.vminfo, sizeof(kc.vminfo)) == 0);
	CHECK(memcmp(start->k.shadow, kc.shadow, sizeof(kc.shadow)) == 0);
	CHECK(memcmp(&start->k.spt, &kc.spt, sizeof(kc.spt)) == 0);
	CHECK(memcmp(start->k.smmu_vmid, kc.smmu_vmid, sizeof(kc.smmu_vmid)) == 0);
	CHECK(memcmp(start->k.smmu_nr_mapped, kc.smmu_nr_mapped, sizeof(kc.smmu_nr_mapped)) == 0);
	for (vmid_t p = 0; p < COREVISOR; p++)
		CHECK(memcmp(&start->k.npt[p], &kc.npt[p], sizeof(kc.npt[p])) == 0);
	pool_start_mem = start->core_mem + pool_off;
	{
		struct pool_bounds core = pool_bounds(COREVISOR);
		u64 core_lo = core.start - kc.pool_base, core_hi = core.end - kc.pool_base;
		const u8 *now = fake_ram(kc.pool_base);

		CHECK(memcmp(pool_start_mem, now, core_lo) == 0);
		CHECK(memcmp(pool_start_mem + core_hi, now + core_hi, pool_len - core_hi) == 0);
	}
	CHECK_EQ(kc.vm_generation[2], cycles);
	CHECK_EQ(kc.core.next_vmid, 2);
	CHECK_EQ(kc.core.next_remap_ptr, KCORE_REMAP_START + PAGE_SIZE);
	CHECK_EQ(kc.vminfo[keep].state, READY);
	whole_free(start);
	whole_free(first);
	CHECK(no_lock_held());
}

UT_MAIN(UT(test_destroy_refusals), UT(test_destroy_counts_shared_and_smmu_pages),
	UT(test_destroy_frees_everything), UT(test_lowest_id_and_window_reused),
	UT(test_export_generation), UT(test_10000_cycles))
