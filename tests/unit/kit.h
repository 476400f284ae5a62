/* What the unit tests share, over the fake machine (include after ut.h):
 * host hypercalls, the lock and event checks, and the VM set-up of the VM,
 * vCPU and exit tests. What only one test file needs stays in that file. */
#ifndef KCORE_UT_KIT_H
#define KCORE_UT_KIT_H

#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/state.h"
#include "test_images.h"

#define RAM_PFN0 (KCORE_RAM_BASE >> PAGE_SHIFT)

/* The VMs vm_make builds: one image at LOAD_IPA, its pages taken from
 * IMG_PFN on; MAP_PFN is a host page for a mapping request. */
#define IMG_PFN (RAM_PFN0 + 0x200) /* host pages holding the image */
#define MAP_PFN (RAM_PFN0 + 0x300) /* host page given to the VM */
#define LOAD_IPA 0x40080000UL
#define ENTRY (LOAD_IPA + 0x40)
#define EL1H_DAIF (PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/* A host hypercall with a4 = a5 = 0. */
static inline long hc(u64 fn, u64 a1, u64 a2, u64 a3)
{
	return kcore_host_call(fn, a1, a2, a3, 0, 0);
}

static inline bool no_lock_held(void)
{
	for (u32 id = 0; id < NR_LOCKS; id++)
		if (lock_held(id))
			return false;
	return true;
}

/* npt_lookup of addr's page in p's table, under NPT(p). */
static inline struct npt_entry npt_lookup_locked(vmid_t p, u64 addr)
{
	struct npt_entry e;

	lock_acquire(NPT_ID + p);
	e = npt_lookup(p, addr >> PAGE_SHIFT);
	lock_release(NPT_ID + p);
	return e;
}

/* ---- the fake machine's records ----------------------------------------- */

/* Events of one kind since the last fake_events_clear(). */
static inline u32 count_events(u32 kind)
{
	u32 n = 0;

	for (u32 i = 0; i < fake_events_count(); i++)
		n += fake_events()[i].kind == kind;
	return n;
}

/* Whether an event with kind, a and addr was recorded, and b too if given. */
static inline bool event_recorded(u32 kind, u32 a, const u32 *b, u64 addr)
{
	for (u32 i = 0; i < fake_events_count(); i++) {
		const struct fake_event *e = &fake_events()[i];

		if (e->kind == kind && e->a == a && (b == NULL || e->b == *b) && e->addr == addr)
			return true;
	}
	return false;
}

/* Stage-2, EL2 and cache events (b is not looked at). */
static inline bool has_event(u32 kind, u32 a, u64 addr)
{
	return event_recorded(kind, a, NULL, addr);
}

/* Any event, b (an SMMU context bank) included. */
static inline bool has_event_b(u32 kind, u32 a, u32 b, u64 addr)
{
	return event_recorded(kind, a, &b, addr);
}

/* Whether the 4 KB page at pa is all zero. */
static inline bool page_is_zero(phys_addr_t pa)
{
	const u64 *p = fake_ram(pa);

	for (u32 i = 0; i < 512; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- VMs and vCPUs through the host's hypercalls ------------------------ */

static inline struct shadow_ctxt *ctxt(vmid_t vm, u32 v)
{
	return &kc.shadow[vm][v];
}

static inline u32 vcpu_state(vmid_t vm, u32 v)
{
	return kc.vminfo[vm].vcpu_state[v];
}

/* A fresh machine on which VMs a and b are READY, set by hand (no
 * hypercall, so nothing else of theirs is set up). */
static inline void machine_reset_ready(vmid_t a, vmid_t b)
{
	fake_machine_reset();
	kc.vminfo[a].state = READY;
	kc.vminfo[b].state = READY;
}

/* A new VM (GEN_VMID, REGISTER_KVM): READY, no vCPU, no image. */
static inline vmid_t vm_new(void)
{
	long vmid = hc(KCORE_HC_GEN_VMID, 0, 0, 0);

	CHECK(vmid >= 1 && vmid < COREVISOR);
	CHECK_EQ(hc(KCORE_HC_REGISTER_KVM, vmid, 0, 0), 0);
	return (vmid_t)vmid;
}

/* What the host loaded: `size` bytes of img written into pages pfn, pfn+1,
 * ... (the rest of the last page zero). */
static inline void image_write(pfn_t pfn, const u8 *img, u64 size)
{
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		u8 *p = fake_ram_write((pfn << PAGE_SHIFT) + off);
		u64 n = size - off < PAGE_SIZE ? size - off : PAGE_SIZE;

		memset(p, 0, PAGE_SIZE);
		memcpy(p, img + off, n);
	}
}

/* A VM with nvcpu READY vCPUs and one signed image (build/keys/
 * test_images.h) of npages (1 or 2) pages at LOAD_IPA, loaded into and
 * remapped from IMG_PFN on; VERIFIED if verify, READY if not. */
static inline vmid_t vm_make(u32 nvcpu, u32 npages, bool verify)
{
	vmid_t vm = vm_new();

	CHECK(npages == 1 || npages == 2);
	image_write(IMG_PFN, npages == 1 ? test_image_1p : test_image_2p, npages * PAGE_SIZE);

	for (u32 v = 0; v < nvcpu; v++)
		CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, v, 0), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, npages * PAGE_SIZE), 0);
	for (u32 i = 0; i < npages; i++)
		CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + i, 0), 0);
	if (verify)
		CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	return vm;
}

/* A first run's input: start at ENTRY in EL1h, interrupts masked. */
static inline struct kcore_run_input first_input(void)
{
	struct kcore_run_input in;

	memset(&in, 0, sizeof(in));
	in.entry_pc = ENTRY;
	in.entry_pstate = EL1H_DAIF;
	return in;
}

/* A later run's input that asks only for a stage-2 mapping. */
static inline struct kcore_run_input map_input(u64 ipa, u64 pte, u64 level)
{
	struct kcore_run_input in;

	memset(&in, 0, sizeof(in));
	in.map_addr = ipa;
	in.map_pte = pte;
	in.map_level = level;
	return in;
}

#endif
