/* A small bare-metal guest (EL1, MMU off), run by KCore for the test host
 * (tests/qemu/host). It talks to the world only through exits:
 *  - console: byte writes to an emulated PL011 data register (IPA 0x09000000);
 *  - a "doorbell" device the host emulates at IPA 0x09010000: a write is an
 *    event for the host, a read of +4 is answered by the host;
 *  - WFI (trapped), HVC grant/revoke of a page (handled inside KCore),
 *    PSCI SYSTEM_OFF (powers the VM off);
 *  - a read of an address the host will not give it: the host has KCore
 *    inject an exception, which the guest's vector notes and skips.
 * vCPU 0 does everything; the other vCPUs say hello, wait once and stop
 * with a GUEST_DONE hypercall the host handles. */
#include <stdarg.h>

#include "kcore/types.h"

#include "fmt.h"

#define UART 0x09000000UL
#define DOORBELL 0x09010000UL
#define SHARED 0x40101000UL      /* vCPU 0's shared page (next to its stack page) */
#define BLOCK 0x40400000UL       /* a 2 MB region the host maps with one block */
#define GICC 0x08010000UL        /* a GICv2's CPU interface (the host maps GICV here) */
#define PROBE 0x51000000UL       /* not the guest's: the host refuses it (in two-vms,
				    the other VM's image has this physical address) */
#define RESTORED 0x40180000UL    /* the `export` scenario imports a page here (D41) */
#define HVC_SET_DESC_PFN 0xC6000100UL
#define HVC_UNSET_DESC_PFN 0xC6000101UL
#define HVC_GUEST_DONE 0xC6000200UL /* not KCore's: goes to the host */
#define PSCI_SYSTEM_OFF 0x84000008UL
#define SMCCC_VERSION 0x80000000UL /* D54: answered by KCore, not the host */
#define SMCCC_ARCH_FEATURES 0x80000001UL
#define SMCCC_ARCH_WORKAROUND_1 0x80008000UL
#define SMCCC_ARCH_WORKAROUND_2 0x80007FFFUL
#define SMCCC_ARCH_WORKAROUND_3 0x80003FFFUL

u64 guest_hvc(u64 fn, u64 a1, u64 a2, u64 a3);
u64 guest_probe(u64 addr);
u64 guest_pmu_read(void);
u64 guest_actlr_read(void);
u64 guest_pair_store(u64 addr, u64 a, u64 b);
u64 guest_pair_load(u64 addr, u64 *out);
u64 guest_wait_virq(u64 gicc);
void fp_fill(u64 seed);
u64 fp_check(u64 seed);
void guest_main(void);

static void mmio_write(u64 addr, u32 v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static u32 mmio_read(u64 addr)
{
	u32 v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void put(char c)
{
	mmio_write(UART, (u8)c);
}

static u64 mpidr(void)
{
	u64 v;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v;
}

static bool gicv3(void)
{
	u64 v;

	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(v));
	return ((v >> 24) & 0xF) != 0;
}

/* Every line starts "vcpuN: ". No globals: the image has no BSS. */
__attribute__((format(printf, 1, 2))) static void gprintf(const char *fmt, ...)
{
	const char *p = "vcpu";
	va_list ap;

	while (*p)
		put(*p++);
	put((char)('0' + (mpidr() & 0xF)));
	put(':');
	put(' ');
	va_start(ap, fmt);
	fmt_vprint(put, fmt, ap);
	va_end(ap);
}

static void vcpu0(void)
{
	volatile u64 *shared = (volatile u64 *)SHARED;
	volatile u64 *block = (volatile u64 *)BLOCK;
	u64 r;

	fp_fill(0x6000); /* checked after all the exits below */
	gprintf("hello from a guest at EL1 (MPIDR 0x%lx)\n", mpidr());
	/* D54: KCore answers for EL2 (the host would say -1 to all: SMCCC 1.0).
	 * On QEMU's cortex-a72 Spectre-v2 needs a firmware call QEMU lacks. */
	gprintf("SMCCC_VERSION -> 0x%lx; ARCH_FEATURES(ARCH_FEATURES) %ld, (0x80000002) %ld\n",
		guest_hvc(SMCCC_VERSION, 0, 0, 0),
		(long)guest_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_FEATURES, 0, 0),
		(long)guest_hvc(SMCCC_ARCH_FEATURES, 0x80000002UL, 0, 0));
	gprintf("ARCH_FEATURES(WORKAROUND_1) %ld, (_2) %ld, (_3) %ld; WORKAROUND_1 -> %ld\n",
		(long)guest_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0),
		(long)guest_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_2, 0, 0),
		(long)guest_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_3, 0, 0),
		(long)guest_hvc(SMCCC_ARCH_WORKAROUND_1, 0, 0, 0));
	gprintf("MMIO read of the doorbell -> 0x%x\n", mmio_read(DOORBELL + 4));
	__asm__ volatile("wfi");
	gprintf("back from WFI\n");

	shared[0] = 0x5EC2E7;
	mmio_write(DOORBELL, 1); /* the host tries to read the page: refused */
	r = guest_hvc(HVC_SET_DESC_PFN, 0, SHARED, 4096);
	gprintf("grant of 0x%lx -> %ld\n", SHARED, (long)r);
	mmio_write(DOORBELL, 2); /* the host reads it now */
	r = guest_hvc(HVC_UNSET_DESC_PFN, 0, SHARED, 4096);
	gprintf("revoke of 0x%lx -> %ld\n", SHARED, (long)r);
	mmio_write(DOORBELL, 3); /* refused again */

	block[0] = 0xB10C;
	block[(0x200000 - 8) / 8] = 0xE2D;
	gprintf("2 MB block at 0x%lx: %s\n", BLOCK,
		block[0] == 0xB10C && block[(0x200000 - 8) / 8] == 0xE2D ? "ok" : "BAD");
	r = guest_probe(PROBE);
	gprintf("read of 0x%lx (not given to this VM): %s (ESR 0x%lx)\n", PROBE,
		r ? "refused, exception injected" : "NOT REFUSED", r & ~(1UL << 63));
	r = guest_pair_store(DOORBELL + 0x10, 0x5EC2E7A, 0x5EC2E7B);
	gprintf("store pair to the doorbell: %s (ESR 0x%lx)\n",
		r ? "no syndrome, exception injected" : "NOT REFUSED", r & ~(1UL << 63));
	{
		u64 two[2];

		r = guest_pair_load(DOORBELL + 0x10, two);
		gprintf("load pair from the doorbell: %s, registers %s\n",
			r ? "no syndrome, exception injected" : "NOT REFUSED",
			two[0] == 0x77 && two[1] == 0x77 ? "kept" : "SET BY THE HOST");
	}
	r = guest_pmu_read();
	gprintf("read of the cycle counter: %s\n",
		r == 0x5A5A5A5A ? "trapped by KCore, skipped" : "NOT TRAPPED");
	r = guest_actlr_read();
	gprintf("read of ACTLR_EL1: %s\n", r == 0xAC71A5 ? "trapped by KCore, skipped" : "NOT TRAPPED");
	mmio_write(DOORBELL, 4); /* the host puts up a virtual interrupt */
	r = guest_wait_virq(gicv3() ? 0 : GICC);
	gprintf("virtual interrupt %lu taken and completed (GICv%d)\n", r & 0x3FF,
		gicv3() ? 3 : 2);
	r = fp_check(0x6000);
	gprintf("FP/SIMD registers kept across exits: %s\n", r == 0 ? "ok" : "BAD");
	gprintf("words at 0x%lx: 0x%lx 0x%lx\n", RESTORED, *(volatile u64 *)RESTORED,
		*(volatile u64 *)(RESTORED + 4088));
	gprintf("powering off (PSCI SYSTEM_OFF)\n");
	guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void guest_main(void)
{
	u64 vcpu = mpidr() & 0xF;

	if (vcpu == 0) {
		vcpu0();
		return;
	}
	gprintf("hello from a secondary vCPU\n");
	__asm__ volatile("wfi");
	gprintf("done\n");
	guest_hvc(HVC_GUEST_DONE, vcpu, 0, 0);
}
