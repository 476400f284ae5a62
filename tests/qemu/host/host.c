/* The bare-metal test host (EL1, MMU off, under KCore's stage 2). Built once
 * per scenario (-DSCENARIO_HELLO, -DSCENARIO_FORBIDDEN, -DSCENARIO_VM,
 * -DSCENARIO_TWO_VMS); tests/qemu/run.sh
 * boots each and checks the console. Lines "host: [PASS] ..." and
 * "host: [FAIL] ..." are the scenario's own checks. */
#include <stdarg.h>

#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"
#include "kcore/vcpu.h"

#include "fmt.h"
#include "hostlib.h"
#include "platform.h"
#include "scenario.h"

#define PSCI_CPU_ON_64 0xC4000003UL

volatile u64 aborts;                     /* synchronous aborts taken so far, all CPUs */
volatile u64 aborts_on[HOST_MAX_CPUS]; /* the same, per CPU */
volatile bool aborts_quiet;            /* count without printing (CPUs at once) */
static u32 passed, failed;

u32 host_cpu(void)
{
	u64 mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (u32)((mpidr & 0xFF) + ((mpidr >> 8) & 0xFF) * 16) % HOST_MAX_CPUS;
}

static u64 sysreg_esr(void)
{
	u64 v;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(v));
	return v;
}

/* A synchronous exception at EL1: report it and go on. A data abort skips
 * the faulting instruction; an instruction abort (a call into a page the
 * host may not execute) returns to the caller (x30). Anything else ends the
 * run. */
void host_exception(u64 kind, u64 *frame)
{
	u64 esr = sysreg_esr(), elr, ec = esr >> 26;

	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	if (!aborts_quiet) {
		u64 far;

		__asm__ volatile("mrs %0, far_el1" : "=r"(far));
		hprintf("host: abort at 0x%lx ESR 0x%lx FAR 0x%lx\n", elr, esr, far);
	}
	if (kind == 4 && (ec == 0x25 || ec == 0x21)) {
		__atomic_fetch_add(&aborts, 1, __ATOMIC_RELAXED);
		aborts_on[host_cpu()]++;
		elr = ec == 0x25 ? elr + 4 : frame[30];
		__asm__ volatile("msr elr_el1, %0" : : "r"(elr));
		return;
	}
	hprintf("host: [FAIL] unexpected exception kind %lu\n", kind);
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void check(bool ok, const char *what)
{
	bool quiet = hprintf_quiet;

	hprintf_quiet = quiet && ok; /* a failure is always printed */
	hprintf("host: [%s] %s\n", ok ? "PASS" : "FAIL", what);
	hprintf_quiet = quiet;
	if (ok)
		passed++;
	else
		failed++;
}

long call(const char *name, u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	long r = host_hvc(fn, a1, a2, a3, a4, 0);

	hprintf("host: %s -> %ld\n", name, r);
	return r;
}

#ifdef SCENARIO_HELLO
static u8 run_page[4096] __attribute__((aligned(4096)));

void scenario(void)
{
	long vmid;

	hprintf("host: hello from EL1 under KCore's stage 2\n");
	check(call("NOP", KCORE_HC_NOP, 0, 0, 0, 0) == 0, "NOP returns 0");
	vmid = call("GEN_VMID", KCORE_HC_GEN_VMID, 0, 0, 0, 0);
	check(vmid == 1, "GEN_VMID gives VM 1");
	check(call("REGISTER_KVM(vmid)", KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0) == 0,
	      "REGISTER_KVM");
	check(call("REGISTER_VCPU(vmid, 0)", KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0) == 0,
	      "REGISTER_VCPU");
	check(call("REGISTER_VCPU(vmid, 0) again", KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0) ==
		      -KE_STATE,
	      "a second REGISTER_VCPU is refused (-KE_STATE)");
	check(call("REGISTER_RUN_PAGE(vmid, 0, KCore's page)", KCORE_HC_REGISTER_RUN_PAGE,
		   (u64)vmid, 0, KCORE_IMAGE_BASE, 0) == -KE_OWNER,
	      "a run page that is not the host's is refused (-KE_OWNER)");
	check(call("VCPU_RUN(vmid, 0)", KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0) == -KE_STATE,
	      "VCPU_RUN of a vCPU without a run page is -KE_STATE");
	/* A run page the host later gives away is refused at the next run. */
	run_page[0] = 0;
	check(call("REGISTER_RUN_PAGE(vmid, 0, own page)", KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid,
		   0, (u64)(uintptr_t)run_page, 0) == 0,
	      "a run page of the host's is registered");
	call("SMMU_ALLOC(0, vmid, 0)", KCORE_HC_SMMU_ALLOC, 0, (u64)vmid, 0, 0);
	call("SMMU_ASSIGN(0, 0, run page, 0x100)", KCORE_HC_SMMU_ASSIGN, 0, 0,
	     (u64)(uintptr_t)run_page >> 12, 0x100);
	check(call("VCPU_RUN(vmid, 0)", KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0) == -KE_OWNER,
	      "VCPU_RUN with a run page the host gave away is -KE_OWNER");
	hprintf("host: PSCI_VERSION -> 0x%lx\n", host_smc(PSCI_VERSION, 0, 0, 0));
	check(aborts == 0, "no abort taken");
}
#endif

#ifdef SCENARIO_FORBIDDEN
static u8 victim[4096] __attribute__((aligned(4096)));

/* Each forbidden access must cost exactly one abort. */
static void expect_abort(const char *what, void (*access)(u64), u64 pa)
{
	u64 before = aborts;

	access(pa);
	check(aborts == before + 1, what);
}

static void do_read(u64 pa)
{
	(void)peek(pa);
}

static void do_write(u64 pa)
{
	poke(pa, 0xBAD);
}

static void do_call(u64 pa)
{
	((void (*)(void))(uintptr_t)pa)();
}

void scenario(void)
{
	u64 kimg = KCORE_IMAGE_BASE, kbss = KCORE_IMAGE_BASE + (16UL << 20);
	u64 kpool = KCORE_IMAGE_BASE + (30UL << 20);
	u64 vpfn = (u64)(uintptr_t)victim >> 12;
	long vmid;

	hprintf("host: forbidden accesses; each must abort and the host go on\n");
	expect_abort("read of KCore's image refused", do_read, kimg);
	expect_abort("write to KCore's image refused", do_write, kimg + 0x1000);
	expect_abort("read of KCore's data (bss) refused", do_read, kbss);
	expect_abort("write to KCore's pools refused", do_write, kpool);
	expect_abort("call into KCore's code refused", do_call, kimg);
	expect_abort("read of KCore's SMMU (withheld MMIO) refused", do_read, 0x09050000);

	/* A page the host gives to a VM through the SMMU is no longer its own. */
	victim[0] = 42;
	check(victim[0] == 42, "own page readable and writable");
	vmid = call("GEN_VMID", KCORE_HC_GEN_VMID, 0, 0, 0, 0);
	call("REGISTER_KVM(vmid)", KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0);
	check(call("SMMU_ALLOC(0, vmid, 0)", KCORE_HC_SMMU_ALLOC, 0, (u64)vmid, 0, 0) == 0,
	      "SMMU context 0 given to the VM");
	check(call("SMMU_ASSIGN(0, 0, victim, 0x100)", KCORE_HC_SMMU_ASSIGN, 0, 0, vpfn, 0x100) == 0,
	      "host page assigned to the VM");
	expect_abort("read of the VM's page refused", do_read, vpfn << 12);
	expect_abort("write to the VM's page refused", do_write, (vpfn << 12) + 8);

	/* Out-of-range arguments are refused, changing nothing. */
	check(call("REGISTER_KVM(99)", KCORE_HC_REGISTER_KVM, 99, 0, 0, 0) == -KE_RANGE,
	      "REGISTER_KVM(99) is -KE_RANGE");
	check(call("REGISTER_VCPU(vmid, 99)", KCORE_HC_REGISTER_VCPU, (u64)vmid, 99, 0, 0) ==
		      -KE_RANGE,
	      "REGISTER_VCPU(vmid, 99) is -KE_RANGE");
	check(call("SMMU_ALLOC(99, vmid, 0)", KCORE_HC_SMMU_ALLOC, 99, (u64)vmid, 0, 0) == -KE_RANGE,
	      "SMMU_ALLOC(99, ...) is -KE_RANGE");
	check(call("CLEAR_VM_PAGE(vmid, 2^40)", KCORE_HC_CLEAR_VM_PAGE, (u64)vmid, 1UL << 40, 0,
		   0) == -KE_RANGE,
	      "CLEAR_VM_PAGE with a pfn beyond the IPA space is -KE_RANGE");
	check(call("unknown id", KCORE_HC_MAX, 0, 0, 0, 0) == -KE_NOFUNC,
	      "an unknown hypercall is -KE_NOFUNC");
	check((long)host_smc(PSCI_CPU_ON_64, 0xFF00, HOST_IMAGE_BASE, 0) == -2,
	      "PSCI CPU_ON of a CPU that does not exist is INVALID_PARAMETERS");
	check((long)host_smc(PSCI_CPU_ON_64, 0, HOST_IMAGE_BASE, 0) == -4,
	      "PSCI CPU_ON of the calling CPU is ALREADY_ON");

	/* Still alive, KCore still answers, and the page is still the VM's. */
	check(call("NOP", KCORE_HC_NOP, 0, 0, 0, 0) == 0, "KCore still answers");
	expect_abort("the VM's page is still refused", do_read, vpfn << 12);
	check(aborts == 9, "9 aborts taken in all");
}
#endif

#if defined(SCENARIO_VM) || defined(SCENARIO_TWO_VMS) || defined(SCENARIO_IMAGES) || \
	defined(SCENARIO_EXPORT) || defined(SCENARIO_RESET) || defined(SCENARIO_VMID_REUSE)
/* Guests (tests/qemu/guests): the host loads the image into its own pages,
 * declares it (SET_BOOT_INFO, REMAP_VM_IMAGE, VERIFY_VM), registers vCPUs
 * with a run page each, and runs them round-robin, one VCPU_RUN at a time,
 * emulating the console and the doorbell, answering stage-2 faults with
 * mapping requests (4 KB pages; one 2 MB block), until the VM powers off;
 * then it takes every page back with CLEAR_VM_PAGE and checks it is zero. */
extern const u8 guest_image[], guest_image_end[];

#define GUEST_LOAD 0x40080000UL
#define GUEST_UART 0x09000000UL
#define GUEST_DOORBELL 0x09010000UL
#define GUEST_SHARED 0x40101000UL
#define GUEST_BLOCK 0x40400000UL
#define GUEST_PROBE 0x51000000UL /* never given: the host refuses it */
#define GUEST_RESTORED 0x40180000UL /* the guest prints the words of this page */
#define HVC_GUEST_DONE 0xC6000200UL
#define HVC_GUEST_RESULTS 0xC6000203UL /* answered in x0..x3 (D70) */
/* The boot registers of vCPU n's first run (D69; the guest, guest.c, checks
 * them at its first instruction): x0 a DTB's IPA + n, x1..x3. */
#define BOOT_X0 0x4DB00000UL
#define BOOT_X1 0xB0071UL
#define BOOT_X2 0xB0072UL
#define BOOT_X3 0xB0073UL
/* The guest's SGI register writes, in order (D71; guest.c), and its timer (D72). */
#define SGI1R_VALUE 0x05000002UL  /* SGI 5 to vCPU 1: sent as a virtual interrupt */
#define ASGI1R_VALUE 0x0E010004UL
#define VTIMER_CVAL 0x7E5700000000UL
#define NVCPU 2
#define MAX_GIVEN 64

struct vcpu_ctx {
	struct kcore_run_page *rp;
	u64 lr[KCORE_RUN_VGIC_LRS]; /* the vCPU's virtual interrupts, carried run to run */
	bool done;
	u32 nwfi; /* WFI exits */
	char line[120];
	u32 len;
};

struct vm_ctx {
	long vmid;
	u64 base;       /* this VM's host memory: image copies, 4 KB pool, block, run pages */
	u64 img_pages;
	u64 next_pool;  /* next free 4 KB pool page */
	u64 given_ipa[MAX_GIVEN], given_pa[MAX_GIVEN];
	u32 ngiven, nfaults;
	bool block_given, off, powered_off;
	u32 nsgi; /* SGI register writes seen (D71) */
	struct vcpu_ctx vcpu[NVCPU];
	const struct vm_ctx *other; /* another VM, whose page this one must not get */
	u64 restored_pa; /* export: the imported page, mapped at GUEST_RESTORED */
	/* export: called on the READY VM before VERIFY_VM */
	void (*before_verify)(struct vm_ctx *vm);
};

#define VM_IMG(vm) ((vm)->base)
#define VM_POOL(vm) ((vm)->base + 0x100000UL)
#define VM_BLOCK(vm) ((vm)->base + 0x200000UL) /* 2 MB aligned */
#define VM_RUN(vm, i) ((vm)->base + 0x400000UL + (u64)(i) * 4096)

static u64 given_pa_of(const struct vm_ctx *vm, u64 ipa)
{
	for (u32 i = 0; i < vm->ngiven; i++)
		if (vm->given_ipa[i] == (ipa & ~0xFFFUL))
			return vm->given_pa[i];
	return 0;
}

static bool gicv3(void)
{
	u64 v;

	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(v));
	return ((v >> 24) & 0xF) != 0;
}

static void vm_create(struct vm_ctx *vm, u64 base)
{
	u64 size = (u64)(uintptr_t)guest_image_end - (u64)(uintptr_t)guest_image;
	long idx;
	bool ok = true;

	vm->base = base;
	vm->img_pages = (size + 4095) / 4096;
	vm->next_pool = VM_POOL(vm);
	vm->vmid = call("GEN_VMID", KCORE_HC_GEN_VMID, 0, 0, 0, 0);
	ok &= call("REGISTER_KVM", KCORE_HC_REGISTER_KVM, (u64)vm->vmid, 0, 0, 0) == 0;
	for (u64 i = 0; i < size; i++)
		((volatile u8 *)(uintptr_t)VM_IMG(vm))[i] = guest_image[i];
	idx = call("SET_BOOT_INFO(vmid, 0x40080000, size)", KCORE_HC_SET_BOOT_INFO, (u64)vm->vmid,
		   GUEST_LOAD, size, 0);
	ok &= idx == 0;
	for (u64 i = 0; i < vm->img_pages; i++)
		ok &= host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vm->vmid, (VM_IMG(vm) >> 12) + i,
			       (u64)idx, 0, 0) == 0;
	for (u32 i = 0; i < NVCPU; i++) {
		struct vcpu_ctx *v = &vm->vcpu[i];

		ok &= host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vm->vmid, i, 0, 0, 0) == 0;
		v->rp = (struct kcore_run_page *)(uintptr_t)VM_RUN(vm, i);
		for (u32 j = 0; j < 4096 / 8; j++)
			((volatile u64 *)v->rp)[j] = 0;
		v->rp->entry_pc = GUEST_LOAD;
		v->rp->entry_pstate = 0x3C5; /* EL1h, DAIF masked */
		/* D69: x0..x3 are taken for the first run, x4..x30 are not */
		v->rp->regs[0] = BOOT_X0 + i;
		v->rp->regs[1] = BOOT_X1;
		v->rp->regs[2] = BOOT_X2;
		v->rp->regs[3] = BOOT_X3;
		for (u32 j = 4; j < 31; j++)
			v->rp->regs[j] = 0xBAD00 + j;
		ok &= host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vm->vmid, i, VM_RUN(vm, i), 0, 0) ==
		      0;
	}
	if (!gicv3()) /* a GICv2: the VM's GICC is the CPU's virtual interface (GICV) */
		for (u64 off = 0; off < 0x2000; off += 0x1000)
			ok &= host_hvc(KCORE_HC_MAP_IO, (u64)vm->vmid, QEMU_GICV2_GICC_BASE + off,
				       QEMU_GICV2_GICV_BASE + off, 0, 0) == 0;
	if (vm->before_verify)
		vm->before_verify(vm);
	ok &= call("VERIFY_VM", KCORE_HC_VERIFY_VM, (u64)vm->vmid, 0, 0, 0) == 0;
	/* VERIFY_VM took the image pages and mapped them at GUEST_LOAD (D40):
	 * they are the VM's, to be taken back with CLEAR_VM_PAGE. */
	for (u64 i = 0; i < vm->img_pages && vm->ngiven < MAX_GIVEN; i++) {
		vm->given_ipa[vm->ngiven] = GUEST_LOAD + i * 4096;
		vm->given_pa[vm->ngiven++] = VM_IMG(vm) + i * 4096;
	}
	hprintf("host: vm%ld: image of %lu bytes loaded at IPA 0x%lx, %d vCPUs registered\n",
		vm->vmid, size, GUEST_LOAD, NVCPU);
	check(ok, "VM created, image verified, vCPUs and run pages registered");
}

/* A forbidden read of a VM page must cost the host one abort. */
static void expect_read_abort(const char *what, u64 pa)
{
	u64 before = aborts;

	(void)peek(pa);
	check(aborts == before + 1, what);
}

#define VIRQ 42
#define LR_PENDING_GROUP1 (1UL << 62 | 1UL << 60 | 0xA0UL << 48)
#define LR_PENDING_GROUP0 (1UL << 62 | 0xA0UL << 48)


static void vm_doorbell(struct vm_ctx *vm, struct vcpu_ctx *v, u64 event)
{
	u64 pa = given_pa_of(vm, GUEST_SHARED), before = aborts, val;

	hprintf("host: vm%ld: doorbell %lu\n", vm->vmid, event);
	if (event == 4) { /* the guest waits for a virtual interrupt */
		v->lr[0] = (gicv3() ? LR_PENDING_GROUP1 : LR_PENDING_GROUP0) | VIRQ;
		hprintf("host: vm%ld: virtual interrupt %u pending in list register 0\n", vm->vmid,
			VIRQ);
		return;
	}
	if (event == 5 || event == 6) { /* D72: the guest armed its virtual timer */
		struct kcore_run_page *rp = v->rp;
		u64 ctl = event == 5 ? 3 : 7, cval = event == 5 ? VTIMER_CVAL : 0;

		hprintf("host: vm%ld: exit record: the guest's virtual timer ctl 0x%lx, cval 0x%lx\n",
			vm->vmid, rp->exit_cntv_ctl, rp->exit_cntv_cval);
		check(rp->exit_cntv_ctl == ctl && rp->exit_cntv_cval == cval,
		      event == 5 ? "the guest's armed virtual timer is in the exit record (ENABLE, IMASK)"
				 : "the guest's expired virtual timer is in the exit record (ISTATUS set)");
		return;
	}
	if (event == 1 || event == 3) {
		expect_read_abort(event == 1 ? "host read of a VM page (not shared) refused"
					     : "host read of the page after the revoke refused", pa);
		return;
	}
	val = peek(pa);
	check(aborts == before && val == 0x5EC2E7, "host reads the page the guest granted");
}

static void vm_console(struct vm_ctx *vm, struct vcpu_ctx *v, char c)
{
	if (c != '\n' && v->len < sizeof(v->line) - 1) {
		v->line[v->len++] = c;
		return;
	}
	v->line[v->len] = 0;
	hprintf("vm%ld: %s\n", vm->vmid, v->line);
	v->len = 0;
}

static void vm_mmio(struct vm_ctx *vm, struct vcpu_ctx *v)
{
	struct kcore_run_page *rp = v->rp;
	u64 ipa = rp->exit_fault_ipa;
	bool write = (rp->exit_esr >> 6) & 1;

	if (write && ipa == GUEST_UART)
		vm_console(vm, v, (char)rp->exit_mmio_data);
	else if (write && ipa == GUEST_DOORBELL)
		vm_doorbell(vm, v, rp->exit_mmio_data);
	else if (!write && ipa == GUEST_DOORBELL + 4)
		rp->regs[rp->exit_rd] = 0x1234ABCD;
	else
		hprintf("host: [FAIL] vm%ld: unexpected MMIO %s at 0x%lx\n", vm->vmid,
			write ? "write" : "read", ipa);
}

/* An MMIO access without a usable syndrome (the guest's load/store pair,
 * D56): KCore says where, and nothing of the guest's registers; the host's
 * register values are not taken. It answers with an injected exception. */
static void vm_mmio_nisv(struct vm_ctx *vm, struct vcpu_ctx *v)
{
	struct kcore_run_page *rp = v->rp;
	bool write = (rp->exit_esr >> 6) & 1;

	hprintf("host: %s vm%ld: %s pair at 0x%lx: no syndrome, no register (rd %u, data 0x%lx)\n",
		rp->exit_rd == 0 && rp->exit_mmio_data == 0 ? "[PASS]" : "[FAIL]", vm->vmid,
		write ? "store" : "load", rp->exit_fault_ipa, rp->exit_rd, rp->exit_mmio_data);
	for (u32 j = 0; j < 31; j++)
		rp->regs[j] = 0xBAD00 + j; /* KCore must not take any of these */
	rp->request = KCORE_RUN_INJECT;
}

/* A stage-2 fault: the 2 MB block, or a fresh 4 KB page (the image pages
 * are mapped by VERIFY_VM, so they never fault). The first 4 KB request of each VM first asks for pages
 * that are not the host's (KCore's own; the other VM's): refused. */
static void vm_s2fault(struct vm_ctx *vm, struct vcpu_ctx *v, u32 vcpuid)
{
	struct kcore_run_page *rp = v->rp;
	u64 ipa = rp->exit_fault_ipa & ~0xFFFUL, pa;

	if (++vm->nfaults > 32) { /* the guest is not getting what the host maps */
		hprintf("host: [FAIL] vm%ld: more than 32 stage-2 faults: stopped\n", vm->vmid);
		vm->off = true;
		return;
	}
	if (ipa == GUEST_PROBE) {
		/* Not memory the host gives this VM: no mapping; KCore injects
		 * an exception instead and the guest goes on. */
		rp->request = KCORE_RUN_INJECT;
		hprintf("host: vm%ld: stage-2 fault at 0x%lx: not the guest's: refused, exception "
			"injected\n",
			vm->vmid, rp->exit_fault_ipa);
		return;
	}
	if (ipa >= GUEST_BLOCK && ipa < GUEST_BLOCK + 0x200000UL) {
		rp->map_addr = GUEST_BLOCK;
		rp->map_pte = VM_BLOCK(vm);
		rp->map_level = 2;
		vm->block_given = true;
		hprintf("host: vm%ld: stage-2 fault at 0x%lx: 2 MB block 0x%lx\n", vm->vmid,
			rp->exit_fault_ipa, VM_BLOCK(vm));
		return;
	}
	if (ipa == GUEST_RESTORED && vm->restored_pa) {
		/* the page LOAD_DECRYPT_BUF made the VM's at this gfn (D41) */
		pa = vm->restored_pa;
		goto give;
	}
	if (vm->next_pool == VM_POOL(vm)) {
		long r;

		rp->map_addr = ipa;
		rp->map_level = 3;
		rp->map_pte = KCORE_IMAGE_BASE;
		r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vm->vmid, vcpuid, 0, 0, 0);
		hprintf("host: vm%ld: map request for a KCore page -> %ld\n", vm->vmid, r);
		check(r == -KE_OWNER, "mapping KCore's page into a VM is refused");
		if (vm->other) {
			rp->map_pte = VM_IMG(vm->other);
			r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vm->vmid, vcpuid, 0, 0, 0);
			hprintf("host: vm%ld: map request for vm%ld's page -> %ld\n",
				vm->vmid, vm->other->vmid, r);
			check(r == -KE_OWNER, "mapping another VM's page into a VM is refused");
		}
	}
	pa = vm->next_pool;
	vm->next_pool += 4096;
	/* The host prepares the page (and so has it mapped): the
	 * assign must take that mapping away. */
	for (u32 j = 0; j < 4096 / 8; j++)
		((volatile u64 *)(uintptr_t)pa)[j] = 0;
give:
	if (vm->ngiven < MAX_GIVEN && given_pa_of(vm, ipa) == 0) { /* two vCPUs may fault on one page */
		vm->given_ipa[vm->ngiven] = ipa;
		vm->given_pa[vm->ngiven++] = pa;
	}
	rp->map_addr = ipa;
	rp->map_pte = pa;
	rp->map_level = 3;
	hprintf("host: vm%ld: stage-2 fault at 0x%lx: 4 KB page 0x%lx\n", vm->vmid,
		rp->exit_fault_ipa, pa);
}

/* D71: a guest's write of a GICv3 SGI register, which KCore skipped (the
 * guest is past the MSR) and reports with the value written and the ESR.
 * The guest (guest.c) writes ICC_SGI1R_EL1, ICC_ASGI1R_EL1 and ICC_SGI0R_EL1
 * in this order; SGI 5 to vCPU 1 becomes a virtual interrupt of vCPU 1 (as
 * a host's vGIC would deliver it). */
static void vm_sysreg(struct vm_ctx *vm, u32 i)
{
	static const char *const names[3] = {"ICC_SGI1R_EL1", "ICC_ASGI1R_EL1", "ICC_SGI0R_EL1"};
	static const u64 values[3] = {SGI1R_VALUE, ASGI1R_VALUE, 0};
	struct kcore_run_page *rp = vm->vcpu[i].rp;
	u64 esr = rp->exit_esr, op2 = (esr >> 17) & 7, k = vm->nsgi++;
	bool reg_ok = esr >> 26 == 0x18 && (esr & 1) == 0 && op2 >= 5 && k < 3 && op2 == 5 + k;

	hprintf("host: vm%ld: vcpu%u: %s write 0x%lx (KCORE_EXIT_SYSREG, ESR 0x%lx)\n", vm->vmid, i,
		op2 >= 5 ? names[op2 - 5] : "an unexpected register", rp->exit_mmio_data, esr);
	check(reg_ok && rp->exit_mmio_data == values[k < 3 ? k : 0],
	      k == 0	? "the guest's ICC_SGI1R_EL1 write reaches the host with its value"
	      : k == 1	? "the guest's ICC_ASGI1R_EL1 write reaches the host with its value"
			: "the guest's ICC_SGI0R_EL1 write (xzr) reaches the host with its value");
	if (reg_ok && k == 0) {
		u64 intid = (rp->exit_mmio_data >> 24) & 0xF;

		vm->vcpu[1].lr[0] = LR_PENDING_GROUP1 | intid;
		hprintf("host: vm%ld: SGI %lu sent to vcpu1 as a virtual interrupt\n", vm->vmid,
			intid);
	}
}

/* One VCPU_RUN of vCPU i and its exit. */
static void vm_step(struct vm_ctx *vm, u32 i)
{
	struct vcpu_ctx *v = &vm->vcpu[i];
	struct kcore_run_page *rp = v->rp;
	long r;

	for (u32 j = 0; j < KCORE_RUN_VGIC_LRS; j++)
		rp->vgic_lr[j] = v->lr[j];
	r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vm->vmid, i, 0, 0, 0);
	rp->map_addr = 0;
	rp->request = 0;
	if (r > 0) {
		for (u32 j = 0; j < KCORE_RUN_VGIC_LRS; j++) {
			if (v->lr[j] != 0 && rp->exit_vgic_lr[j] >> 62 == 0)
				hprintf("host: vm%ld: vcpu%u: virtual interrupt %lu done (list register "
					"%u free)\n",
					vm->vmid, i, v->lr[j] & 0xFFFFFFFFUL, j);
			v->lr[j] = rp->exit_vgic_lr[j] >> 62 ? rp->exit_vgic_lr[j] : 0;
		}
	}
	switch (r) {
	case KCORE_EXIT_MMIO:
		vm_mmio(vm, v);
		break;
	case KCORE_EXIT_S2FAULT:
		vm_s2fault(vm, v, i);
		break;
	case KCORE_EXIT_MMIO_NISV:
		vm_mmio_nisv(vm, v);
		break;
	case KCORE_EXIT_WFX:
		if (v->nwfi++ == 0) /* the first one (vCPU 1 may wait for an SGI in a loop) */
			hprintf("host: vm%ld: vcpu%u WFI exit\n", vm->vmid, i);
		break;
	case KCORE_EXIT_IRQ:
		break;
	case KCORE_EXIT_HVC:
		if (rp->exit_hvc_args[0] == HVC_GUEST_DONE) {
			/* D72: each vCPU's own timer (vCPU 0 armed its own) */
			hprintf("host: vm%ld: vcpu%u done (its virtual timer ctl 0x%lx, cval 0x%lx)\n",
				vm->vmid, i, rp->exit_cntv_ctl, rp->exit_cntv_cval);
			check(rp->exit_cntv_ctl == 0 && rp->exit_cntv_cval == 0,
			      "a secondary vCPU's exit record has its own virtual timer (never armed)");
			v->done = true;
		} else if (rp->exit_hvc_args[0] == HVC_GUEST_RESULTS) {
			/* D70: four results; x4 is not the host's */
			for (u32 j = 0; j < 31; j++)
				rp->regs[j] = j < 4 ? 0x5EC0 + j : 0xBAD00 + j;
			hprintf("host: vm%ld: vcpu%u: HVC 0x%lx answered in x0..x3\n", vm->vmid, i,
				rp->exit_hvc_args[0]);
		} else {
			rp->regs[0] = (u64)-1; /* SMCCC: unknown function */
			rp->regs[1] = rp->regs[2] = rp->regs[3] = 0;
		}
		break;
	case KCORE_EXIT_SYSREG:
		vm_sysreg(vm, i);
		break;
	case KCORE_EXIT_POWEROFF:
		hprintf("host: vm%ld: powered off by the guest (PSCI SYSTEM_OFF)\n", vm->vmid);
		vm->off = vm->powered_off = true;
		break;
	default:
		hprintf("host: [FAIL] vm%ld: vcpu%u: VCPU_RUN -> %ld\n", vm->vmid, i, r);
		vm->off = true;
		break;
	}
}

/* Every page the VM got comes back zeroed. */
/* (not used by `reset`, which leaves its VM uncleared on purpose) */
__attribute__((unused)) static void vm_reclaim(struct vm_ctx *vm)
{
	u32 pages = 0, cleared = 0, dirty = 0;
	u64 before = aborts;

	for (u32 i = 0; i < vm->ngiven + (vm->block_given ? 512 : 0); i++) {
		u64 pa = i < vm->ngiven ? vm->given_pa[i] : VM_BLOCK(vm) + (u64)(i - vm->ngiven) * 4096;

		pages++;
		if (host_hvc(KCORE_HC_CLEAR_VM_PAGE, (u64)vm->vmid, pa >> 12, 0, 0, 0) != 0)
			continue;
		cleared++;
		for (u32 j = 0; j < 4096 / 8; j++)
			if (peek(pa + j * 8) != 0) {
				dirty++;
				break;
			}
	}
	hprintf("host: vm%ld: %u pages given, %u cleared by CLEAR_VM_PAGE, %u not zero\n",
		vm->vmid, pages, cleared, dirty);
	check(pages == cleared && dirty == 0 && aborts == before && pages > 1,
	      "every page of the VM came back to the host, zeroed");
}

void fp_fill(u64 seed);
u64 fp_check(u64 seed);

static void vms_run(struct vm_ctx *vms, u32 n)
{
	bool busy = true;

	fp_fill(0x4000); /* the host's FP/SIMD registers must survive the guests */
	for (u32 steps = 0; busy && steps < 100000; steps++) {
		busy = false;
		for (u32 k = 0; k < n; k++) {
			for (u32 i = 0; i < NVCPU; i++) {
				if (vms[k].off || vms[k].vcpu[i].done)
					continue;
				busy = true;
				vm_step(&vms[k], i);
			}
		}
	}
	check(fp_check(0x4000) == 0, "host FP/SIMD registers kept across VM runs");
	for (u32 k = 0; k < n; k++)
		check(vms[k].powered_off, "VM powered off by itself");
}

static struct vm_ctx vms[2];
#endif

#ifdef SCENARIO_VM
void scenario(void)
{
	struct vm_ctx *vm = &vms[0];
	struct kcore_run_page *rp1;
	long r;

	hprintf("host: one VM with two vCPUs\n");
	/* D54: the SMCCC architecture calls are KCore's, over SMC and HVC */
	hprintf("host: SMCCC over SMC: PSCI_FEATURES(SMCCC_VERSION) %ld, SMCCC_VERSION 0x%lx, "
		"ARCH_FEATURES(WORKAROUND_1) %ld, (WORKAROUND_3) %ld; over HVC: SMCCC_VERSION 0x%lx\n",
		(long)host_smc(0x8400000AUL, 0x80000000UL, 0, 0), host_smc(0x80000000UL, 0, 0, 0),
		(long)host_smc(0x80000001UL, 0x80008000UL, 0, 0),
		(long)host_smc(0x80000001UL, 0x80003FFFUL, 0, 0),
		(u64)host_hvc(0x80000000UL, 0, 0, 0, 0, 0));
	vm_create(vm, 0x50000000UL);
	rp1 = vm->vcpu[1].rp;
	rp1->entry_pc = 0x50000000UL;
	r = call("VCPU_RUN(vmid, 1), entry outside the image", KCORE_HC_VCPU_RUN, (u64)vm->vmid, 1,
		 0, 0);
	check(r == -KE_ENTRY, "an entry point outside the image is -KE_ENTRY");
	rp1->entry_pc = GUEST_LOAD;
	rp1->vgic_lr[0] = 1UL << 61 | LR_PENDING_GROUP1 | 27; /* HW: tied to a physical interrupt */
	r = call("VCPU_RUN(vmid, 1), a list register tied to a physical interrupt", KCORE_HC_VCPU_RUN,
		 (u64)vm->vmid, 1, 0, 0);
	check(r == -KE_RANGE, "a hardware-linked virtual interrupt is refused (-KE_RANGE)");
	rp1->vgic_lr[0] = 0;
	check(call("REGISTER_RUN_PAGE(vmid, 0, KCore's page)", KCORE_HC_REGISTER_RUN_PAGE,
		   (u64)vm->vmid, 0, KCORE_IMAGE_BASE, 0) == -KE_STATE,
	      "a second run page is refused");
	vms_run(vms, 1);
	expect_read_abort("host read of the VM's image page (loaded by the host) refused",
			  VM_IMG(vm));
	vm_reclaim(vm);
	check(call("VCPU_RUN after power-off", KCORE_HC_VCPU_RUN, (u64)vm->vmid, 0, 0, 0) ==
		      -KE_STATE,
	      "a powered-off VM does not run");
}
#endif

#ifdef SCENARIO_IMAGES
/* Bad images are refused (images.c), then a good one runs. */
void scenario(void)
{
	images_refused();
	hprintf("host: a VM with the good signed image\n");
	vm_create(&vms[0], 0x50000000UL);
	vms_run(vms, 1);
	vm_reclaim(&vms[0]);
}
#endif

#ifdef SCENARIO_EXPORT
/* Encrypted export and import (D41, export.c): a page of the READY VM is
 * exported and imported back (tampered and replayed blobs refused), then
 * the VM runs and its guest prints the imported page's words; vCPU blobs of
 * two other VMs. */
static u64 smmu_page;

static void export_before_verify(struct vm_ctx *vm)
{
	vm->restored_pa = export_page_checks(vm->vmid, GUEST_RESTORED >> 12, &smmu_page);
	if (vm->ngiven + 1 < MAX_GIVEN && smmu_page) {
		vm->given_ipa[vm->ngiven] = GUEST_RESTORED + 0x100000UL; /* (not mapped) */
		vm->given_pa[vm->ngiven++] = smmu_page;
	}
}

void scenario(void)
{
	export_vcpu_checks();
	hprintf("host: a VM whose page is exported and imported before it runs\n");
	vms[0].before_verify = export_before_verify;
	vm_create(&vms[0], 0x50000000UL);
	vms_run(vms, 1);
	check(call("SMMU_FREE", KCORE_HC_SMMU_FREE, 0, 0, 0, 0) == 0, "the VM's device context freed");
	vm_reclaim(&vms[0]);
}
#endif

#ifdef SCENARIO_TWO_VMS
void scenario(void)
{
	hprintf("host: two VMs with two vCPUs each, run side by side\n");
	vm_create(&vms[0], 0x50000000UL);
	vm_create(&vms[1], 0x51000000UL);
	vms[1].other = &vms[0];
	vms_run(vms, 2);
	vm_reclaim(&vms[0]);
	vm_reclaim(&vms[1]);
}
#endif

#ifdef SCENARIO_RESET
#include "reset.h"
#define PSCI_SYSTEM_RESET 0x84000009UL

/* Residue across a host-triggered reset (issue 11 item 3, reset.c): the
 * first boot runs a VM in memory KCore keeps at boot (the image's extent
 * reserves it), whose guest writes its secrets (0x5EC2E7 in its page at
 * 0x40101000, 0xB10C and 0xE2D at both ends of its 2 MB block), leaves it
 * powered off but not cleared, fills host pages outside the payload, has
 * CPU 1 run a second VM, and resets; the second boot finds all of them
 * zero. */
void scenario(void)
{
	if (reset_second_boot()) {
		reset_second_boot_checks();
		return;
	}
	hprintf("host: reset: first boot: a VM's secrets, then PSCI SYSTEM_RESET\n");
	reset_first_boot_prepare();
	vm_create(&vms[0], RESET_VM_BASE);
	vms_run(vms, 1);
	expect_read_abort("the powered-off VM's pages are still its own (not cleared)",
			  VM_BLOCK(&vms[0]));
	reset_start_spinner();
	hprintf("host: reset: PSCI SYSTEM_RESET with the VM's pages uncleared\n");
	host_smc(PSCI_SYSTEM_RESET, 0, 0, 0);
	check(false, "PSCI SYSTEM_RESET returned");
}
#endif

#ifdef SCENARIO_VMID_REUSE
/* D68: 120 VMs one after another, each on VM id 1: built from the signed
 * guest image, run to the guest's checks and its SYSTEM_OFF, every page
 * taken back zeroed (CLEAR_VM_PAGE), destroyed (DESTROY_VM). Without
 * DESTROY_VM the 16th GEN_VMID is -KE_FULL; without the pool reset the
 * third VM on the id has no pud table page left for VERIFY_VM (-KE_NOMEM).
 * Then the start's state, as the host can see it: every id free (the
 * lowest first), the whole window free (one image the size of the window
 * less a page fits, as at boot), the VM's memory the host's. */
#define REUSE_VMS 120
#define REUSE_IDS 16 /* COREVISOR: VM ids 1..15 */

static bool reuse_destroy(struct vm_ctx *vm)
{
	bool ok = host_hvc(KCORE_HC_DESTROY_VM, (u64)vm->vmid, 0, 0, 0, 0) == 0;

	/* refused now: the id is UNUSED */
	ok &= host_hvc(KCORE_HC_DESTROY_VM, (u64)vm->vmid, 0, 0, 0, 0) == -KE_STATE;
	return ok;
}

static void reuse_window_and_ids(void)
{
	bool ok = true;
	u64 window_pages = 128UL << 8; /* KCORE_REMAP_SIZE / 4096 on QEMU virt */

	for (u32 i = 1; i < REUSE_IDS; i++)
		ok &= host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0) == i;
	ok &= host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0) == -KE_FULL;
	check(ok, "after 120 VMs every VM id is free again: GEN_VMID hands out 1..15, then -KE_FULL");
	ok = host_hvc(KCORE_HC_REGISTER_KVM, 1, 0, 0, 0, 0) == 0 &&
	     host_hvc(KCORE_HC_REGISTER_KVM, 2, 0, 0, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_SET_BOOT_INFO, 1, GUEST_LOAD, window_pages * 4096, 0, 0) == -KE_FULL;
	ok &= host_hvc(KCORE_HC_SET_BOOT_INFO, 1, GUEST_LOAD, (window_pages - 1) * 4096, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_SET_BOOT_INFO, 2, GUEST_LOAD, 4096, 0, 0) == -KE_FULL;
	check(ok, "the whole image remap window is free, as at boot (an image of the window less a page fits)");
	ok = host_hvc(KCORE_HC_POWEROFF_VM, 1, 0, 0, 0, 0) == 0 &&
	     host_hvc(KCORE_HC_DESTROY_VM, 1, 0, 0, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_SET_BOOT_INFO, 2, GUEST_LOAD, (window_pages - 1) * 4096, 0, 0) == 0;
	check(ok, "the window range of a destroyed VM goes to the next one");
	ok = host_hvc(KCORE_HC_POWEROFF_VM, 2, 0, 0, 0, 0) == 0 &&
	     host_hvc(KCORE_HC_DESTROY_VM, 2, 0, 0, 0, 0) == 0;
	for (u32 i = 3; i < REUSE_IDS; i++)
		ok &= host_hvc(KCORE_HC_REGISTER_KVM, i, 0, 0, 0, 0) == 0 &&
		      host_hvc(KCORE_HC_POWEROFF_VM, i, 0, 0, 0, 0) == 0 &&
		      host_hvc(KCORE_HC_DESTROY_VM, i, 0, 0, 0, 0) == 0;
	ok &= host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0) == 1;
	check(ok, "every VM destroyed again: GEN_VMID hands out 1, the lowest id");
}

void scenario(void)
{
	struct vm_ctx *vm = &vms[0];
	u32 good = 0, zero = 0;
	u64 before;
	long r;

	hprintf("host: vmid-reuse: %u VMs one after another, each destroyed before the next\n",
		REUSE_VMS);
	for (u32 n = 0; n < REUSE_VMS; n++) {
		bool ok;

		for (u32 i = 0; i < sizeof(*vm); i++)
			((volatile u8 *)vm)[i] = 0;
		hprintf_quiet = n != 0 && n != REUSE_VMS - 1; /* the first and the last print */
		vm_create(vm, 0x50000000UL);
		vms_run(vm, 1);
		ok = vm->vmid == 1 && vm->powered_off;
		/* a live VM is not destroyed: its pages are still its own */
		if (n == 0) {
			r = call("DESTROY_VM(vmid) with its pages", KCORE_HC_DESTROY_VM, (u64)vm->vmid, 0,
				 0, 0);
			check(r == -KE_BUSY, "DESTROY_VM of a VM that still owns pages is -KE_BUSY");
		}
		vm_reclaim(vm);
		ok &= reuse_destroy(vm);
		good += ok;
	}
	hprintf_quiet = false;
	/* the host's pages of the last VM's block, every one readable and zero */
	before = aborts;
	for (u64 pa = VM_BLOCK(vm); pa < VM_BLOCK(vm) + 0x200000UL; pa += 4096)
		zero += peek(pa) == 0 && peek(pa + 4088) == 0;
	hprintf("host: vmid-reuse: %u of %u VMs ran on VM id 1 to their checks and were destroyed\n",
		good, REUSE_VMS);
	check(good == REUSE_VMS, "120 VMs one after another on VM id 1, each run and destroyed");
	check(zero == 512 && aborts == before,
	      "the last VM's 2 MB block is the host's again, zero, readable without an abort");
	reuse_window_and_ids();
}
#endif

void host_main(void)
{
	scenario();
	hprintf("host: %u passed, %u failed\n", passed, failed);
	hprintf("host: powering off through PSCI SYSTEM_OFF\n");
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}
