/* SMP stress: several CPUs (threads over the fake machine) call KCore at
 * once, for a while, the way a host with one vCPU thread per CPU would:
 * each runs its own VM's vCPU with mapping requests and exits (grants,
 * MMIO, WFI), takes host stage-2 faults anywhere in RAM, drives its own
 * device context, and asks for hostile things (other VMs' pages, KCore's
 * pages, bad indices, destroying another CPU's VM); now and then it takes
 * its VM apart (POWEROFF_VM, CLEAR_VM_PAGE of every page, DESTROY_VM, D68)
 * and builds a new one on whatever id GEN_VMID hands out. Built with ThreadSanitizer: a data race in KCore (a
 * shared field touched without its lock) fails the test, and so does a
 * broken lock order (KCORE_DEBUG), a halt, or any security invariant
 * violated at the end. Prints "smp: N passed, M failed". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/smmu.h"
#include "kcore/state.h"
#include "tk.h"
#include "test_images.h"

#define NCPU 4
#define STEPS 40000
#define RECYCLE 5000 /* steps between two VMs of one CPU (D68) */
#define IMG_PFN0 (RAM_PFN0 + 16) /* CPU i's image page: no other CPU aims at it */
#define RAM_PFN0 (KCORE_RAM_BASE >> PAGE_SHIFT)
#define GUEST_IPA 0x40000000UL
#define PSTATE_EL1H 0x3C5UL

struct cpu {
	u32 id;
	vmid_t vm;
	u64 rng;
	u64 runs, exits, maps, faults, refusals, destroyed;
};

static u64 rnd(struct cpu *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static long hc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	return kcore_host_call(fn, a1, a2, a3, a4, 0);
}

/* This CPU's own host pages for its VM (disjoint between CPUs, so that
 * most mapping requests succeed) and any page at all (to collide). */
static pfn_t own_pfn(struct cpu *c)
{
	return RAM_PFN0 + 2048 + c->id * 1024 + rnd(c) % 1024;
}

static pfn_t any_pfn(struct cpu *c)
{
	pfn_t pfn = RAM_PFN0 + rnd(c) % (FAKE_RAM_SIZE >> PAGE_SHIFT);

	/* not the CPUs' image pages: a new VM is built from them (D68) */
	return pfn >= IMG_PFN0 && pfn < IMG_PFN0 + NCPU ? pfn + NCPU : pfn;
}

static void run_and_exit(struct cpu *c)
{
	struct kcore_run_input in;
	struct kcore_exit_hw hw;
	struct kcore_exit_info out;
	u64 r = rnd(c);

	memset(&in, 0, sizeof(in));
	in.entry_pc = GUEST_IPA;
	in.entry_pstate = PSTATE_EL1H;
	if (r & 1) {
		in.map_addr = GUEST_IPA + (rnd(c) % 256) * PAGE_SIZE;
		in.map_pte = ((r & 2) ? own_pfn(c) : any_pfn(c)) * PAGE_SIZE;
		in.map_level = 3;
	}
	if (kcore_vcpu_run(c->vm, 0, &in) < 0) {
		c->refusals++;
		return;
	}
	c->runs++;
	c->maps += in.map_addr != 0;
	memset(&hw, 0, sizeof(hw));
	hw.ec = ARM_EXCEPTION_TRAP;
	hw.pc = GUEST_IPA + 0x100;
	hw.pstate = PSTATE_EL1H;
	switch (rnd(c) % 5) {
	case 0: /* grant or revoke a few pages */
		hw.esr = (u64)ESR_ELx_EC_HVC64 << ESR_ELx_EC_SHIFT;
		hw.regs[0] = (rnd(c) & 1) ? HVC_KVM_SET_DESC_PFN : HVC_KVM_UNSET_DESC_PFN;
		hw.regs[2] = GUEST_IPA + (rnd(c) % 256) * PAGE_SIZE;
		hw.regs[3] = (rnd(c) % 4) * PAGE_SIZE;
		break;
	case 1:
		hw.esr = (u64)ESR_ELx_EC_WFx << ESR_ELx_EC_SHIFT;
		break;
	case 2: /* MMIO read into x3 */
		hw.esr = (u64)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT | ESR_ELx_ISV | (3UL << 16);
		hw.hpfar = (0x09000000UL >> PAGE_SHIFT) << 4;
		break;
	case 3:
		hw.ec = ARM_EXCEPTION_INTERRUPT;
		break;
	default: /* a guest fault on unmapped RAM */
		hw.esr = (u64)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT;
		hw.hpfar = ((GUEST_IPA >> PAGE_SHIFT) + 300) << 4;
		break;
	}
	/* Resumed exits (grant/revoke) stay ACTIVE: exit again until the host gets it. */
	for (int i = 0; i < 4 && kcore_vm_exit(c->vm, 0, &hw, &out) == 0; i++) {
		c->exits++;
		hw.ec = ARM_EXCEPTION_INTERRUPT;
	}
	c->exits++;
}

static void host_op(struct cpu *c)
{
	u32 cb = c->id;

	switch (rnd(c) % 9) {
	case 0:
	case 1:
		c->faults++;
		if (kcore_host_stage2_fault(any_pfn(c) * PAGE_SIZE) < 0)
			c->refusals++;
		break;
	case 2: /* this CPU's device context, owned by the host */
		hc(KCORE_HC_SMMU_ALLOC, cb, HOSTVISOR, 0, 0);
		break;
	case 3: {
		pfn_t pfn = any_pfn(c);

		hc(KCORE_HC_SMMU_MAP, cb, 0, pfn * PAGE_SIZE, pfn * PAGE_SIZE);
		break;
	}
	case 4:
		hc(KCORE_HC_SMMU_CLEAR, any_pfn(c) * PAGE_SIZE, cb, 0, 0);
		break;
	case 5: /* hostile: clear another VM's page, map KCore's page into a VM */
		if (hc(KCORE_HC_CLEAR_VM_PAGE, 1 + rnd(c) % NCPU, any_pfn(c), 0, 0) < 0)
			c->refusals++;
		break;
	case 6:
		if (kcore_host_stage2_fault(kc.core_start + (rnd(c) % 256) * PAGE_SIZE) < 0)
			c->refusals++;
		break;
	case 7: /* hostile: destroy a VM that runs, or another CPU's being taken apart (D68) */
		if (rnd(c) % 2 && hc(KCORE_HC_DESTROY_VM, 1 + rnd(c) % (NCPU + 1), 0, 0, 0) < 0)
			c->refusals++;
		break;
	default:
		hc(KCORE_HC_NOP, 0, 0, 0, 0);
		break;
	}
}

static vmid_t make_vm(u32 i);

/* D68: the CPU's VM taken apart while the others run theirs: powered off,
 * every page it owns taken back (found under S2PAGE; another CPU's hostile
 * CLEAR_VM_PAGE may take some first), destroyed; then a new VM on the id
 * GEN_VMID hands out now. */
static void recycle(struct cpu *c)
{
	static pfn_t owned[NCPU][4096];
	struct kcore_exit_hw hw;
	struct kcore_exit_info out;
	u32 n = 0;
	long r;

	/* a vCPU left ACTIVE by resumed exits goes back to the host first */
	memset(&hw, 0, sizeof(hw));
	hw.ec = ARM_EXCEPTION_INTERRUPT;
	(void)kcore_vm_exit(c->vm, 0, &hw, &out);
	if (hc(KCORE_HC_POWEROFF_VM, c->vm, 0, 0, 0) != 0) {
		fprintf(stderr, "smp: cpu %u: POWEROFF_VM of VM %u refused\n", c->id, c->vm);
		exit(1);
	}
	lock_acquire(S2PAGE_ID);
	for (u64 i = 0; i < kc.ram_pages && n < 4096; i++)
		if (kc.s2page[i].owner == c->vm)
			owned[c->id][n++] = RAM_PFN0 + i;
	lock_release(S2PAGE_ID);
	for (u32 k = 0; k < n; k++)
		hc(KCORE_HC_CLEAR_VM_PAGE, c->vm, owned[c->id][k], 0, 0);
	r = hc(KCORE_HC_DESTROY_VM, c->vm, 0, 0, 0);
	/* -KE_STATE: another CPU's hostile DESTROY_VM was first (the VM owned
	 * nothing any more), and the id may already be someone else's */
	if (r != 0 && r != -KE_STATE) {
		fprintf(stderr, "smp: cpu %u: DESTROY_VM of VM %u refused (%ld)\n", c->id, c->vm, r);
		exit(1);
	}
	c->destroyed++;
	c->vm = make_vm(c->id);
}

static void *cpu_main(void *arg)
{
	struct cpu *c = arg;

	fake_set_cpu(c->id);
	for (u32 i = 0; i < STEPS; i++) {
		if (i % RECYCLE == RECYCLE - 1)
			recycle(c);
		else if (rnd(c) % 3)
			run_and_exit(c);
		else
			host_op(c);
	}
	for (u32 id = 0; id < NR_LOCKS; id++)
		if (lock_held(id)) {
			fprintf(stderr, "cpu %u still holds lock %u\n", c->id, id);
			abort();
		}
	return NULL;
}

/* One VM per CPU, verified, with one vCPU and a one-page image. */
static vmid_t make_vm(u32 i)
{
	long vm = hc(KCORE_HC_GEN_VMID, 0, 0, 0, 0);

	/* the host loads the signed image into its page first */
	memcpy(fake_ram_write((IMG_PFN0 + i) << PAGE_SHIFT), test_image_smp, sizeof(test_image_smp));
	if (vm < 0 || hc(KCORE_HC_REGISTER_KVM, (u64)vm, 0, 0, 0) ||
	    hc(KCORE_HC_REGISTER_VCPU, (u64)vm, 0, 0, 0) ||
	    hc(KCORE_HC_SET_BOOT_INFO, (u64)vm, GUEST_IPA, PAGE_SIZE, 0) != 0 ||
	    hc(KCORE_HC_REMAP_VM_IMAGE, (u64)vm, IMG_PFN0 + i, 0, 0) ||
	    hc(KCORE_HC_VERIFY_VM, (u64)vm, 0, 0, 0)) {
		fprintf(stderr, "smp: cannot set up VM %u\n", i);
		exit(1);
	}
	return (vmid_t)vm;
}

int main(void)
{
	static char buf[1 << 16];
	struct cpu cpus[NCPU];
	pthread_t t[NCPU];
	int failed = 0, passed = 0;
	u64 nviol;

	tk_reset();
	fake_event_hook = NULL; /* the TLB-order checker follows one CPU's steps only */
	for (u32 i = 0; i < NCPU; i++) {
		memset(&cpus[i], 0, sizeof(cpus[i]));
		cpus[i].id = i;
		cpus[i].vm = make_vm(i);
		cpus[i].rng = 0x9E3779B97F4A7C15UL * (i + 1);
	}
	for (u32 i = 0; i < NCPU; i++)
		pthread_create(&t[i], NULL, cpu_main, &cpus[i]);
	for (u32 i = 0; i < NCPU; i++)
		pthread_join(t[i], NULL);
	for (u32 i = 0; i < NCPU; i++) {
		printf("smp: cpu %u: %llu runs, %llu exits, %llu mapping requests, %llu host faults, %llu refusals, %llu VMs destroyed\n",
		       i, (unsigned long long)cpus[i].runs, (unsigned long long)cpus[i].exits,
		       (unsigned long long)cpus[i].maps, (unsigned long long)cpus[i].faults,
		       (unsigned long long)cpus[i].refusals, (unsigned long long)cpus[i].destroyed);
		/* Each CPU must have got real work done, not only refusals. */
		if (cpus[i].runs < STEPS / 10) {
			printf("smp: cpu %u ran its vCPU only %llu times\n", i, (unsigned long long)cpus[i].runs);
			failed++;
		} else {
			passed++;
		}
	}
	nviol = tk_check_all(buf, sizeof(buf));
	if (nviol) {
		printf("smp: %llu invariant violations:\n%s", (unsigned long long)nviol, buf);
		failed++;
	} else {
		passed++;
	}
	printf("smp: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
