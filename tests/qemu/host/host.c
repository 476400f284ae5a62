/* The bare-metal test host (EL1, MMU off, under KCore's stage 2). Built once
 * per scenario (-DSCENARIO_HELLO, -DSCENARIO_FORBIDDEN); tests/qemu/run.sh
 * boots each and checks the console. Lines "host: [PASS] ..." and
 * "host: [FAIL] ..." are the scenario's own checks. */
#include <stdarg.h>

#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"

#include "fmt.h"
#include "platform.h"

#define UART_FR_TXFF (1U << 5)
#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_ON_64 0xC4000003UL
#define PSCI_SYSTEM_OFF 0x84000008UL

long host_hvc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 host_smc(u64 fn, u64 a1, u64 a2, u64 a3);
void host_main(void);
void host_exception(u64 kind, u64 *frame);

static volatile u64 aborts; /* synchronous aborts taken so far */
static u32 passed, failed;

static void put(char c)
{
	volatile u32 *uart = (volatile u32 *)(uintptr_t)QEMU_UART_BASE;

	if (c == '\n')
		put('\r');
	while (uart[0x18 / 4] & UART_FR_TXFF)
		;
	uart[0] = (u8)c;
}

__attribute__((format(printf, 1, 2))) static void hprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(put, fmt, ap);
	va_end(ap);
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
	u64 esr = sysreg_esr(), elr, far, ec = esr >> 26;

	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	hprintf("host: abort at 0x%lx ESR 0x%lx FAR 0x%lx\n", elr, esr, far);
	if (kind == 4 && (ec == 0x25 || ec == 0x21)) {
		aborts++;
		elr = ec == 0x25 ? elr + 4 : frame[30];
		__asm__ volatile("msr elr_el1, %0" : : "r"(elr));
		return;
	}
	hprintf("host: [FAIL] unexpected exception kind %lu\n", kind);
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}

static void check(bool ok, const char *what)
{
	hprintf("host: [%s] %s\n", ok ? "PASS" : "FAIL", what);
	if (ok)
		passed++;
	else
		failed++;
}

static long call(const char *name, u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	long r = host_hvc(fn, a1, a2, a3, a4, 0);

	hprintf("host: %s -> %ld\n", name, r);
	return r;
}

#ifdef SCENARIO_HELLO
static void scenario(void)
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
	check(call("VCPU_RUN(vmid, 0)", KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0) == -KE_NOFUNC,
	      "VCPU_RUN is -KE_NOFUNC until the world switch exists");
	hprintf("host: PSCI_VERSION -> 0x%lx\n", host_smc(PSCI_VERSION, 0, 0, 0));
	check(aborts == 0, "no abort taken");
}
#endif

#ifdef SCENARIO_FORBIDDEN
static u8 victim[4096] __attribute__((aligned(4096)));

static u64 peek(u64 pa)
{
	return *(volatile u64 *)(uintptr_t)pa;
}

static void poke(u64 pa, u64 v)
{
	*(volatile u64 *)(uintptr_t)pa = v;
}

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

static void scenario(void)
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
	expect_abort("read of KCore's reserved MMIO (SMMU) refused", do_read, 0x09050000);

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
	check((long)host_smc(PSCI_CPU_ON_64, 1, KCORE_IMAGE_BASE, 0) < 0,
	      "PSCI CPU_ON at a host-chosen EL2 address is refused");

	/* Still alive, KCore still answers, and the page is still the VM's. */
	check(call("NOP", KCORE_HC_NOP, 0, 0, 0, 0) == 0, "KCore still answers");
	expect_abort("the VM's page is still refused", do_read, vpfn << 12);
	check(aborts == 9, "9 aborts taken in all");
}
#endif

void host_main(void)
{
	scenario();
	hprintf("host: %u passed, %u failed\n", passed, failed);
	hprintf("host: powering off through PSCI SYSTEM_OFF\n");
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}
