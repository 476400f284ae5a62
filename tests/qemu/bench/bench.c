/* `make bench`: KCore's EL2 instruction counts, measured from the test host
 * at EL1 (built with tests/qemu/host/start.S: its entry, vectors, host_hvc
 * and host_smc). QEMU runs with -icount shift=0 and one TCG thread, so the
 * PMU's INST_RETIRED (event 0x08) is exact; KCore gives every counter to EL1
 * (MDCR_EL2.HPMN = PMCR_EL0.N, TPM = TPMCR = 0, arch/arm64/traps.c
 * host_stage2_init). Counter 0 counts event 0x08 with P = U = 1 (not at EL1,
 * not at EL0) and NSH = 1 (at EL2): only KCore's instructions. The host
 * reads it before and after an operation; the difference is what KCore ran
 * for it, from the exception entry to its ERET. Each operation is repeated
 * and min / median / max printed: they are equal when the path is the same
 * every time. The world-switch rows use a VM of its own (bvm_*: the guest is
 * tests/qemu/bench/guest.S): its guest reads the same counter around a grant
 * and an MMIO exit (KCore does not switch the PMU), and the host measures
 * VCPU_RUN with and without a mapping request. docs/bench.md explains each
 * row. */
#include <stdarg.h>

#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"
#include "kcore/vcpu.h"

#include "fmt.h"
#include "hostlib.h"
#include "platform.h"

#define REPS 8        /* repetitions of a repeatable operation */
#define VM_REPS 5     /* GEN_VMID and what follows it: one VM each */
#define MAX_REPS 16

/* PMEVTYPER<n>_EL0: P (31) = do not count EL1, U (30) = do not count EL0,
 * NSH (27) = count EL2; event 0x08 = INST_RETIRED. */
#define PMU_EVTYPE_EL2_ONLY ((1UL << 31) | (1UL << 30) | (1UL << 27) | 0x08)

extern char __host_bss_end[];

static u32 bad; /* unexpected results */

/* No exception is expected at EL1 here: report it and power off. */
void host_exception(u64 kind, u64 *frame)
{
	u64 esr, elr, far;

	(void)frame;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	hprintf("bench: [FAIL] exception kind %lu at 0x%lx ESR 0x%lx FAR 0x%lx\n", kind, elr, esr,
		far);
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}

static void pmu_init(void)
{
	u64 pmcr;

	__asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
	hprintf("bench: PMCR_EL0 0x%lx (N = %lu counters)\n", pmcr, (pmcr >> 11) & 0x1F);
	__asm__ volatile("msr pmcntenclr_el0, %0" : : "r"(~0UL));
	__asm__ volatile("msr pmevtyper0_el0, %0" : : "r"(PMU_EVTYPE_EL2_ONLY));
	__asm__ volatile("msr pmcr_el0, %0" : : "r"((pmcr & ~0xFFUL) | 1UL | 2UL)); /* E, P (reset) */
	__asm__ volatile("msr pmcntenset_el0, %0" : : "r"(1UL));
	__asm__ volatile("isb");
}

static inline u64 el2_insns(void)
{
	u64 v;

	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(v) : : "memory");
	return v;
}

/* One measured hypercall: KCore's instructions for it. */
__attribute__((noinline)) static u64 hvc_cost(u64 fn, u64 a1, u64 a2, u64 a3, long *ret)
{
	u64 t0 = el2_insns(), t1;

	*ret = host_hvc(fn, a1, a2, a3, 0, 0);
	t1 = el2_insns();
	return t1 - t0;
}

__attribute__((noinline)) static u64 read_cost(u64 pa)
{
	u64 t0 = el2_insns(), t1;

	(void)*(volatile u64 *)(uintptr_t)pa;
	t1 = el2_insns();
	return t1 - t0;
}

__attribute__((noinline)) static u64 smc_cost(u64 fn)
{
	u64 t0 = el2_insns(), t1;

	(void)host_smc(fn, 0, 0, 0);
	t1 = el2_insns();
	return t1 - t0;
}

static void expect(long got, long want, const char *what)
{
	if (got != want) {
		hprintf("bench: [FAIL] %s -> %ld, expected %ld\n", what, got, want);
		bad++;
	}
}

struct row {
	const char *name;
	u64 v[MAX_REPS];
	u32 n;
	u64 target; /* 0: none set */
};

static void sort(u64 *v, u32 n)
{
	for (u32 i = 1; i < n; i++)
		for (u32 j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* fmt.c pads numbers only: strings are padded here. */
static void put_padded(const char *s, u32 width)
{
	u32 n = 0;

	for (; *s; s++, n++)
		host_putc(*s);
	for (; n < width; n++)
		host_putc(' ');
}

static void print_row(struct row *r)
{
	sort(r->v, r->n);
	hprintf("bench: | ");
	put_padded(r->name, 50);
	hprintf(" | %6lu | %6lu | %6lu | %2u | ", r->v[0], r->v[r->n / 2], r->v[r->n - 1], r->n);
	if (r->target)
		hprintf("<= %4lu %s |\n", r->target, r->v[r->n / 2] <= r->target ? "met   " : "MISSED");
	else
		hprintf("               |\n");
}

/* The host's own image, BSS and stack, touched once before any measurement
 * so that no measured operation also pays a stage-2 fault for them. */
static void touch_own_pages(void)
{
	for (u64 pa = HOST_IMAGE_BASE; pa < (u64)(uintptr_t)__host_bss_end; pa += 4096)
		(void)*(volatile u64 *)(uintptr_t)pa;
}

/* Pages nobody touched yet (host RAM above the test host's image). */
#define FRESH_BLOCKS 0x60000000UL /* one page in each of REPS fresh 2 MB blocks */
#define FRESH_PAGES 0x70000000UL  /* REPS pages in one 2 MB block, after its first */
#define IMAGE_PAGES 0x78000000UL  /* host pages remapped as VM images */

static struct row rows[] = {
	{ "host NOP hypercall", { 0 }, 0, 100 },
	{ "host stage-2 fault (level-3 table exists)", { 0 }, 0, 600 },
	{ "host stage-2 fault + a new level-3 table", { 0 }, 0, 0 },
	{ "refused: REGISTER_KVM(99) -> -KE_RANGE", { 0 }, 0, 0 },
	{ "refused: unknown function id -> -KE_NOFUNC", { 0 }, 0, 0 },
	{ "GEN_VMID", { 0 }, 0, 0 },
	{ "REGISTER_KVM(vmid)", { 0 }, 0, 0 },
	{ "REGISTER_VCPU(vmid, 0)", { 0 }, 0, 0 },
	{ "SET_BOOT_INFO(vmid, 0x80000, 4 KB)", { 0 }, 0, 0 },
	{ "REMAP_VM_IMAGE(vmid, pfn, 0), one page", { 0 }, 0, 0 },
	{ "host SMC PSCI_VERSION (trapped, forwarded)", { 0 }, 0, 0 },
	{ "guest HVC grant of one page (SET_DESC_PFN)", { 0 }, 0, 400 },
	{ "VM exit to the host and back (MMIO write)", { 0 }, 0, 1000 },
	{ "VCPU_RUN, guest exits at once (HVC), no request", { 0 }, 0, 0 },
	{ "VCPU_RUN + map request, 4 KB page", { 0 }, 0, 0 },
	{ "VCPU_RUN + map request, 2 MB block", { 0 }, 0, 0 },
	{ "assign + map, 4 KB page (difference)", { 0 }, 0, 1000 },
	{ "assign + map, 2 MB block (difference)", { 0 }, 0, 0 },
	{ "assign + map, 2 MB block, per 4 KB page", { 0 }, 0, 200 },
	/* issue 4: signed images and encrypted export (verify_bench) */
	{ "VERIFY_VM, 1 MB signed image (256 pages)", { 0 }, 0, 0 },
	{ "VERIFY_VM, 1 MB signed image, per byte", { 0 }, 0, 0 },
	{ "SAVE_ENCRYPT_BUF, one 4 KB page", { 0 }, 0, 0 },
	{ "SAVE_ENCRYPTED_VCPU", { 0 }, 0, 0 },
};

enum { R_NOP, R_FAULT, R_FAULT_BLOCK, R_RANGE, R_NOFUNC, R_GEN, R_REG, R_VCPU, R_BOOT, R_REMAP,
       R_SMC, R_GRANT, R_EXIT, R_RUN, R_RUN_PAGE, R_RUN_BLOCK, R_MAP_PAGE, R_MAP_BLOCK,
       R_MAP_BLOCK_PER_PAGE, R_VERIFY, R_VERIFY_PER_BYTE, R_EXPORT, R_EXPORT_VCPU, R_COUNT };

static void add(u32 r, u64 v)
{
	if (rows[r].n < MAX_REPS)
		rows[r].v[rows[r].n++] = v;
}

static void measure(void)
{
	long ret;

	(void)*(volatile u64 *)(uintptr_t)FRESH_PAGES; /* the block's table exists */
	for (u32 i = 0; i < REPS; i++) {
		add(R_NOP, hvc_cost(KCORE_HC_NOP, 0, 0, 0, &ret));
		expect(ret, 0, "NOP");
		add(R_FAULT, read_cost(FRESH_PAGES + (i + 1) * 4096UL));
		add(R_FAULT_BLOCK, read_cost(FRESH_BLOCKS + i * (2UL << 20)));
		add(R_RANGE, hvc_cost(KCORE_HC_REGISTER_KVM, 99, 0, 0, &ret));
		expect(ret, -KE_RANGE, "REGISTER_KVM(99)");
		add(R_NOFUNC, hvc_cost(KCORE_HC_MAX, 0, 0, 0, &ret));
		expect(ret, -KE_NOFUNC, "unknown id");
		add(R_SMC, smc_cost(PSCI_VERSION));
	}
	for (u32 i = 0; i < VM_REPS; i++) {
		u64 vmid, pfn = (IMAGE_PAGES >> 12) + i;

		(void)*(volatile u64 *)(uintptr_t)(pfn << 12); /* the host owns and maps it */
		add(R_GEN, hvc_cost(KCORE_HC_GEN_VMID, 0, 0, 0, &ret));
		expect(ret, (long)i + 1, "GEN_VMID");
		vmid = (u64)ret;
		add(R_REG, hvc_cost(KCORE_HC_REGISTER_KVM, vmid, 0, 0, &ret));
		expect(ret, 0, "REGISTER_KVM");
		add(R_VCPU, hvc_cost(KCORE_HC_REGISTER_VCPU, vmid, 0, 0, &ret));
		expect(ret, 0, "REGISTER_VCPU");
		add(R_BOOT, hvc_cost(KCORE_HC_SET_BOOT_INFO, vmid, 0x80000, 4096, &ret));
		expect(ret, 0, "SET_BOOT_INFO");
		add(R_REMAP, hvc_cost(KCORE_HC_REMAP_VM_IMAGE, vmid, pfn, 0, &ret));
		expect(ret, 0, "REMAP_VM_IMAGE");
	}
}

/* The bench VM (tests/qemu/bench/guest.S), in host memory at BVM_BASE: its
 * image copy, the pages the host maps on its stage-2 faults, its run page,
 * the 4 KB pages and the 2 MB blocks of the assign + map measurements. */
extern const u8 bench_guest_image[], bench_guest_image_end[];

#define GUEST_LOAD 0x40080000UL
#define BVM_BASE 0x50000000UL
#define BVM_POOL (BVM_BASE + 0x100000UL)
#define BVM_RUN (BVM_BASE + 0x400000UL)
#define BVM_PAGES (BVM_BASE + 0x500000UL)  /* REPS + 1 pages given by map requests */
#define BVM_BLOCKS 0x52000000UL            /* REPS 2 MB blocks */
#define MAP_IPA_PAGES 0x40600000UL         /* a 2 MB IPA region: its first page maps the table */
#define MAP_IPA_BLOCKS 0x40800000UL        /* REPS 2 MB IPA blocks */
#define HVC_REPORT 0xC6000201UL
#define HVC_IDLE 0xC6000202UL

static long vmid_b;
static struct kcore_run_page *rp_b = (struct kcore_run_page *)(uintptr_t)BVM_RUN;
static u64 next_pool = BVM_POOL;

static void touch(u64 pa, u64 size)
{
	for (u64 off = 0; off < size; off += 4096)
		*(volatile u64 *)(uintptr_t)(pa + off) = 0;
}

static void bvm_create(void)
{
	u64 size = (u64)(uintptr_t)bench_guest_image_end - (u64)(uintptr_t)bench_guest_image;
	long r;

	for (u64 i = 0; i < size; i++)
		((volatile u8 *)(uintptr_t)BVM_BASE)[i] = bench_guest_image[i];
	touch(BVM_RUN, 4096);
	rp_b->entry_pc = GUEST_LOAD;
	rp_b->entry_pstate = 0x3C5; /* EL1h, DAIF masked */
	vmid_b = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);
	expect(vmid_b > 0 ? 0 : vmid_b, 0, "GEN_VMID (bench VM)");
	expect(host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid_b, 0, 0, 0, 0), 0, "REGISTER_KVM (VM)");
	r = host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid_b, GUEST_LOAD, size, 0, 0);
	expect(r, 0, "SET_BOOT_INFO (VM)");
	for (u64 i = 0; i < (size + 4095) / 4096; i++)
		expect(host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid_b, (BVM_BASE >> 12) + i, 0, 0, 0),
		       0, "REMAP_VM_IMAGE (VM)");
	expect(host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid_b, 0, 0, 0, 0), 0, "REGISTER_VCPU (VM)");
	expect(host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid_b, 0, BVM_RUN, 0, 0), 0,
	       "REGISTER_RUN_PAGE (VM)");
	expect(host_hvc(KCORE_HC_VERIFY_VM, (u64)vmid_b, 0, 0, 0, 0), 0, "VERIFY_VM (VM)");
}

/* Runs the bench VM until it has reported REPS times: stage-2 faults are
 * answered with a 4 KB page (the image copy or a pool page), MMIO writes
 * ignored, reports recorded. */
static void bvm_guest_side(void)
{
	u32 reports = 0;

	for (u32 steps = 0; reports < REPS && steps < 1000; steps++) {
		long r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vmid_b, 0, 0, 0, 0);

		rp_b->map_addr = 0;
		if (r == KCORE_EXIT_S2FAULT) {
			u64 ipa = rp_b->exit_fault_ipa & ~0xFFFUL;

			rp_b->map_addr = ipa;
			rp_b->map_level = 3;
			if (ipa >= GUEST_LOAD && ipa < GUEST_LOAD + 0x80000UL) {
				rp_b->map_pte = BVM_BASE + (ipa - GUEST_LOAD);
			} else {
				rp_b->map_pte = next_pool;
				touch(next_pool, 4096);
				next_pool += 4096;
			}
		} else if (r == KCORE_EXIT_HVC && rp_b->exit_hvc_args[0] == HVC_REPORT) {
			add(R_GRANT, rp_b->exit_hvc_args[1]);
			add(R_EXIT, rp_b->exit_hvc_args[2]);
			expect((long)rp_b->exit_hvc_args[3], 0, "guest grant / revoke");
			reports++;
		} else if (r != KCORE_EXIT_MMIO) {
			hprintf("bench: [FAIL] bench VM: VCPU_RUN -> %ld\n", r);
			bad++;
			return;
		}
	}
	if (reports < REPS) {
		hprintf("bench: [FAIL] bench VM: %u reports\n", reports);
		bad++;
	}
}

/* One VCPU_RUN of the bench VM, which exits at once (HVC_IDLE); with a
 * mapping request when level != 0. KCore's instructions for it. */
__attribute__((noinline)) static u64 bvm_run_cost(u64 ipa, u64 pa, u64 level)
{
	long r;
	u64 c;

	rp_b->map_addr = level ? ipa : 0;
	rp_b->map_pte = pa;
	rp_b->map_level = level;
	c = hvc_cost(KCORE_HC_VCPU_RUN, (u64)vmid_b, 0, 0, &r);
	rp_b->map_addr = 0;
	if (r != KCORE_EXIT_HVC || rp_b->exit_hvc_args[0] != HVC_IDLE) {
		hprintf("bench: [FAIL] bench VM: VCPU_RUN (map level %lu) -> %ld\n", level, r);
		bad++;
	}
	return c;
}

static void bvm_host_side(void)
{
	touch(BVM_PAGES, (REPS + 1) * 4096UL);
	touch(BVM_BLOCKS, REPS * (2UL << 20));
	(void)bvm_run_cost(0, 0, 0);
	(void)bvm_run_cost(MAP_IPA_PAGES, BVM_PAGES, 3); /* the IPA region's level-3 table */
	for (u32 i = 0; i < REPS; i++) {
		u64 base = bvm_run_cost(0, 0, 0);
		u64 page = bvm_run_cost(MAP_IPA_PAGES + (i + 1) * 4096UL,
					BVM_PAGES + (i + 1) * 4096UL, 3);
		u64 block = bvm_run_cost(MAP_IPA_BLOCKS + i * (2UL << 20),
					 BVM_BLOCKS + i * (2UL << 20), 2);

		add(R_RUN, base);
		add(R_RUN_PAGE, page);
		add(R_RUN_BLOCK, block);
		add(R_MAP_PAGE, page - base);
		add(R_MAP_BLOCK, block - base);
		add(R_MAP_BLOCK_PER_PAGE, (block - base + 511) / 512);
	}
}

/* Issue 4: VERIFY_VM of a 1 MB signed image (bench_big_image, signed by the
 * build for BIG_LOAD), each time in a new VM with its own copy; then the
 * bench VM's image page exported (two host pages per blob) and its vCPU. */
extern const u8 bench_big_image[], bench_big_image_end[];

#define BIG_LOAD 0x40000000UL
#define BIG_COPIES 0x58000000UL /* VERIFY_REPS copies, 1 MB apart */
#define BLOBS 0x5A000000UL
#define VERIFY_REPS 2

static void verify_bench(void)
{
	u64 size = (u64)(uintptr_t)bench_big_image_end - (u64)(uintptr_t)bench_big_image;
	long ret;

	for (u32 i = 0; i < VERIFY_REPS; i++) {
		u64 copy = BIG_COPIES + i * 0x100000UL, c;
		long vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);

		for (u64 j = 0; j < size / 8; j++)
			((volatile u64 *)(uintptr_t)copy)[j] = ((const u64 *)bench_big_image)[j];
		expect(host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0), 0, "REGISTER_KVM (big)");
		expect(host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid, BIG_LOAD, size, 0, 0), 0,
		       "SET_BOOT_INFO (big)");
		for (u64 p = 0; p < size / 4096; p++)
			expect(host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid, (copy >> 12) + p, 0, 0, 0), 0,
			       "REMAP_VM_IMAGE (big)");
		c = hvc_cost(KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, &ret);
		expect(ret, 0, "VERIFY_VM (1 MB signed image)");
		add(R_VERIFY, c);
		add(R_VERIFY_PER_BYTE, (c + size / 2) / size);
	}
	touch(BLOBS, REPS * 2 * 4096UL);
	for (u32 i = 0; i < REPS; i++) {
		add(R_EXPORT, hvc_cost(KCORE_HC_SAVE_ENCRYPT_BUF, (u64)vmid_b, BVM_BASE,
				       BLOBS + i * 2 * 4096UL, &ret));
		expect(ret, 0, "SAVE_ENCRYPT_BUF");
		add(R_EXPORT_VCPU, hvc_cost(KCORE_HC_SAVE_ENCRYPTED_VCPU, (u64)vmid_b, 0,
					    BLOBS + i * 2 * 4096UL, &ret));
		expect(ret, 0, "SAVE_ENCRYPTED_VCPU");
	}
}

void host_main(void)
{
	hprintf("bench: KCore EL2 instruction counts (PMU INST_RETIRED at EL2 only, -icount "
		"shift=0)\n");
	touch_own_pages();
	pmu_init();
	if (el2_insns() != el2_insns()) {
		hprintf("bench: [FAIL] the EL2-only counter moves while the host runs at EL1\n");
		bad++;
	}
	measure();
	bvm_create();
	bvm_guest_side();
	bvm_host_side();
	verify_bench();
	hprintf("bench: | ");
	put_padded("operation (KCore's EL2 instructions)", 50);
	hprintf(" |    min | median |    max |  n | target         |\n");
	for (u32 r = 0; r < R_COUNT; r++)
		print_row(&rows[r]);
	hprintf("bench: %s\n", bad ? "[FAIL] unexpected results above" : "done");
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}
