/* VERIFY_VM with real signatures (kcore/verify.c, kcore/crypto.c, D40):
 * the pages leave the host before the check, a good image is mapped into
 * the VM, a bad one is refused with its pages scrubbed and given back, and
 * the refusals before the check change nothing. The images are signed by
 * scripts/sign-image with the build's key (build/keys/test_images.h). */
#include "ut.h"
#include "kit.h"

#include "kcore/errno.h"
#include "kcore/image.h"

#define TRAILER(sz) ((sz) - IMAGE_TRAILER_SIZE)

static u8 img[2 * PAGE_SIZE];

/* A READY VM with one slot (load, boot_size) whose pages IMG_PFN.. hold
 * `size` bytes of img, the host having touched (mapped) each page first. */
static vmid_t vm_loaded(u64 load, u64 boot_size, u64 size)
{
	vmid_t vm = vm_new();
	u64 pages = (boot_size + PAGE_SIZE - 1) / PAGE_SIZE;

	CHECK_EQ(hc(KCORE_HC_REGISTER_VCPU, vm, 0, 0), 0);
	image_write(IMG_PFN, img, size);
	for (u64 i = 0; i < pages; i++)
		CHECK_EQ(kcore_host_stage2_fault((IMG_PFN + i) << PAGE_SHIFT), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, load, boot_size), 0);
	for (u64 i = 0; i < pages; i++)
		CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + i, 0), 0);
	return vm;
}

static bool page_zero_p(pfn_t pfn)
{
	const u64 *p = fake_ram(pfn << PAGE_SHIFT);

	for (u64 i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

static void test_good_image(void)
{
	vmid_t vm;
	struct s2page pg;

	fake_machine_reset();
	memcpy(img, test_image_2p, sizeof(test_image_2p));
	vm = vm_loaded(LOAD_IPA, sizeof(test_image_2p), sizeof(test_image_2p));
	CHECK_EQ(npt_lookup(HOSTVISOR, IMG_PFN).level, 3); /* the host had it */
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(kc.vminfo[vm].state, VERIFIED);
	for (u64 i = 0; i < 2; i++) {
		pg = s2page_get(IMG_PFN + i);
		CHECK_EQ(pg.owner, vm);
		CHECK_EQ(pg.count, 0);
		CHECK_EQ(pg.gfn, (LOAD_IPA >> PAGE_SHIFT) + i);
		CHECK_EQ(npt_lookup(HOSTVISOR, IMG_PFN + i).level, 0);
		CHECK_EQ(npt_lookup(vm, (LOAD_IPA >> PAGE_SHIFT) + i).pfn, IMG_PFN + i);
		CHECK_EQ(npt_lookup(vm, (LOAD_IPA >> PAGE_SHIFT) + i).pte,
			 (IMG_PFN + i) * PAGE_SIZE | PAGE_S2_KERNEL);
	}
	/* the image is intact, and the host can no longer reach it */
	CHECK(memcmp(fake_ram(IMG_PFN << PAGE_SHIFT), test_image_2p, PAGE_SIZE) == 0);
	CHECK(kcore_host_stage2_fault(IMG_PFN << PAGE_SHIFT) < 0);
	CHECK(no_lock_held());
}

/* Refused by the signature check: -KE_AUTH, the VM POWEROFF (it can never
 * run), its pages the host's again, zero, mapped by no one. */
static void refused_auth(u64 load, u64 boot_size, u64 size, const char *what)
{
	vmid_t vm;
	u64 pages = (boot_size + PAGE_SIZE - 1) / PAGE_SIZE;
	struct kcore_run_input in = first_input();
	long ret;

	fake_machine_reset();
	vm = vm_loaded(load, boot_size, size);
	ret = hc(KCORE_HC_VERIFY_VM, vm, 0, 0);
	if (ret != -KE_AUTH)
		fprintf(stderr, "not refused: %s\n", what);
	CHECK_EQ(ret, -KE_AUTH);
	CHECK_EQ(kc.vminfo[vm].state, POWEROFF);
	for (u64 i = 0; i < pages; i++) {
		struct s2page pg = s2page_get(IMG_PFN + i);

		CHECK_EQ(pg.owner, HOSTVISOR);
		CHECK_EQ(pg.count, 0);
		CHECK_EQ(pg.gfn, IMG_PFN + i);
		CHECK(page_zero_p(IMG_PFN + i));
		CHECK_EQ(npt_lookup(vm, (load >> PAGE_SHIFT) + i).level, 0);
	}
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), -KE_STATE);
	CHECK_EQ(kcore_host_stage2_fault(IMG_PFN << PAGE_SHIFT), 0); /* back */
	CHECK(no_lock_held());
}

static void flip(u64 byte, u32 bit)
{
	memcpy(img, test_image_2p, sizeof(test_image_2p));
	img[byte] ^= (u8)(1U << bit);
}

static void test_bad_images(void)
{
	const u64 sz = sizeof(test_image_2p);

	/* a single bit flipped in the body, in each field of the trailer's
	 * header, and in the signature */
	flip(0, 0);
	refused_auth(LOAD_IPA, sz, sz, "body, first byte");
	flip(PAGE_SIZE + 5, 7);
	refused_auth(LOAD_IPA, sz, sz, "body, second page");
	for (u64 off = 0; off < IMAGE_OFF_SIG; off += 4) {
		flip(TRAILER(sz) + off, (u32)(off % 8));
		refused_auth(LOAD_IPA, sz, sz, "trailer header");
	}
	flip(TRAILER(sz) + IMAGE_OFF_SIG, 0);
	refused_auth(LOAD_IPA, sz, sz, "signature R");
	flip(sz - 1, 3);
	refused_auth(LOAD_IPA, sz, sz, "signature S");
	/* a wrong load address: the slot at another IPA */
	flip(0, 0);
	img[0] ^= 1;
	refused_auth(LOAD_IPA + 2 * PAGE_SIZE, sz, sz, "load address");
	/* truncated: the host declares and loads one byte less */
	refused_auth(LOAD_IPA, sz - 1, sz - 1, "truncated");
	/* larger than its boot info: the whole file loaded, one page declared */
	refused_auth(LOAD_IPA, PAGE_SIZE, sz, "larger than boot info");
	/* smaller than a trailer */
	refused_auth(LOAD_IPA, 100, 100, "no trailer");
}

/* A key KCore was not provisioned with: a trailer naming another key id
 * (re-signing needs the private key, so the test changes the id; the
 * signature is then checked against no key at all). */
static void test_unknown_key(void)
{
	const u64 sz = sizeof(test_image_2p);

	memcpy(img, test_image_2p, sz);
	for (u32 i = 0; i < IMAGE_KEY_ID_SIZE; i++)
		img[TRAILER(sz) + IMAGE_OFF_KEY_ID + i] ^= 0x5A;
	refused_auth(LOAD_IPA, sz, sz, "unknown key id");
	CHECK(image_keys_count >= 1);
}

/* Refusals before anything is taken: nothing changes at all (R1). */
static void test_refusals_change_nothing(void)
{
	vmid_t vm;
	u64 remap;

	/* the same page twice in an image */
	fake_machine_reset();
	memcpy(img, test_image_2p, sizeof(test_image_2p));
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, 2 * PAGE_SIZE), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_OWNER);
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(s2page_get(IMG_PFN).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(IMG_PFN).count, 0);

	/* a page a device maps (count 1): busy */
	fake_machine_reset();
	image_write(IMG_PFN, test_image_1p, PAGE_SIZE);
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 0, HOSTVISOR, 0), 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_SMMU_MAP, 0, 0, IMG_PFN << PAGE_SHIFT, IMG_PFN << PAGE_SHIFT, 0), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, PAGE_SIZE), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_BUSY);
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(s2page_get(IMG_PFN).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(IMG_PFN).count, 1);

	/* two slots at overlapping IPAs */
	fake_machine_reset();
	vm = vm_new();
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA, 2 * PAGE_SIZE), 0);
	CHECK_EQ(hc(KCORE_HC_SET_BOOT_INFO, vm, LOAD_IPA + PAGE_SIZE, PAGE_SIZE), 1);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 1, 0), 0);
	CHECK_EQ(hc(KCORE_HC_REMAP_VM_IMAGE, vm, IMG_PFN + 2, 1), 0);
	remap = kc.core.next_remap_ptr;
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_RANGE);
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(kc.core.next_remap_ptr, remap);
	for (u64 i = 0; i < 3; i++)
		CHECK_EQ(s2page_get(IMG_PFN + i).owner, HOSTVISOR);
	CHECK(no_lock_held());
}

/* D45: without DMA isolation (no SMMU under KCore's control) and without
 * the KCORE_INSECURE_DMA opt-in, a good image is refused and nothing
 * changes: the pages stay the host's and mapped, the VM stays READY. */
static void test_no_dma_isolation(void)
{
	vmid_t vm;

	fake_machine_reset();
	memcpy(img, test_image_2p, sizeof(test_image_2p));
	vm = vm_loaded(LOAD_IPA, sizeof(test_image_2p), sizeof(test_image_2p));
	fake_dma_policy_allows_vms = false;
	fake_events_clear();
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_NOTSUPP);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, 99, 0, 0), -KE_RANGE); /* R3 first */
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(fake_events_count(), 0);
	for (u64 i = 0; i < 2; i++) {
		CHECK_EQ(s2page_get(IMG_PFN + i).owner, HOSTVISOR);
		CHECK_EQ(npt_lookup(HOSTVISOR, IMG_PFN + i).level, 3);
	}
	/* The same VM verifies once the policy allows it. */
	fake_dma_policy_allows_vms = true;
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(kc.vminfo[vm].state, VERIFIED);
	CHECK(no_lock_held());
}

/* The index of the first event of `kind` (with a and addr, unless
 * any_a_addr) at or after `from`; -1 if none. */
static long event_at(u32 kind, bool any_a_addr, u32 a, u64 addr, u32 from)
{
	for (u32 i = from; i < fake_events_count(); i++) {
		const struct fake_event *e = &fake_events()[i];

		if (e->kind == kind && (any_a_addr || (e->a == a && e->addr == addr)))
			return (long)i;
	}
	return -1;
}

static long event_last(u32 kind)
{
	long last = -1;

	for (u32 i = 0; i < fake_events_count(); i++)
		if (fake_events()[i].kind == kind)
			last = (long)i;
	return last;
}

/* What the VM's table maps of the image when the image is read (it must
 * be nothing: the map comes after the check) and when the I-cache is
 * invalidated (it must be everything: nothing mapped after it). */
static vmid_t seq_vm;
static u32 seq_mapped_at_read, seq_mapped_at_icache;

static u32 seq_mapped(void)
{
	u32 n = 0;

	for (u64 i = 0; i < 2; i++)
		n += npt_lookup(seq_vm, (LOAD_IPA >> PAGE_SHIFT) + i).level != 0;
	return n;
}

static void seq_hook(const struct fake_event *e)
{
	if (e->kind == FAKE_REMAP_READ)
		seq_mapped_at_read += seq_mapped();
	if (e->kind == FAKE_ICACHE_INVAL)
		seq_mapped_at_icache = seq_mapped();
}

/* D50: VERIFY_VM's order, as the fake arch recorded it (QEMU has no cache
 * model, so this is where the maintenance is checked): for every image
 * page, take (the host's TLB entry invalidated) -> clean+invalidate to PoC
 * -> authenticate (the window read) -> map -> I-cache invalidate. */
static void test_cache_sequence(void)
{
	long first_read, last_read, icache;

	fake_machine_reset();
	memcpy(img, test_image_2p, sizeof(test_image_2p));
	seq_vm = vm_loaded(LOAD_IPA, sizeof(test_image_2p), sizeof(test_image_2p));
	seq_mapped_at_read = 0;
	seq_mapped_at_icache = 0;
	fake_events_clear();
	fake_event_hook = seq_hook;
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, seq_vm, 0, 0), 0);
	fake_event_hook = NULL;
	first_read = event_at(FAKE_REMAP_READ, true, 0, 0, 0);
	last_read = event_last(FAKE_REMAP_READ);
	icache = event_at(FAKE_ICACHE_INVAL, true, 0, 0, 0);
	CHECK(first_read >= 0);
	for (u64 i = 0; i < 2; i++) {
		u64 pa = (IMG_PFN + i) << PAGE_SHIFT;
		long take = event_at(FAKE_TLBI_S2_IPA, false, HOSTVISOR, pa, 0);
		long clean = event_at(FAKE_DCACHE_CLEAN_INVAL, false, PAGE_SIZE, pa, 0);

		CHECK(take >= 0);
		CHECK(clean > take);        /* taken first: the host cannot dirty it again */
		CHECK(clean < first_read);  /* cleaned before a byte of it is checked */
	}
	CHECK_EQ(seq_mapped_at_read, 0);  /* not mapped while being checked */
	CHECK(icache > last_read);
	CHECK_EQ(seq_mapped_at_icache, 2); /* invalidated once all is mapped */
	CHECK_EQ(event_last(FAKE_ICACHE_INVAL), icache); /* and nothing mapped later */
	CHECK_EQ(kc.vminfo[seq_vm].state, VERIFIED);
	CHECK(no_lock_held());
}

/* D51: the bytes after the signed file in its last page are the host's
 * choice; the VM gets zeros there, and the signed bytes unchanged.
 * test_image_hi is 4097 bytes: its second page holds one byte of it. */
static void test_tail_zeroed(void)
{
	const u64 sz = sizeof(test_image_hi), load = 0x80100000UL;
	pfn_t last = IMG_PFN + 1;
	u8 *tail;
	vmid_t vm;

	fake_machine_reset();
	memcpy(img, test_image_hi, sz);
	vm = vm_loaded(load, sz, sz);
	tail = fake_ram_write(last << PAGE_SHIFT);
	memset(tail + sz % PAGE_SIZE, 0xA5, PAGE_SIZE - sz % PAGE_SIZE); /* the host's bytes */
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0); /* not signed: not checked */
	CHECK_EQ(tail[0], test_image_hi[sz - 1]);
	for (u64 off = sz % PAGE_SIZE; off < PAGE_SIZE; off++)
		if (tail[off] != 0) {
			fprintf(stderr, "tail byte %llu not zeroed\n", (unsigned long long)off);
			CHECK(false);
			break;
		}
	CHECK(memcmp(fake_ram(IMG_PFN << PAGE_SHIFT), test_image_hi, PAGE_SIZE) == 0);
	CHECK(has_event(FAKE_DCACHE_CLEAN, 0, last << PAGE_SHIFT)); /* for an MMU-off guest */
	CHECK(no_lock_held());
}

UT_MAIN(UT(test_good_image), UT(test_bad_images), UT(test_unknown_key),
	UT(test_refusals_change_nothing), UT(test_no_dma_isolation), UT(test_cache_sequence),
	UT(test_tail_zeroed))
