/* Unit tests of kcore/mem_host.c, mem_vm.c and mem_share.c over the fake
 * machine: each line of docs/deviations.md "Operation contract" they
 * implement, with every refusal code, checking that a refusal changes
 * nothing (owners, tables, pool pointers) and that each change is visible
 * in the real descriptors (npt_lookup) and the owner table. */
#include <string.h>

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"
#include "kcore/abi.h"

#define VM 2U
#define VM2 5U
#define HPFN (RAM_PFN0 + 0x100) /* some host pages */
#define BPFN (RAM_PFN0 + 0x400) /* a 2 MB aligned run of host pages */
#define MMIO_PA 0x09000000UL    /* a device (not RAM, not reserved) */

/* The locks every operation here may need, in order. */
static void lock_all(vmid_t vmid)
{
	lock_acquire(SMMU_ID);
	lock_acquire(INFO_ID + vmid);
	lock_acquire(S2PAGE_ID);
	lock_acquire(NPT_ID + HOSTVISOR);
	lock_acquire(NPT_ID + vmid);
}

static void unlock_all(vmid_t vmid)
{
	lock_release(NPT_ID + vmid);
	lock_release(NPT_ID + HOSTVISOR);
	lock_release(S2PAGE_ID);
	lock_release(INFO_ID + vmid);
	lock_release(SMMU_ID);
}

static void reset(void)
{
	machine_reset_ready(VM, VM2);
	lock_all(VM);
}

static void done(void)
{
	unlock_all(VM);
	CHECK(no_lock_held());
}

static bool page_same(struct s2page a, struct s2page b)
{
	return a.owner == b.owner && a.count == b.count && a.gfn == b.gfn;
}

static void set_page(pfn_t pfn, u32 owner, u32 count, u64 gfn)
{
	struct s2page pg = { owner, count, gfn };

	s2page_set(pfn, pg);
}

static u64 *ram64(pfn_t pfn)
{
	return fake_ram(pfn << PAGE_SHIFT);
}

/* ---- host stage-2 faults -------------------------------------------- */

static void test_map_host(void)
{
	u64 addr = (HPFN << PAGE_SHIFT) + 0x10;
	struct npt_entry e;

	reset();
	CHECK_EQ(local_map_host(addr), 0);
	e = npt_lookup(HOSTVISOR, HPFN);
	CHECK_EQ(e.level, 3);
	CHECK_EQ(e.pfn, HPFN);
	CHECK_EQ(e.pte, (HPFN << PAGE_SHIFT) | PAGE_S2_KERNEL);
	/* Device MMIO (not RAM): device attributes. */
	CHECK_EQ(local_map_host(MMIO_PA), 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, MMIO_PA >> PAGE_SHIFT).pte, MMIO_PA | PAGE_S2_DEVICE | S2_RDWR);
	/* KCore's own memory and reserved MMIO: refused. */
	CHECK_EQ(local_map_host(kc.core_start), -KE_OWNER);
	CHECK_EQ(local_map_host(kc.pool_base + PAGE_SIZE), -KE_OWNER);
	CHECK_EQ(local_map_host(FAKE_WITHHELD_MMIO + PAGE_SIZE), -KE_OWNER);
	CHECK_EQ(npt_lookup(HOSTVISOR, kc.core_start >> PAGE_SHIFT).level, 0);
	/* D44: device frames off the allow-list (fw_cfg's DMA, virtio-mmio, the
	 * mediated redistributor page, unknown space): refused, nothing mapped. */
	CHECK_EQ(local_map_host(0x09020000UL), -KE_OWNER);
	CHECK_EQ(local_map_host(0x0a000000UL), -KE_OWNER);
	CHECK_EQ(local_map_host(0x080a0000UL), -KE_OWNER);
	CHECK_EQ(local_map_host(0x3f000000UL), -KE_OWNER);
	CHECK_EQ(npt_lookup(HOSTVISOR, 0x09020UL).level, 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, 0x0a000UL).level, 0);
	CHECK_EQ(local_map_host(0x080a1000UL), 0);
	/* R3 */
	CHECK_EQ(local_map_host(KVM_ADDR_SPACE), -KE_RANGE);
	CHECK_EQ(local_map_host(~0UL), -KE_RANGE);
	/* A VM page: only while shared, and never an SMMU-assigned one (D12). */
	set_page(HPFN + 1, VM, 0, 7);
	CHECK_EQ(local_map_host((HPFN + 1) << PAGE_SHIFT), -KE_OWNER);
	set_page(HPFN + 1, VM, INVALID, 7);
	CHECK_EQ(local_map_host((HPFN + 1) << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN + 1).level, 0);
	set_page(HPFN + 1, VM, 1, 7);
	CHECK_EQ(local_map_host((HPFN + 1) << PAGE_SHIFT), 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN + 1).pte, ((HPFN + 1) << PAGE_SHIFT) | PAGE_S2_KERNEL);
	done();
}

/* KCore's further ranges (the Linux home's hyp text, bss, stacks...) are
 * COREVISOR's from boot: the host cannot map a page of them, and the pages
 * around them stay the host's. */
static void test_map_host_core_more(void)
{
	static const struct phys_range more[] = {
		{ (HPFN + 8) << PAGE_SHIFT, 2 * PAGE_SIZE },
		{ (HPFN + 9) << PAGE_SHIFT, 2 * PAGE_SIZE }, /* overlapping is allowed */
		{ (HPFN + 20) << PAGE_SHIFT, PAGE_SIZE },
	};

	fake_core_more = more;
	fake_core_more_num = 3;
	reset();
	fake_core_more = NULL;
	fake_core_more_num = 0;
	for (u64 pfn = HPFN + 8; pfn < HPFN + 11; pfn++) {
		CHECK_EQ(s2page_get(pfn).owner, COREVISOR);
		CHECK_EQ(local_map_host(pfn << PAGE_SHIFT), -KE_OWNER);
	}
	CHECK_EQ(local_map_host((HPFN + 20) << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN + 20).level, 0);
	CHECK_EQ(local_map_host((HPFN + 7) << PAGE_SHIFT), 0);
	CHECK_EQ(local_map_host((HPFN + 11) << PAGE_SHIFT), 0);
	CHECK_EQ(local_map_host((HPFN + 19) << PAGE_SHIFT), 0);
	CHECK_EQ(s2page_get(HPFN + 21).owner, HOSTVISOR);
	done();
	/* the next reset has none */
	reset();
	CHECK_EQ(s2page_get(HPFN + 8).owner, HOSTVISOR);
	done();
}

/* The host pool runs out: -KE_NOMEM, nothing mapped. */
static void test_map_host_nomem(void)
{
	struct npt before;
	u64 i;
	long ret = 0;

	reset();
	/* One device page per 2 MB below RAM uses one pte table each. */
	for (i = 0; i < 64 && ret == 0; i++)
		ret = local_map_host(0x1000 + i * PMD_SIZE);
	CHECK_EQ(ret, -KE_NOMEM);
	CHECK_EQ(i - 1, KCORE_POOL_HOST_PMD);
	CHECK_EQ(npt_lookup(HOSTVISOR, (0x1000 + (i - 1) * PMD_SIZE) >> PAGE_SHIFT).level, 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, (0x1000 + (i - 2) * PMD_SIZE) >> PAGE_SHIFT).level, 3);
	before = kc.npt[HOSTVISOR];
	CHECK_EQ(local_map_host(0x1000 + (i - 1) * PMD_SIZE), -KE_NOMEM);
	CHECK_EQ(kc.npt[HOSTVISOR].pmd_next, before.pmd_next);
	CHECK_EQ(kc.npt[HOSTVISOR].pud_next, before.pud_next);
	done();
}

/* ---- assign ----------------------------------------------------------- */

static void test_assign(void)
{
	reset();
	/* A host page, mapped by the host: unmapped first, then the VM's. */
	CHECK_EQ(local_map_host(HPFN << PAGE_SHIFT), 0);
	fake_events_clear();
	CHECK_EQ(local_assign_pfn_to_vm_check(VM, 0x42, HPFN), 0);
	CHECK_EQ(fake_events_count(), 0);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x42, HPFN), 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN).pte, 0);
	CHECK(has_event(FAKE_TLBI_S2_IPA, HOSTVISOR, HPFN << PAGE_SHIFT));
	CHECK_EQ(s2page_get(HPFN).owner, VM);
	CHECK_EQ(s2page_get(HPFN).count, 0);
	CHECK_EQ(s2page_get(HPFN).gfn, 0x42);
	/* Again at the same gfn: fine; elsewhere or by another VM: refused. */
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x42, HPFN), 0);
	CHECK_EQ(local_assign_pfn_to_vm_check(VM, 0x43, HPFN), -KE_OWNER);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x43, HPFN), -KE_OWNER);
	CHECK_EQ(local_assign_pfn_to_vm(VM2, 0x42, HPFN), -KE_OWNER);
	CHECK_EQ(s2page_get(HPFN).gfn, 0x42);
	/* A host page in use by a device (count > 0): busy. */
	set_page(HPFN + 1, HOSTVISOR, 1, HPFN + 1);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x50, HPFN + 1), -KE_BUSY);
	CHECK_EQ(s2page_get(HPFN + 1).owner, HOSTVISOR);
	/* KCore's pages, non-RAM: refused. */
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x50, kc.pool_base >> PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x50, MMIO_PA >> PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x50, 1UL << 40), -KE_OWNER);
	CHECK_EQ(local_assign_pfn_to_vm(HOSTVISOR, 0x50, HPFN + 2), -KE_RANGE);
	CHECK_EQ(local_assign_pfn_to_vm(COREVISOR, 0x50, HPFN + 2), -KE_RANGE);
	/* D11: an SMMU-assigned page (count INVALID, gfn recorded) gets
	 * count 0; one with gfn INVALID64 takes the gfn. */
	set_page(HPFN + 3, VM, INVALID, 0x60);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x60, HPFN + 3), 0);
	CHECK_EQ(s2page_get(HPFN + 3).count, 0);
	CHECK_EQ(s2page_get(HPFN + 3).gfn, 0x60);
	set_page(HPFN + 4, VM, 3, INVALID64);
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x61, HPFN + 4), 0);
	CHECK_EQ(s2page_get(HPFN + 4).count, 3);
	CHECK_EQ(s2page_get(HPFN + 4).gfn, 0x61);
	done();
}

/* ---- clear ------------------------------------------------------------ */

static void test_clear_vm_page(void)
{
	pfn_t pfn = HPFN + 9;

	reset();
	CHECK_EQ(local_assign_pfn_to_vm(VM, 0x99, pfn), 0);
	ram64(pfn)[0] = 0x1234;
	ram64(pfn)[511] = 0x5678;
	/* R3 */
	CHECK_EQ(local_clear_vm_page(HOSTVISOR, pfn), -KE_RANGE);
	CHECK_EQ(local_clear_vm_page(COREVISOR, pfn), -KE_RANGE);
	CHECK_EQ(local_clear_vm_page(VM, 1UL << 28), -KE_RANGE);
	/* D16: the VM must be off, with no vCPU running and no device. */
	CHECK_EQ(local_clear_vm_page(VM, pfn), -KE_STATE);
	kc.vminfo[VM].state = VERIFIED;
	CHECK_EQ(local_clear_vm_page(VM, pfn), -KE_STATE);
	kc.vminfo[VM].state = POWEROFF;
	kc.vminfo[VM].vcpu_state[3] = ACTIVE;
	CHECK_EQ(local_clear_vm_page(VM, pfn), -KE_BUSY);
	kc.vminfo[VM].vcpu_state[3] = READY;
	kc.smmu_vmid[EL2_SMMU_CFG_SIZE - 1] = VM;
	CHECK_EQ(local_clear_vm_page(VM, pfn), -KE_BUSY);
	kc.smmu_vmid[EL2_SMMU_CFG_SIZE - 1] = INVALID;
	/* Not the VM's page (R2). */
	CHECK_EQ(local_clear_vm_page(VM, pfn + 1), -KE_OWNER);
	CHECK_EQ(s2page_get(pfn).owner, VM);
	CHECK_EQ(ram64(pfn)[0], 0x1234);
	/* Shared and mapped by the host: unmapped, owned by the host, zero. */
	set_page(pfn, VM, 2, 0x99);
	CHECK_EQ(local_map_host(pfn << PAGE_SHIFT), 0);
	fake_events_clear();
	CHECK_EQ(local_clear_vm_page(VM, pfn), 0);
	CHECK_EQ(s2page_get(pfn).owner, HOSTVISOR);
	CHECK_EQ(s2page_get(pfn).count, 0);
	CHECK_EQ(s2page_get(pfn).gfn, pfn + SMMU_HOST_OFFSET);
	CHECK_EQ(npt_lookup(HOSTVISOR, pfn).pte, 0);
	CHECK(has_event(FAKE_TLBI_S2_IPA, HOSTVISOR, pfn << PAGE_SHIFT));
	CHECK(has_event(FAKE_DCACHE_CLEAN, 0, pfn << PAGE_SHIFT));
	CHECK(page_is_zero(pfn << PAGE_SHIFT));
	/* Now the host's: the VM cannot clear it again. */
	CHECK_EQ(local_clear_vm_page(VM, pfn), -KE_OWNER);
	done();
}

/* ---- prot_and_map ----------------------------------------------------- */

static void test_prot_and_map_page(void)
{
	u64 addr = 0x12345000UL;
	u64 host_bits = PAGE_S2_DEVICE | PTE_XN | (1UL << 55);
	struct npt before;
	struct npt_entry e;

	reset();
	CHECK_EQ(local_map_host(HPFN << PAGE_SHIFT), 0);
	/* The VM's mapping is normal RW memory whatever bits the host sent. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, (HPFN << PAGE_SHIFT) | host_bits, 3), 0);
	e = npt_lookup(VM, addr >> PAGE_SHIFT);
	CHECK_EQ(e.level, 3);
	CHECK_EQ(e.pfn, HPFN);
	CHECK_EQ(e.pte, (HPFN << PAGE_SHIFT) | PAGE_S2_KERNEL);
	CHECK_EQ(s2page_get(HPFN).owner, VM);
	CHECK_EQ(s2page_get(HPFN).gfn, addr >> PAGE_SHIFT);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN).pte, 0);
	/* D24 */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, HPFN << PAGE_SHIFT, 1), -KE_RANGE);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, HPFN << PAGE_SHIFT, 4), -KE_RANGE);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, KVM_ADDR_SPACE, HPFN << PAGE_SHIFT, 3), -KE_RANGE);
	CHECK_EQ(prot_and_map_vm_s2pt(COREVISOR, addr, HPFN << PAGE_SHIFT, 3), -KE_RANGE);
	/* D7: a refused assign maps nothing (the page is VM's, other gfn). */
	before = kc.npt[VM];
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x80000000UL, HPFN << PAGE_SHIFT, 3), -KE_OWNER);
	CHECK_EQ(npt_lookup(VM, 0x80000000UL >> PAGE_SHIFT).level, 0);
	CHECK_EQ(kc.npt[VM].pgd_next, before.pgd_next);
	CHECK_EQ(kc.npt[VM].pud_next, before.pud_next);
	CHECK_EQ(kc.npt[VM].pmd_next, before.pmd_next);
	/* KCore's memory cannot be mapped into a VM. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr + PAGE_SIZE, kc.pool_base, 3), -KE_OWNER);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr + PAGE_SIZE, FAKE_WITHHELD_MMIO, 3), -KE_OWNER);
	/* A refused map assigns nothing: a page inside a block. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x40000000UL, BPFN << PAGE_SHIFT, 2), 0);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x40003000UL, (HPFN + 1) << PAGE_SHIFT, 3), -KE_BLOCK);
	CHECK_EQ(s2page_get(HPFN + 1).owner, HOSTVISOR);
	done();
}

/* Pool exhausted: the assign does not happen either. */
static void test_prot_and_map_nomem(void)
{
	u32 i;

	reset();
	for (i = 0; i < KCORE_POOL_VM_PMD; i++)
		CHECK_EQ(prot_and_map_vm_s2pt(VM, i * PMD_SIZE, (HPFN + i) << PAGE_SHIFT, 3), 0);
	CHECK_EQ(local_map_host((HPFN + i) << PAGE_SHIFT), 0);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, i * PMD_SIZE, (HPFN + i) << PAGE_SHIFT, 3), -KE_NOMEM);
	CHECK_EQ(s2page_get(HPFN + i).owner, HOSTVISOR);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN + i).level, 3);
	done();
}

static void test_prot_and_map_block(void)
{
	u64 addr = 0x40000000UL + 0x2345UL; /* any address in the block */
	gfn_t gfn0 = 0x40000000UL >> PAGE_SHIFT;
	struct npt before;
	struct npt_entry e;

	reset();
	/* D8: the block's pfn must be 2 MB aligned. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, (BPFN + 1) << PAGE_SHIFT, 2), -KE_ALIGN);
	/* One page of the block is busy: nothing is assigned (R1). */
	CHECK_EQ(local_map_host((BPFN + 7) << PAGE_SHIFT), 0);
	set_page(BPFN + 300, HOSTVISOR, 1, BPFN + 300);
	before = kc.npt[VM];
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, BPFN << PAGE_SHIFT, 2), -KE_BUSY);
	for (u32 i = 0; i < 512; i++)
		CHECK_EQ(s2page_get(BPFN + i).owner, HOSTVISOR);
	CHECK_EQ(npt_lookup(HOSTVISOR, BPFN + 7).level, 3);
	CHECK_EQ(npt_lookup(VM, gfn0).level, 0);
	CHECK_EQ(kc.npt[VM].pud_next, before.pud_next);
	/* One page is another VM's. */
	set_page(BPFN + 300, VM2, 0, 5);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, BPFN << PAGE_SHIFT, 2), -KE_OWNER);
	CHECK_EQ(s2page_get(BPFN).owner, HOSTVISOR);
	/* All free: every page is the VM's at its own gfn (D6). */
	set_page(BPFN + 300, HOSTVISOR, 0, BPFN + 300);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, (BPFN << PAGE_SHIFT) | PTE_TABLE, 2), 0);
	for (u32 i = 0; i < 512; i++) {
		CHECK_EQ(s2page_get(BPFN + i).owner, VM);
		CHECK_EQ(s2page_get(BPFN + i).gfn, gfn0 + i);
	}
	CHECK_EQ(npt_lookup(HOSTVISOR, BPFN + 7).pte, 0);
	e = npt_lookup(VM, gfn0 + 5);
	CHECK_EQ(e.level, 2);
	CHECK_EQ(e.pfn, BPFN + 5);
	CHECK_EQ(e.pte, ((BPFN << PAGE_SHIFT) | PAGE_S2_KERNEL) & ~PTE_TABLE);
	/* The same block again is accepted (the pages are the VM's there). */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, addr, BPFN << PAGE_SHIFT, 2), 0);
	/* No pmd table left for a block in a third GB... */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x80000000UL, (BPFN + 512) << PAGE_SHIFT, 2), 0);
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0xC0000000UL, (BPFN + 1024) << PAGE_SHIFT, 2),
		 -KE_NOMEM);
	/* ...so none of its pages was assigned. */
	for (u32 i = 0; i < 512; i++)
		CHECK_EQ(s2page_get(BPFN + 1024 + i).owner, HOSTVISOR);
	done();
}

/* ---- MAP_IO ----------------------------------------------------------- */

static void test_map_io(void)
{
	u64 gpa = 0x09001000UL;

	reset();
	CHECK_EQ(local_map_io(VM, gpa, MMIO_PA + 0x10), 0);
	CHECK_EQ(npt_lookup(VM, gpa >> PAGE_SHIFT).pte, MMIO_PA | PAGE_S2_DEVICE | S2_RDWR);
	/* R3, D10 */
	CHECK_EQ(local_map_io(HOSTVISOR, gpa, MMIO_PA), -KE_RANGE);
	CHECK_EQ(local_map_io(VM, KVM_ADDR_SPACE, MMIO_PA), -KE_RANGE);
	CHECK_EQ(local_map_io(VM, gpa, KVM_ADDR_SPACE + MMIO_PA), -KE_RANGE);
	/* RAM and KCore's MMIO are not I/O a VM may map (R2). */
	CHECK_EQ(local_map_io(VM, gpa + PAGE_SIZE, HPFN << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_map_io(VM, gpa + PAGE_SIZE, FAKE_WITHHELD_MMIO), -KE_OWNER);
	CHECK_EQ(local_map_io(VM, gpa + PAGE_SIZE, kc.pool_base), -KE_OWNER);
	/* D44: nor a device the host may not map itself (a virtio-mmio DMA master). */
	CHECK_EQ(local_map_io(VM, gpa + PAGE_SIZE, 0x0a000000UL), -KE_OWNER);
	CHECK_EQ(npt_lookup(VM, (gpa >> PAGE_SHIFT) + 1).level, 0);
	/* Only while READY. */
	kc.vminfo[VM].state = VERIFIED;
	CHECK_EQ(local_map_io(VM, gpa + PAGE_SIZE, MMIO_PA), -KE_STATE);
	kc.vminfo[VM].state = READY;
	/* Inside a block: -KE_BLOCK. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x40000000UL, BPFN << PAGE_SHIFT, 2), 0);
	CHECK_EQ(local_map_io(VM, 0x40001000UL, MMIO_PA), -KE_BLOCK);
	done();
}

/* ---- grant / revoke --------------------------------------------------- */

static void test_grant_revoke_page(void)
{
	pfn_t pfn = HPFN + 20;

	reset();
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x5000, pfn << PAGE_SHIFT, 3), 0);
	local_grant_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, 1);
	CHECK_EQ(local_map_host(pfn << PAGE_SHIFT), 0);
	local_grant_vm_page(VM2, pfn); /* not VM2's */
	CHECK_EQ(s2page_get(pfn).count, 1);
	/* Capped at MAX_SHARE_COUNT. */
	for (u32 i = 0; i < MAX_SHARE_COUNT + 10; i++)
		local_grant_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, MAX_SHARE_COUNT);
	for (u32 i = 0; i < MAX_SHARE_COUNT - 1; i++)
		local_revoke_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, 1);
	CHECK_EQ(npt_lookup(HOSTVISOR, pfn).level, 3);
	/* The last revoke takes it back from the host. */
	fake_events_clear();
	local_revoke_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, pfn).pte, 0);
	CHECK(has_event(FAKE_TLBI_S2_IPA, HOSTVISOR, pfn << PAGE_SHIFT));
	CHECK_EQ(local_map_host(pfn << PAGE_SHIFT), -KE_OWNER);
	local_revoke_vm_page(VM, pfn); /* count 0: nothing */
	CHECK_EQ(s2page_get(pfn).count, 0);
	CHECK_EQ(s2page_get(pfn).owner, VM);
	/* D13: a count of INVALID is neither granted nor revoked. */
	set_page(pfn, VM, INVALID, 5);
	local_revoke_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, INVALID);
	local_grant_vm_page(VM, pfn);
	CHECK_EQ(s2page_get(pfn).count, INVALID);
	/* Not RAM, or KCore's: nothing (and no halt). */
	local_grant_vm_page(VM, MMIO_PA >> PAGE_SHIFT);
	local_grant_vm_page(COREVISOR, FAKE_WITHHELD_MMIO >> PAGE_SHIFT);
	local_revoke_vm_page(VM, kc.pool_base >> PAGE_SHIFT);
	CHECK_EQ(s2page_get(kc.pool_base >> PAGE_SHIFT).count, 0);
	done();
}

static void test_grant_revoke_range(void)
{
	u64 base = 0x100000UL; /* gfn 0x100.. */
	gfn_t bgfn = 0x40000000UL >> PAGE_SHIFT;

	reset();
	for (u32 i = 0; i < 4; i++)
		CHECK_EQ(prot_and_map_vm_s2pt(VM, base + i * PAGE_SIZE, (HPFN + i) << PAGE_SHIFT, 3), 0);
	/* (size + 4095) / 4096 pages from addr's page: 3 pages here. */
	CHECK_EQ(grant_stage2_range(VM, base + PAGE_SIZE + 0x10, 2 * PAGE_SIZE + 1), 0);
	CHECK_EQ(s2page_get(HPFN).count, 0);
	CHECK_EQ(s2page_get(HPFN + 1).count, 1);
	CHECK_EQ(s2page_get(HPFN + 2).count, 1);
	CHECK_EQ(s2page_get(HPFN + 3).count, 1);
	CHECK_EQ(grant_stage2_range(VM, base, 0), 0);
	CHECK_EQ(s2page_get(HPFN).count, 0);
	/* D25 */
	CHECK_EQ(grant_stage2_range(VM, KVM_ADDR_SPACE, 1), -KE_RANGE);
	CHECK_EQ(grant_stage2_range(VM, base, KVM_ADDR_SPACE - base + 1), -KE_RANGE);
	CHECK_EQ(revoke_stage2_range(VM, base, ~0UL), -KE_RANGE);
	CHECK_EQ(grant_stage2_range(HOSTVISOR, base, 1), -KE_RANGE);
	CHECK_EQ(s2page_get(HPFN + 1).count, 1);
	/* D53: more than KCORE_SHARE_MAX_PAGES pages (2 MB) is refused, even
	 * where little is mapped: nothing changes. */
	CHECK_EQ(grant_stage2_range(VM, 0, KVM_ADDR_SPACE), -KE_RANGE);
	CHECK_EQ(revoke_stage2_range(VM, 0, KVM_ADDR_SPACE), -KE_RANGE);
	CHECK_EQ(grant_stage2_range(VM, base, KCORE_SHARE_MAX_PAGES * PAGE_SIZE + 1), -KE_RANGE);
	CHECK_EQ(s2page_get(HPFN).count, 0);
	CHECK_EQ(s2page_get(HPFN + 1).count, 1);
	/* 2 MB exactly: only mapped pages count, once each. */
	CHECK_EQ(grant_stage2_range(VM, base, KCORE_SHARE_MAX_PAGES * PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(HPFN).count, 1);
	CHECK_EQ(s2page_get(HPFN + 1).count, 2);
	CHECK_EQ(revoke_stage2_range(VM, base - PAGE_SIZE, KCORE_SHARE_MAX_PAGES * PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(HPFN).count, 0);
	CHECK_EQ(s2page_get(HPFN + 1).count, 1);
	CHECK_EQ(local_map_host((HPFN + 1) << PAGE_SHIFT), 0);
	CHECK_EQ(revoke_stage2_range(VM, base + PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(HPFN + 1).count, 0);
	CHECK_EQ(npt_lookup(HOSTVISOR, HPFN + 1).pte, 0);
	/* D9: inside a block, the page of each gfn. */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, bgfn << PAGE_SHIFT, BPFN << PAGE_SHIFT, 2), 0);
	CHECK_EQ(grant_stage2_range(VM, (bgfn + 10) << PAGE_SHIFT, 2 * PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(BPFN).count, 0);
	CHECK_EQ(s2page_get(BPFN + 10).count, 1);
	CHECK_EQ(s2page_get(BPFN + 11).count, 1);
	CHECK_EQ(s2page_get(BPFN + 12).count, 0);
	CHECK_EQ(revoke_stage2_range(VM, (bgfn + 11) << PAGE_SHIFT, PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(BPFN + 11).count, 0);
	CHECK_EQ(s2page_get(BPFN + 10).count, 1);
	/* Device pages (MAP_IO) are not the VM's: nothing happens. */
	CHECK_EQ(local_map_io(VM, 0x9000000UL, MMIO_PA), 0);
	CHECK_EQ(grant_stage2_range(VM, 0x9000000UL, PAGE_SIZE), 0);
	done();
}

/* ---- encrypted export and import of pages (D41) ------------------------ */

/* A page exported by VM into hpfn (ciphertext) and hpfn + 1 (header). */
static void export_page(pfn_t vpfn, pfn_t hpfn)
{
	CHECK_EQ(local_save_encrypt_buf(VM, vpfn << PAGE_SHIFT, hpfn << PAGE_SHIFT), 0);
}

static void test_crypt_bufs(void)
{
	pfn_t vpfn = HPFN + 30, hpfn = HPFN + 31, other = HPFN + 40;
	struct kcore_blob_header *h = (struct kcore_blob_header *)ram64(hpfn + 1);
	struct s2page before;
	u8 plain[PAGE_SIZE], blob[2 * PAGE_SIZE];

	reset();
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x7000, vpfn << PAGE_SHIFT, 3), 0);
	for (u32 i = 0; i < PAGE_SIZE / 8; i++)
		ram64(vpfn)[i] = 0x1111111111111111UL * (i % 15 + 1);
	memcpy(plain, ram64(vpfn), PAGE_SIZE);
	CHECK_EQ(local_save_encrypt_buf(HOSTVISOR, vpfn << PAGE_SHIFT, hpfn << PAGE_SHIFT), -KE_RANGE);
	CHECK_EQ(local_save_encrypt_buf(VM, KVM_ADDR_SPACE, hpfn << PAGE_SHIFT), -KE_RANGE);
	CHECK_EQ(local_save_encrypt_buf(VM, vpfn << PAGE_SHIFT, KVM_ADDR_SPACE), -KE_RANGE);
	CHECK_EQ(local_save_encrypt_buf(VM, hpfn << PAGE_SHIFT, hpfn << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_save_encrypt_buf(VM, vpfn << PAGE_SHIFT, vpfn << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_save_encrypt_buf(VM2, vpfn << PAGE_SHIFT, hpfn << PAGE_SHIFT), -KE_OWNER);
	/* the header page (outbuf + 4096) must be the host's too */
	CHECK_EQ(local_save_encrypt_buf(VM, vpfn << PAGE_SHIFT, (vpfn - 1) << PAGE_SHIFT), -KE_OWNER);
	export_page(vpfn, hpfn);
	CHECK_EQ(s2page_get(hpfn).owner, HOSTVISOR);
	CHECK(memcmp(ram64(hpfn), plain, PAGE_SIZE) != 0); /* ciphertext */
	CHECK_EQ(h->magic, KCORE_BLOB_MAGIC);
	CHECK_EQ(h->kind, KCORE_BLOB_PAGE);
	CHECK_EQ(h->vmid, VM);
	CHECK_EQ(h->index, 7); /* the gfn */
	CHECK_EQ(h->nonce[0], 0);
	CHECK_EQ(h->length, PAGE_SIZE);
	CHECK_EQ(kc.vminfo[VM].export_seq, 1);
	memcpy(blob, ram64(hpfn), PAGE_SIZE);
	memcpy(blob + PAGE_SIZE, ram64(hpfn + 1), PAGE_SIZE);
	/* a second export: a new nonce, so a different ciphertext */
	export_page(vpfn, other);
	CHECK_EQ(((struct kcore_blob_header *)ram64(other + 1))->nonce[0], 1);
	CHECK(memcmp(ram64(other), blob, PAGE_SIZE) != 0);

	/* Load: the state and owner rules first, nothing changed */
	CHECK_EQ(local_map_host(hpfn << PAGE_SHIFT), 0);
	CHECK_EQ(local_load_decrypt_buf(VM, vpfn << PAGE_SHIFT), -KE_OWNER);
	CHECK_EQ(local_load_decrypt_buf(VM, KVM_ADDR_SPACE), -KE_RANGE);
	set_page(hpfn, HOSTVISOR, 1, hpfn);
	CHECK_EQ(local_load_decrypt_buf(VM, hpfn << PAGE_SHIFT), -KE_BUSY);
	set_page(hpfn, HOSTVISOR, 0, hpfn);
	kc.vminfo[VM].state = VERIFIED;
	CHECK_EQ(local_load_decrypt_buf(VM, hpfn << PAGE_SHIFT), -KE_STATE);
	kc.vminfo[VM].state = READY;
	/* tampered: one bit of the ciphertext, of the header (AD), of the tag;
	 * replayed into another VM: each -KE_AUTH, nothing changed */
	before = s2page_get(hpfn);
	for (u32 t = 0; t < 6; t++) {
		memcpy(ram64(hpfn), blob, PAGE_SIZE);
		memcpy(ram64(hpfn + 1), blob + PAGE_SIZE, PAGE_SIZE);
		if (t == 0)
			((u8 *)ram64(hpfn))[100] ^= 4;
		else if (t == 1)
			h->index ^= 1; /* another slot (gfn) */
		else if (t == 2)
			h->tag[15] ^= 0x80;
		else if (t == 3)
			h->nonce[0] ^= 1;
		else if (t == 4)
			h->vmid = VM2; /* made for another VM */
		if (t == 5) {
			/* into another VM (the hypercall: tests/unit/test_vm.c
			 * does it for vCPUs; here the header check alone) */
			struct kcore_blob_header copy;

			CHECK_EQ(blob_header_check(hpfn + 1, KCORE_BLOB_PAGE, VM2, INVALID64, &copy), -KE_AUTH);
			continue;
		}
		CHECK_EQ(local_load_decrypt_buf(VM, hpfn << PAGE_SHIFT), -KE_AUTH);
		CHECK(page_same(s2page_get(hpfn), before));
		CHECK_EQ(npt_lookup(HOSTVISOR, hpfn).pte, (hpfn << PAGE_SHIFT) | PAGE_S2_KERNEL);
	}
	CHECK(memcmp(ram64(hpfn), blob, PAGE_SIZE) == 0); /* untouched */
	/* the genuine blob: the page is the VM's, at the gfn it was exported
	 * from, holding the plaintext; the host's mapping is gone */
	fake_events_clear();
	CHECK_EQ(local_load_decrypt_buf(VM, hpfn << PAGE_SHIFT), 0);
	/* D50: the ciphertext read is the one in memory, no host line left */
	CHECK(has_event(FAKE_DCACHE_CLEAN_INVAL, PAGE_SIZE, hpfn << PAGE_SHIFT));
	CHECK_EQ(s2page_get(hpfn).owner, VM);
	CHECK_EQ(s2page_get(hpfn).count, 0);
	CHECK_EQ(s2page_get(hpfn).gfn, 7);
	CHECK_EQ(npt_lookup(HOSTVISOR, hpfn).pte, 0);
	CHECK(memcmp(ram64(hpfn), plain, PAGE_SIZE) == 0);
	done();
}

/* The index of the first event of `kind` with a and addr; -1 if none. */
static long event_index(u32 kind, u32 a, u64 addr)
{
	for (u32 i = 0; i < fake_events_count(); i++)
		if (fake_events()[i].kind == kind && fake_events()[i].a == a &&
		    fake_events()[i].addr == addr)
			return (long)i;
	return -1;
}

static long event_index_any(u32 kind)
{
	for (u32 i = 0; i < fake_events_count(); i++)
		if (fake_events()[i].kind == kind)
			return (long)i;
	return -1;
}

/* D50: a page the VM receives from the host is cleaned and invalidated to
 * PoC once the host has lost it, and the instruction caches are
 * invalidated once it is mapped (the VM may execute it). A page already
 * the VM's is not cleaned again, but the I-cache is still invalidated. */
static void test_assign_caches(void)
{
	long take, clean, icache;

	reset();
	CHECK_EQ(local_map_host(HPFN << PAGE_SHIFT), 0); /* the host has used it */
	fake_events_clear();
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x5000, HPFN << PAGE_SHIFT, 3), 0);
	take = event_index(FAKE_TLBI_S2_IPA, HOSTVISOR, HPFN << PAGE_SHIFT);
	clean = event_index(FAKE_DCACHE_CLEAN_INVAL, PAGE_SIZE, HPFN << PAGE_SHIFT);
	icache = event_index_any(FAKE_ICACHE_INVAL);
	CHECK(take >= 0 && clean > take && icache > clean);
	CHECK_EQ(count_events(FAKE_DCACHE_CLEAN_INVAL), 1);
	/* a refused request does no maintenance (nothing changed) */
	fake_events_clear();
	set_page(HPFN + 1, HOSTVISOR, 1, HPFN + 1); /* a device maps it */
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x6000, (HPFN + 1) << PAGE_SHIFT, 3), -KE_BUSY);
	CHECK_EQ(fake_events_count(), 0);
	/* a block: every page that leaves the host, after its unmap */
	fake_events_clear();
	CHECK_EQ(prot_and_map_vm_s2pt(VM, 0x40000000UL, BPFN << PAGE_SHIFT, 2), 0);
	CHECK_EQ(count_events(FAKE_DCACHE_CLEAN_INVAL), PMD_PAGE_NUM);
	for (u64 i = 0; i < PMD_PAGE_NUM; i++)
		CHECK(event_index(FAKE_DCACHE_CLEAN_INVAL, PAGE_SIZE, (BPFN + i) << PAGE_SHIFT) >
		      event_index_any(FAKE_TLBI_S2_VMID));
	CHECK(event_index_any(FAKE_ICACHE_INVAL) >
	      event_index(FAKE_DCACHE_CLEAN_INVAL, PAGE_SIZE, (BPFN + PMD_PAGE_NUM - 1) << PAGE_SHIFT));
	done();
}

UT_MAIN(UT(test_assign_caches), UT(test_map_host), UT(test_map_host_core_more), UT(test_map_host_nomem), UT(test_assign), UT(test_clear_vm_page),
	UT(test_prot_and_map_page), UT(test_prot_and_map_nomem), UT(test_prot_and_map_block),
	UT(test_map_io), UT(test_grant_revoke_page), UT(test_grant_revoke_range),
	UT(test_crypt_bufs))
