/* A small bare-metal guest (EL1, MMU off), run by KCore for the test host
 * (tests/qemu/host). It talks to the world only through exits:
 *  - console: byte writes to an emulated PL011 data register (IPA 0x09000000);
 *  - a "doorbell" device the host emulates at IPA 0x09010000: a write is an
 *    event for the host, a read of +4 is answered by the host;
 *  - WFI (trapped), HVC grant/revoke of a page (handled inside KCore),
 *    PSCI SYSTEM_OFF (powers the VM off), an HVC the host answers in x0..x3;
 *  - on a GICv3, writes of the SGI registers, which the host sees (vCPU 0's
 *    ICC_SGI1R_EL1 write wakes vCPU 1 with SGI 5); its virtual timer, which
 *    the host sees in the exit record;
 *  - a read of an address the host will not give it: the host has KCore
 *    inject an exception, which the guest's vector notes and skips.
 * Each vCPU first checks its boot registers (D69). vCPU 0 does everything;
 * the other vCPUs say hello, wait once (on a GICv3: for vCPU 0's SGI) and
 * stop with a GUEST_DONE hypercall the host handles. */
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
#define HVC_GUEST_RESULTS 0xC6000203UL /* the host answers in x0..x3 (D70) */
/* What the host puts in each vCPU's run page for its first run (D69; the
 * host's host.c says the same): x0 a DTB's IPA as the arm64 boot protocol
 * wants (vCPU n: + n, as a PSCI CPU_ON context id would differ), x1..x3. */
#define BOOT_X0 0x4DB00000UL
#define BOOT_X1 0xB0071UL
#define BOOT_X2 0xB0072UL
#define BOOT_X3 0xB0073UL
#define SGI1R_VALUE 0x05000002UL   /* SGI 5 to Aff0 1 (vCPU 1), IRM 0: the host sends it */
#define ASGI1R_VALUE 0x0E010004UL  /* SGI 14 to Aff1 1, Aff0 2: no such vCPU */
#define VTIMER_CVAL 0x7E5700000000UL /* far ahead of the counter: not expired */
#define CNTV_ENABLE 1UL
#define CNTV_IMASK 2UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define SMCCC_VERSION 0x80000000UL /* D54: answered by KCore, not the host */
#define SMCCC_ARCH_FEATURES 0x80000001UL
#define SMCCC_ARCH_WORKAROUND_1 0x80008000UL
#define SMCCC_ARCH_WORKAROUND_2 0x80007FFFUL
#define SMCCC_ARCH_WORKAROUND_3 0x80003FFFUL

u64 guest_hvc(u64 fn, u64 a1, u64 a2, u64 a3);
void guest_hvc_results(u64 fn, u64 *out);
u64 guest_sgi1r(u64 v);
u64 guest_asgi1r(u64 v);
u64 guest_sgi0r_zero(void);
void guest_vtimer_set(u64 cval, u64 ctl);
u64 guest_probe(u64 addr);
u64 guest_pmu_read(void);
u64 guest_actlr_read(void);
u64 guest_pair_store(u64 addr, u64 a, u64 b);
u64 guest_pair_load(u64 addr, u64 *out);
u64 guest_wait_virq(u64 gicc);
void fp_fill(u64 seed);
u64 fp_check(u64 seed);
void guest_main(u64 x0, u64 x1, u64 x2, u64 x3, u64 rest);

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
	{
		/* D70: the host's answer in x0..x3, x4 the guest's own */
		u64 res[5];

		guest_hvc_results(HVC_GUEST_RESULTS, res);
		gprintf("HVC answered in x0..x3: 0x%lx 0x%lx 0x%lx 0x%lx, x4 %s: %s\n", res[0],
			res[1], res[2], res[3], res[4] == 0x4444444444UL ? "kept" : "CHANGED",
			res[0] == 0x5EC0 && res[1] == 0x5EC1 && res[2] == 0x5EC2 && res[3] == 0x5EC3 &&
					res[4] == 0x4444444444UL
				? "ok"
				: "BAD");
	}
	/* D72: the host sees the guest's virtual timer in the exit record */
	guest_vtimer_set(VTIMER_CVAL, CNTV_ENABLE | CNTV_IMASK);
	mmio_write(DOORBELL, 5); /* armed, not expired: ctl 0x3 */
	guest_vtimer_set(0, CNTV_ENABLE | CNTV_IMASK);
	mmio_write(DOORBELL, 6); /* expired (ISTATUS), masked: ctl 0x7 */
	guest_vtimer_set(0, 0);
	if (gicv3()) {
		/* D71: SGI register writes reach the host; the guest goes on
		 * right after each MSR. The first one wakes vCPU 1. */
		u64 n1 = guest_sgi1r(SGI1R_VALUE), n2 = guest_asgi1r(ASGI1R_VALUE);
		u64 n3 = guest_sgi0r_zero();

		gprintf("SGI register writes: each went on after its MSR (%lu %lu %lu): %s\n", n1,
			n2, n3, n1 == 1 && n2 == 1 && n3 == 1 ? "ok" : "BAD");
	}
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

/* x0..x3: the boot registers at the first instruction; rest: x4..x30 ORed
 * (tests/qemu/guests/start.S). */
void guest_main(u64 x0, u64 x1, u64 x2, u64 x3, u64 rest)
{
	u64 vcpu = mpidr() & 0xF;

	gprintf("boot registers: x0 0x%lx x1 0x%lx x2 0x%lx x3 0x%lx, x4..x30 %s: %s\n", x0, x1,
		x2, x3, rest == 0 ? "zero" : "NOT ZERO",
		x0 == BOOT_X0 + vcpu && x1 == BOOT_X1 && x2 == BOOT_X2 && x3 == BOOT_X3 && rest == 0
			? "ok"
			: "BAD");
	if (vcpu == 0) {
		vcpu0();
		return;
	}
	gprintf("hello from a secondary vCPU\n");
	if (gicv3()) {
		/* the SGI vCPU 0 sends with ICC_SGI1R_EL1 (D71), delivered by
		 * the host as a virtual interrupt */
		u64 r = guest_wait_virq(0);

		gprintf("SGI %lu from vcpu0 taken\n", r & 0x3FF);
	} else {
		__asm__ volatile("wfi");
	}
	gprintf("done\n");
	guest_hvc(HVC_GUEST_DONE, vcpu, 0, 0);
}
