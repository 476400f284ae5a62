/* Unit tests of kcore/pin.c (D60) over the fake machine: every refusal of
 * local_host_pin in its order, each changing nothing; an extent's pages
 * (partial ones too) counted once per extent covering them and released
 * when the slot's extent moves or goes; the bound on all pinned pages; and
 * that the paths that take host pages refuse a pinned one (-KE_BUSY) while
 * the host keeps using it. */
#include <setjmp.h>
#include <string.h>

#include "fake.h"
#include "kcore/errno.h"
#include "kcore/smmu.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#define VM 2U
#define VM2 5U
#define HPFN (RAM_PFN0 + 0x100) /* some host pages */
#define BPFN (RAM_PFN0 + 0x400) /* more, 2 MB aligned */
#define P PAGE_SIZE
#define PIN_BYTES (KCORE_PIN_MAX_PAGES * PAGE_SIZE)

/* The locks the mapping paths need, in order (local_host_pin: S2PAGE). */
static void lock_all(void)
{
	lock_acquire(SMMU_ID);
	lock_acquire(INFO_ID + VM);
	lock_acquire(S2PAGE_ID);
	lock_acquire(NPT_ID + HOSTVISOR);
	lock_acquire(NPT_ID + VM);
}

static void unlock_all(void)
{
	lock_release(NPT_ID + VM);
	lock_release(NPT_ID + HOSTVISOR);
	lock_release(S2PAGE_ID);
	lock_release(INFO_ID + VM);
	lock_release(SMMU_ID);
}

static void reset(void)
{
	machine_reset_ready(VM, VM2);
	lock_all();
}

static void done(void)
{
	unlock_all();
	CHECK(no_lock_held());
}

static u32 count_of(pfn_t pfn)
{
	return s2page_get(pfn).count;
}

/* ---- refusals change nothing ------------------------------------------- */

static struct s2page s2_before[KCORE_RAM_MAX_PAGES];
static struct phys_range pin_before[KCORE_PIN_SLOTS];
static u64 pinned_before;

static void save(void)
{
	memcpy(s2_before, kc.s2page, kc.ram_pages * sizeof(struct s2page));
	memcpy(pin_before, kc.pin, sizeof(kc.pin));
	pinned_before = kc.pinned_pages;
}

static bool unchanged(void)
{
	return !memcmp(s2_before, kc.s2page, kc.ram_pages * sizeof(struct s2page)) &&
	       !memcmp(pin_before, kc.pin, sizeof(kc.pin)) && pinned_before == kc.pinned_pages;
}

/* local_host_pin refuses with want and changes nothing. */
static void refused(u32 slot, u64 base, u64 size, long want)
{
	save();
	CHECK_EQ(local_host_pin(slot, base, size), want);
	CHECK(unchanged());
}

static void test_refusals(void)
{
	reset();
	CHECK_EQ(local_host_pin(0, HPFN * P, P), 0); /* something pinned already */
	/* No such slot, even for an empty extent. */
	refused(KCORE_PIN_SLOTS, HPFN * P, P, -KE_RANGE);
	refused(KCORE_PIN_SLOTS, 0, 0, -KE_RANGE);
	refused(~0U, HPFN * P, P, -KE_RANGE);
	/* R3: in the address space, no wrap. */
	refused(1, KVM_ADDR_SPACE, 1, -KE_RANGE);
	refused(1, KVM_ADDR_SPACE - P, P + 1, -KE_RANGE);
	refused(1, HPFN * P, ~0UL, -KE_RANGE);
	/* The range first, then the length, then the owners. */
	refused(1, 1UL << 52, PIN_BYTES + 1, -KE_RANGE);
	refused(1, kc.core_start, PIN_BYTES + 1, -KE_FULL);
	refused(1, 0, KVM_ADDR_SPACE, -KE_FULL);
	refused(1, kc.core_start, P, -KE_OWNER);
	refused(1, kc.core_start - P + 8, P, -KE_OWNER); /* its second page is KCore's */
	refused(1, kc.pool_base, 1, -KE_OWNER);
	refused(1, 0x09000000UL, P, -KE_OWNER); /* a device: not RAM */
	refused(1, FAKE_WITHHELD_MMIO, P, -KE_OWNER);
	s2page_set(HPFN + 5, (struct s2page){ VM, 0, 7 });
	refused(1, (HPFN + 4) * P, 2 * P, -KE_OWNER); /* a VM's page */
	/* A refused move keeps the old extent. */
	refused(0, (HPFN + 5) * P, P, -KE_OWNER);
	CHECK_EQ(count_of(HPFN), 1);
	CHECK_EQ(kc.pin[0].base, HPFN * P);
	done();
}

/* ---- counts ------------------------------------------------------------- */

static void test_counts(void)
{
	reset();
	/* An unaligned extent covers its partial pages. */
	CHECK_EQ(local_host_pin(0, HPFN * P + 0x800, P), 0);
	CHECK_EQ(count_of(HPFN), 1);
	CHECK_EQ(count_of(HPFN + 1), 1);
	CHECK_EQ(count_of(HPFN + 2), 0);
	CHECK_EQ(kc.pin[0].base, HPFN * P + 0x800);
	CHECK_EQ(kc.pin[0].size, P);
	CHECK_EQ(kc.pinned_pages, 2);
	CHECK_EQ(s2page_get(HPFN).owner, HOSTVISOR);
	/* Another slot over HPFN + 1: counted twice. */
	CHECK_EQ(local_host_pin(KCORE_PIN_SLOTS - 1, (HPFN + 1) * P, 2 * P), 0);
	CHECK_EQ(count_of(HPFN), 1);
	CHECK_EQ(count_of(HPFN + 1), 2);
	CHECK_EQ(count_of(HPFN + 2), 1);
	CHECK_EQ(kc.pinned_pages, 4);
	/* A move: the new extent counted, the old one released; a page in
	 * both keeps its count. */
	CHECK_EQ(local_host_pin(0, (HPFN + 1) * P + 0xFFF, 1), 0);
	CHECK_EQ(count_of(HPFN), 0);
	CHECK_EQ(count_of(HPFN + 1), 2);
	CHECK_EQ(kc.pinned_pages, 3);
	/* The same extent again: nothing changes. */
	CHECK_EQ(local_host_pin(0, (HPFN + 1) * P + 0xFFF, 1), 0);
	CHECK_EQ(count_of(HPFN + 1), 2);
	CHECK_EQ(kc.pinned_pages, 3);
	/* A release (size 0): its base does not matter, and is kept as 0. */
	CHECK_EQ(local_host_pin(KCORE_PIN_SLOTS - 1, ~0UL, 0), 0);
	CHECK_EQ(kc.pin[KCORE_PIN_SLOTS - 1].base, 0);
	CHECK_EQ(kc.pin[KCORE_PIN_SLOTS - 1].size, 0);
	CHECK_EQ(count_of(HPFN + 1), 1);
	CHECK_EQ(count_of(HPFN + 2), 0);
	CHECK_EQ(kc.pinned_pages, 1);
	CHECK_EQ(local_host_pin(KCORE_PIN_SLOTS - 1, 0, 0), 0); /* nothing to release */
	CHECK_EQ(local_host_pin(0, 0, 0), 0);
	CHECK_EQ(count_of(HPFN + 1), 0);
	CHECK_EQ(kc.pinned_pages, 0);
	/* On top of a device mapping's count (D31): the two add. */
	s2page_set(HPFN + 3, (struct s2page){ HOSTVISOR, 1, HPFN + 3 });
	CHECK_EQ(local_host_pin(1, (HPFN + 3) * P, P), 0);
	CHECK_EQ(count_of(HPFN + 3), 2);
	CHECK_EQ(local_host_pin(1, 0, 0), 0);
	CHECK_EQ(count_of(HPFN + 3), 1);
	done();
}

/* ---- the bound on all pinned pages --------------------------------------- */

static void test_full(void)
{
	reset();
	CHECK_EQ(local_host_pin(0, HPFN * P, 3 * P), 0);
	CHECK_EQ(local_host_pin(1, BPFN * P, PIN_BYTES - 3 * P), 0);
	CHECK_EQ(kc.pinned_pages, KCORE_PIN_MAX_PAGES);
	refused(2, (HPFN + 10) * P, 1, -KE_FULL);
	refused(1, BPFN * P + 1, PIN_BYTES - 3 * P, -KE_FULL); /* one page more */
	refused(0, HPFN * P, 4 * P, -KE_FULL);
	/* A moved extent's own pages are given back first. */
	CHECK_EQ(local_host_pin(0, (HPFN + 10) * P, 3 * P), 0);
	CHECK_EQ(local_host_pin(0, 0, 0), 0);
	CHECK_EQ(local_host_pin(1, BPFN * P + 1, PIN_BYTES - 1), 0); /* the bound, unaligned */
	CHECK_EQ(kc.pinned_pages, KCORE_PIN_MAX_PAGES);
	CHECK_EQ(count_of(BPFN + KCORE_PIN_MAX_PAGES - 1), 1);
	CHECK_EQ(count_of(BPFN + KCORE_PIN_MAX_PAGES), 0);
	refused(1, BPFN * P + 1, PIN_BYTES, -KE_FULL); /* the length, but one page more */
	CHECK_EQ(local_host_pin(1, 0, 0), 0);
	CHECK_EQ(kc.pinned_pages, 0);
	for (u64 i = 0; i < KCORE_PIN_MAX_PAGES + 1; i++)
		CHECK_EQ(count_of(BPFN + i), 0);
	done();
}

/* ---- a pinned page stays the host's ---------------------------------------- */

static void test_pinned_not_taken(void)
{
	pfn_t pfn = HPFN + 7;

	reset();
	CHECK_EQ(local_host_pin(0, pfn * P, P), 0);
	CHECK_EQ(local_host_pin(1, (BPFN + 300) * P, P), 0);
	/* The host maps and uses it (it is its own). */
	CHECK_EQ(local_map_host(pfn * P), 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, pfn).pte, (pfn * P) | PAGE_S2_KERNEL);
	/* A mapping request: neither the page nor a block holding it. */
	save();
	CHECK_EQ(local_assign_pfn_to_vm_check(VM, 0x42, pfn), -KE_BUSY);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x42, pfn), -KE_BUSY);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x5000, pfn * P, 3), -KE_BUSY);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x40000000UL, BPFN * P, 2), -KE_BUSY);
	CHECK(unchanged());
	CHECK_EQ(npt_lookup(HOSTVISOR, pfn).level, 3);
	unlock_all();
	/* Through the hypercalls: an SMMU assign, an import, VERIFY_VM. */
	CHECK_EQ(hc(KCORE_HC_SMMU_ALLOC, 0, VM, 0), 0);
	CHECK_EQ(kcore_host_call(KCORE_HC_SMMU_ASSIGN, 0, 0, pfn, 0x40010, 0), -KE_BUSY);
	CHECK_EQ(hc(KCORE_HC_LOAD_DECRYPT_BUF, VM, pfn * P, 0), -KE_BUSY);
	CHECK_EQ(s2page_get(pfn).owner, HOSTVISOR);
	CHECK(no_lock_held());
}

/* VERIFY_VM does not take an image page while it is pinned; once released
 * it does. kcore_host_pin takes and leaves the S2PAGE lock. */
static void test_pinned_image(void)
{
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(1, 1, false);
	CHECK_EQ(kcore_host_pin(3, IMG_PFN * P, P), 0);
	CHECK(no_lock_held());
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), -KE_BUSY);
	CHECK_EQ(kc.vminfo[vm].state, READY);
	CHECK_EQ(s2page_get(IMG_PFN).owner, HOSTVISOR);
	CHECK_EQ(kcore_host_pin(3, 0, 0), 0);
	CHECK_EQ(hc(KCORE_HC_VERIFY_VM, vm, 0, 0), 0);
	CHECK_EQ(s2page_get(IMG_PFN).owner, vm);
	/* The VM's page now: no pin of it. */
	CHECK_EQ(kcore_host_pin(3, IMG_PFN * P, P), -KE_OWNER);
	CHECK_EQ(kcore_host_pin(KCORE_PIN_SLOTS, 0, 0), -KE_RANGE);
	CHECK(no_lock_held());
}

/* R5: a pinned page that is no longer the host's (nothing lets that
 * happen) halts the release rather than miscounting. */
static void test_release_halts(void)
{
	jmp_buf jb;
	volatile int halted = 0;

	reset();
	CHECK_EQ(local_host_pin(0, HPFN * P, P), 0);
	s2page_set(HPFN, (struct s2page){ VM, 1, 7 });
	fake_halt_jmp = &jb;
	fake_halt_reason = NULL;
	if (setjmp(jb) == 0)
		(void)local_host_pin(0, 0, 0);
	else
		halted = 1;
	fake_halt_jmp = NULL;
	CHECK(halted);
	CHECK(fake_halt_reason != NULL && strstr(fake_halt_reason, "pin") != NULL);
	done();
}

UT_MAIN(UT(test_refusals), UT(test_counts), UT(test_full), UT(test_pinned_not_taken),
	UT(test_pinned_image), UT(test_release_halts))
