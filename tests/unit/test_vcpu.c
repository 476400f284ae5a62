/* Unit tests of kcore/vcpu.c (spec vcpu_run_process) through
 * kcore_vcpu_run, over the fake machine: the VCPU_RUN line of the
 * "Operation contract" of docs/deviations.md, with D1, D2, D5, D20, D21,
 * D22, D24, D69 and the check-then-commit rule R1 (a refused run leaves the vCPU
 * READY and its shadow context untouched). */
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#define IMG_PAGES 2 /* the image: IMG_PFN, IMG_PFN + 1 */
#define IMG_SIZE (IMG_PAGES * PAGE_SIZE)
#define JUNK 0xDEADBEEFCAFEF00DUL

/* A vCPU that ran once and is READY again, as after an exit: EC and dirty
 * as given, pc/pstate/VBAR set. */
static void vcpu_make_exited(vmid_t vm, u32 v, u64 ec, u64 dirty)
{
	struct kcore_run_input in = first_input();

	CHECK_EQ(kcore_vcpu_run(vm, v, &in), 0);
	kc.vminfo[vm].vcpu_state[v] = READY;
	ctxt(vm, v)->r[EC] = ec;
	ctxt(vm, v)->r[DIRTY] = dirty;
	ctxt(vm, v)->r[PC] = 0x40081000;
	ctxt(vm, v)->r[PSTATE] = EL1H_DAIF;
	ctxt(vm, v)->r[VBAR_EL1] = 0x40090000;
	ctxt(vm, v)->r[FAR_EL2] = 0x1234;
}

/* A fresh machine with one verified VM of nvcpu vCPUs, whose vCPU 0 ran
 * once and exited as vcpu_make_exited says. */
static vmid_t vm_exited(u32 nvcpu, u64 ec, u64 dirty)
{
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(nvcpu, IMG_PAGES, true);
	vcpu_make_exited(vm, 0, ec, dirty);
	return vm;
}

/* Check that a refused run changed nothing. */
static void check_refused(vmid_t vm, u32 v, const struct kcore_run_input *in, long code)
{
	struct shadow_ctxt before = *ctxt(vm, v);
	struct vm_info info = kc.vminfo[vm];

	CHECK_EQ(kcore_vcpu_run(vm, v, in), code);
	CHECK(memcmp(&before, ctxt(vm, v), sizeof(before)) == 0);
	CHECK(memcmp(&info, &kc.vminfo[vm], sizeof(info)) == 0);
	CHECK(no_lock_held());
}

static void test_run_refusals(void)
{
	struct kcore_run_input in = first_input();
	vmid_t vm, unverified;

	fake_machine_reset();
	unverified = vm_make(1, IMG_PAGES, false);
	vm = vm_make(2, IMG_PAGES, true);
	CHECK_EQ(kcore_vcpu_run(0, 0, &in), -KE_RANGE);
	CHECK_EQ(kcore_vcpu_run(COREVISOR, 0, &in), -KE_RANGE);
	CHECK_EQ(kcore_vcpu_run(vm, KCORE_MAX_VCPUS, &in), -KE_RANGE);
	check_refused(unverified, 0, &in, -KE_STATE); /* VM READY */
	check_refused(vm, 2, &in, -KE_STATE);         /* vCPU UNUSED */
	CHECK_EQ(vcpu_state(vm, 0), READY);

	/* D22: an entry point outside the image: -KE_ENTRY, still READY */
	in.entry_pc = LOAD_IPA + IMG_SIZE;
	check_refused(vm, 0, &in, -KE_ENTRY);
	in.entry_pc = LOAD_IPA - 4;
	check_refused(vm, 0, &in, -KE_ENTRY);
	in.entry_pc = 0;
	check_refused(vm, 0, &in, -KE_ENTRY);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], INVALID64);

	/* D21: the entry pstate, checked after the entry point */
	in = first_input();
	in.entry_pstate = 0x9; /* EL2h */
	check_refused(vm, 0, &in, -KE_RANGE);
	in.entry_pstate = PSR_MODE_EL1h | (1UL << 4); /* AArch32 */
	check_refused(vm, 0, &in, -KE_RANGE);
	in.entry_pstate = 0x1; /* not a mode KCore enters */
	check_refused(vm, 0, &in, -KE_RANGE);
	in.entry_pstate = EL1H_DAIF | (1UL << 28); /* a flag bit */
	check_refused(vm, 0, &in, -KE_RANGE);
	in.entry_pc = 0;
	check_refused(vm, 0, &in, -KE_ENTRY); /* entry first */

	/* ACTIVE cannot be run again */
	in = first_input();
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	check_refused(vm, 0, &in, -KE_STATE);
}

static void test_first_run(void)
{
	struct kcore_run_input in = first_input();
	struct shadow_ctxt *c;
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(8, IMG_PAGES, true);
	c = ctxt(vm, 5);
	/* whatever was there before the first run */
	for (u32 i = 0; i < NR_CTXT_REGS; i++)
		if (i != DIRTY)
			c->r[i] = JUNK + i;
	in.entry_pc = LOAD_IPA + IMG_SIZE - 4; /* last word of the image */
	in.entry_pstate = PSR_MODE_EL0t;
	in.map_addr = LOAD_IPA; /* not looked at on a first run */
	in.map_level = 7;
	in.request = KCORE_RUN_INJECT;
	for (u32 i = X0; i <= X30; i++)
		in.regs[i] = JUNK + 0x100 + i;
	CHECK_EQ(kcore_vcpu_run(vm, 5, &in), 0);
	CHECK(no_lock_held());
	CHECK_EQ(vcpu_state(vm, 5), ACTIVE);
	/* D69: the boot registers x0..x3 are the host's, x4..x30 cleared */
	for (u32 i = X0; i <= X0 + 3; i++)
		CHECK_EQ(c->r[i], JUNK + 0x100 + i);
	for (u32 i = X0 + 4; i <= X30; i++)
		CHECK_EQ(c->r[i], 0);
	CHECK_EQ(c->r[PC], LOAD_IPA + IMG_SIZE - 4);
	CHECK_EQ(c->r[PSTATE], PSR_MODE_EL0t);
	CHECK_EQ(c->r[DIRTY], 0);
	for (u32 i = FP_Q0_LO; i <= FP_Q31_HI; i++)
		CHECK_EQ(c->r[i], 0);
	CHECK_EQ(c->r[FPSR], 0);
	CHECK_EQ(c->r[FPCR], 0);
	CHECK_EQ(c->r[MPIDR_EL1], 0x80000005UL);
	CHECK_EQ(c->r[ACTLR_EL1], FAKE_ACTLR);
	CHECK_EQ(c->r[SCTLR_EL1], SCTLR_EL1_RESET);
	for (u32 i = SYSREGS_START; i < MDCCINT_EL1; i++)
		if (i != MPIDR_EL1 && i != ACTLR_EL1 && i != SCTLR_EL1)
			CHECK_EQ(c->r[i], 0);
	/* ignored by the spec's setter, as are registers outside the list */
	CHECK_EQ(c->r[MDCCINT_EL1], JUNK + MDCCINT_EL1);
	CHECK_EQ(c->r[ELR_EL2], JUNK + ELR_EL2);
	/* no stage-2 mapping was made from the request: LOAD_IPA still maps
	 * the image page VERIFY_VM mapped (D40) */
	CHECK_EQ(npt_lookup(vm, LOAD_IPA >> PAGE_SHIFT).pfn, IMG_PFN);

	/* MPIDR of other vCPUs; EL1t entry */
	in = first_input();
	in.entry_pstate = PSR_MODE_EL1t | PSR_I_BIT;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[MPIDR_EL1], 0x80000000UL);
	CHECK_EQ(ctxt(vm, 0)->r[PSTATE], PSR_MODE_EL1t | PSR_I_BIT);
	CHECK_EQ(kcore_vcpu_run(vm, 7, &in), 0);
	CHECK_EQ(ctxt(vm, 7)->r[MPIDR_EL1], 0x80000007UL);
}

static void test_first_run_after_encrypted_load(void)
{
	struct kcore_run_input in = first_input();
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(1, IMG_PAGES, true);
	/* inc_exe is only set by a successful LOAD_ENCRYPTED_VCPU (issue 4);
	 * set by hand: the decrypted context is kept, only dirty := 0, and
	 * the entry point is not checked. */
	kc.vminfo[vm].boot.inc_exe = 1;
	ctxt(vm, 0)->r[X0] = JUNK; /* D69 does not apply: x0..x3 are the blob's */
	ctxt(vm, 0)->r[X0 + 4] = JUNK;
	ctxt(vm, 0)->r[PC] = 0x1234;
	in.entry_pc = 0;
	in.entry_pstate = 0x9;
	in.regs[0] = 0xBAD;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[X0], JUNK);
	CHECK_EQ(ctxt(vm, 0)->r[X0 + 4], JUNK);
	CHECK_EQ(ctxt(vm, 0)->r[PC], 0x1234);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], 0);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
}

/* The EL2 path (kcore_vcpu_run_fetch): the core asks for exactly the
 * registers the run takes, x0..x3 on a first run (D69), none after an
 * encrypted vCPU was loaded; a first run refused after the fetch changes
 * nothing. */
static u64 fetch_asked;

static long fetch_boot_regs(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in)
{
	*in = first_input();
	fetch_asked = regs;
	for (u32 i = X0; i <= X30; i++)
		in->regs[i] = (regs >> i) & 1 ? 0xB0070000UL + i : JUNK;
	if (vcpuid == 1)
		in->entry_pc = 0; /* outside the image: -KE_ENTRY */
	return 0;
}

static void test_first_run_fetch(void)
{
	struct shadow_ctxt before;
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(3, IMG_PAGES, true);
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 0, fetch_boot_regs), 0);
	CHECK_EQ(fetch_asked, VCPU_X0_X3);
	for (u32 i = X0; i <= X0 + 3; i++)
		CHECK_EQ(ctxt(vm, 0)->r[i], 0xB0070000UL + i);
	for (u32 i = X0 + 4; i <= X30; i++)
		CHECK_EQ(ctxt(vm, 0)->r[i], 0);
	before = *ctxt(vm, 1);
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 1, fetch_boot_regs), -KE_ENTRY);
	CHECK_EQ(fetch_asked, VCPU_X0_X3);
	CHECK(memcmp(&before, ctxt(vm, 1), sizeof(before)) == 0);
	CHECK_EQ(vcpu_state(vm, 1), READY);
	kc.vminfo[vm].boot.inc_exe = 1; /* as LOAD_ENCRYPTED_VCPU leaves it */
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 2, fetch_boot_regs), 0);
	CHECK_EQ(fetch_asked, 0);
	CHECK(no_lock_held());
}

static void test_dirty_sync(void)
{
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	vm = vm_exited(2, ARM_EXCEPTION_TRAP, (1UL << 1) | (1UL << 5) | (1UL << 30));
	c = ctxt(vm, 0);
	for (u32 i = X0; i <= X30; i++)
		c->r[i] = 0x100 + i;
	memset(&in, 0, sizeof(in));
	for (u32 i = X0; i <= X30; i++)
		in.regs[i] = 0x1000 + i;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	/* D5: each dirty register gets the host's value for that register */
	CHECK_EQ(c->r[1], 0x1001);
	CHECK_EQ(c->r[5], 0x1005);
	CHECK_EQ(c->r[30], 0x101e);
	for (u32 i = X0; i <= X30; i++)
		if (i != 1 && i != 5 && i != 30)
			CHECK_EQ(c->r[i], 0x100 + i);
	CHECK_EQ(c->r[PC], 0x40081000); /* no DIRTY_PC_FLAG: no advance */
	CHECK_EQ(c->r[DIRTY], 0);
	CHECK_EQ(c->r[FAR_EL2], 0);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);

	/* after an interrupt exit (EC not TRAP) nothing is taken */
	vcpu_make_exited(vm, 1, ARM_EXCEPTION_INTERRUPT, 1UL << 2);
	ctxt(vm, 1)->r[2] = 7;
	CHECK_EQ(kcore_vcpu_run(vm, 1, &in), 0);
	CHECK_EQ(ctxt(vm, 1)->r[2], 7);
}

static void test_pc_advance(void)
{
	struct kcore_run_input in;
	vmid_t vm;

	vm = vm_exited(1, ARM_EXCEPTION_TRAP, DIRTY_PC_FLAG);
	memset(&in, 0, sizeof(in));
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[PC], 0x40081004);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], 0);
}

/* D1, D2, D20: the host's inject request enters the guest's vector. */
static void check_inject(u64 old_pstate, u64 offset)
{
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	vm = vm_exited(1, ARM_EXCEPTION_TRAP, DIRTY_PC_FLAG | 1UL);
	c = ctxt(vm, 0);
	c->r[PSTATE] = old_pstate;
	memset(&in, 0, sizeof(in));
	in.request = KCORE_RUN_INJECT;
	in.regs[0] = 0x77;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(c->r[X0], 0x77); /* the sync still happens first */
	CHECK_EQ(c->r[ELR_EL1], 0x40081000);
	CHECK_EQ(c->r[SPSR_EL1], old_pstate);
	CHECK_EQ(c->r[SPSR_0], old_pstate);
	CHECK_EQ(c->r[ESR_EL1], ESR_EL1_INJECTED);
	CHECK_EQ(c->r[PSTATE], PSTATE_FAULT_BITS_64);
	CHECK_EQ(c->r[PC], 0x40090000 + offset); /* and no PC advance */
	CHECK_EQ(c->r[DIRTY], 0);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
}

static void test_inject(void)
{
	check_inject(EL1H_DAIF, 0x200);
	check_inject(PSR_MODE_EL1t, 0x000);
	check_inject(PSR_MODE_EL0t | PSR_F_BIT, 0x400);
	check_inject(0x9, 0x600);  /* any other state: lower EL, AArch32 (as KVM) */
	check_inject(0x10, 0x600); /* AArch32 user mode */
}

static void test_no_inject_without_request(void)
{
	struct kcore_run_input in;
	vmid_t vm;

	vm = vm_exited(1, ARM_EXCEPTION_TRAP, 0);
	memset(&in, 0, sizeof(in));
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[PC], 0x40081000);
	CHECK_EQ(ctxt(vm, 0)->r[ESR_EL1], 0);
	CHECK_EQ(ctxt(vm, 0)->r[PSTATE], EL1H_DAIF);
}

static void test_map_request(void)
{
	struct kcore_run_input in;
	struct s2page pg;
	struct npt_entry e;
	vmid_t vm;

	vm = vm_exited(1, ARM_EXCEPTION_TRAP, DIRTY_PC_FLAG);
	in = map_input(0x40200000, MAP_PFN * PAGE_SIZE | 0x3, 3);
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK(no_lock_held());
	e = npt_lookup_locked(vm, 0x40200000);
	CHECK_EQ(e.level, 3);
	CHECK_EQ(e.pfn, MAP_PFN);
	pg = s2page_get(MAP_PFN);
	CHECK_EQ(pg.owner, vm);
	CHECK_EQ(pg.gfn, 0x40200000 >> PAGE_SHIFT);
	CHECK_EQ(ctxt(vm, 0)->r[PC], 0x40081004);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
}

/* R1: a refused mapping request refuses the run, and nothing changed. */
static void test_map_request_refused(void)
{
	struct kcore_run_input in;
	vmid_t vm;
	u32 nev;

	vm = vm_exited(1, ARM_EXCEPTION_TRAP, DIRTY_PC_FLAG | (1UL << 4));
	in = map_input(0x40200000, kc.core_start, 3); /* KCore's own page */
	in.regs[4] = JUNK;
	in.request = KCORE_RUN_INJECT;
	fake_events_clear();
	check_refused(vm, 0, &in, -KE_OWNER);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(npt_lookup_locked(vm, 0x40200000).level, 0);
	nev = fake_events_count();
	CHECK_EQ(nev, 0);
	/* D24: level 2 or 3 only, also when it only looks like 2 in 32 bits */
	in.map_pte = MAP_PFN * PAGE_SIZE;
	in.map_level = 4;
	check_refused(vm, 0, &in, -KE_RANGE);
	in.map_level = (1UL << 32) | 3;
	check_refused(vm, 0, &in, -KE_RANGE);
	in.map_level = 0;
	check_refused(vm, 0, &in, -KE_RANGE);
	/* D8: an unaligned block */
	in.map_level = 2;
	in.map_pte = (MAP_PFN + 1) * PAGE_SIZE;
	check_refused(vm, 0, &in, -KE_ALIGN);
	CHECK_EQ(s2page_get(MAP_PFN + 1).owner, HOSTVISOR);
	/* an address below 4K or at/above 2^40 is "no request": run goes on */
	in.map_addr = PAGE_SIZE - 1;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[X0 + 4], JUNK);
	CHECK_EQ(ctxt(vm, 0)->r[PC], 0x40090200); /* injected, no advance */
	kc.vminfo[vm].vcpu_state[0] = READY;
	in.map_addr = KVM_ADDR_SPACE;
	in.request = 0;
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
}

UT_MAIN(UT(test_run_refusals), UT(test_first_run), UT(test_first_run_after_encrypted_load),
	UT(test_first_run_fetch),
	UT(test_dirty_sync), UT(test_pc_advance), UT(test_inject),
	UT(test_no_inject_without_request), UT(test_map_request),
	UT(test_map_request_refused))
