/* The `dma` and `nosmmu` test hosts (EL1, MMU off, under KCore's stage 2):
 * DMA isolation through the SMMU, with QEMU's edu PCI device (a DMA engine
 * with a 4 KB buffer) behind the SMMUv3. There is no firmware: the host
 * finds the PCIe host bridge in the DTB, finds edu on bus 0, gives it a
 * BAR and turns on memory decoding and bus mastering itself. Every check
 * moves real data with the device and looks at it afterwards (through the
 * device where the host may not look itself), and every blocked DMA must
 * be reported by SMMU_POLL_EVENT. tests/qemu/run.sh, docs/smmu.md.
 *
 * Built with -DSCENARIO_NOSMMU it runs on KCore built without the driver
 * (make SMMU=0), where every SMMU call must be refused. */
#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"

#include "boot.h"
#include "hostlib.h"
#include "platform.h"

#define PCI_MMIO_BASE 0x10000000UL /* QEMU virt's 32-bit PCI MMIO window */
#define EDU_VENDOR 0x1234U
#define EDU_DEVICE 0x11e8U
#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_RUN 1UL
#define EDU_CMD_TO_RAM 2UL /* edu's buffer -> RAM; clear: RAM -> buffer */
#define EDU_BUF 0x40000UL  /* the buffer's address in edu's DMA space */
#define PG 4096UL
/* edu refuses (hw_error) a DMA that ends exactly at its buffer's end */
#define DMA_LEN 2048UL

static u32 passed, failed;

void host_exception(u64 kind, u64 *frame)
{
	u64 esr, elr, far;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, elr_el1" : "=r"(elr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	hprintf("host: [FAIL] unexpected exception %lu at 0x%lx ESR 0x%lx FAR 0x%lx\n", kind, elr,
		esr, far);
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

static long hc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	return host_hvc(fn, a1, a2, a3, a4, 0);
}

#ifdef SCENARIO_NOSMMU
static void scenario(void)
{
	bool all = true;

	check(hc(KCORE_HC_SMMU_ALLOC, 0, 0, 0, 0) == -KE_NOTSUPP,
	      "no SMMU: SMMU_ALLOC is -KE_NOTSUPP");
	all &= hc(KCORE_HC_SMMU_FREE, 0, 0, 0, 0) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_ASSIGN, 0, 0, 0x48100, 0x100) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_MAP, 0, 0, 0x48100000, 0x48100000) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_CLEAR, 0x48100000, 0, 0, 0) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_IOVA_TO_PHYS, 0x48100000, 0, 0, 0) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_ATTACH, 8, 0, 0, 0) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_DETACH, 8, 0, 0, 0) == -KE_NOTSUPP;
	all &= hc(KCORE_HC_SMMU_POLL_EVENT, 0, 0, 0, 0) == -KE_NOTSUPP;
	check(all, "no SMMU: every SMMU call is -KE_NOTSUPP");
	check(hc(KCORE_HC_NOP, 0, 0, 0, 0) == 0 && hc(KCORE_HC_GEN_VMID, 0, 0, 0, 0) == 1,
	      "no SMMU: KCore still answers");
	/* D45: nothing isolates device DMA, and this build did not opt in. */
	check(hc(KCORE_HC_REGISTER_KVM, 1, 0, 0, 0) == 0 &&
		      hc(KCORE_HC_VERIFY_VM, 1, 0, 0, 0) == -KE_NOTSUPP,
	      "no SMMU: VERIFY_VM is refused (-KE_NOTSUPP): no VM boots unprotected");
	check(hc(KCORE_HC_VCPU_RUN, 1, 0, 0, 0) == -KE_STATE, "no SMMU: the VM never runs");
}
#else

/* ---- PCI and edu ---- */
static u64 ecam, edu_bar;
static u32 edu_sid; /* stream id = requester id = bus 0, device, function 0 */

static u32 cfg_rd(u32 dev, u32 off)
{
	return *(volatile u32 *)(uintptr_t)(ecam + ((u64)dev << 15) + off);
}

static void cfg_wr(u32 dev, u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(ecam + ((u64)dev << 15) + off) = v;
}

static u64 edu_rd(u32 off)
{
	return *(volatile u64 *)(uintptr_t)(edu_bar + off);
}

static void edu_wr(u32 off, u64 v)
{
	*(volatile u64 *)(uintptr_t)(edu_bar + off) = v;
}

static bool edu_find(void)
{
	u64 size;

	if (dtb_compatible((const void *)(uintptr_t)QEMU_DTB_BASE, "pci-host-ecam-generic", &ecam,
			   &size) != 0)
		return false;
	for (u32 dev = 0; dev < 32; dev++) {
		u32 id = cfg_rd(dev, 0);

		if ((id & 0xFFFF) != EDU_VENDOR || id >> 16 != EDU_DEVICE)
			continue;
		cfg_wr(dev, 0x10, 0xFFFFFFFFU); /* BAR0's size */
		size = ~(u64)(cfg_rd(dev, 0x10) & ~0xFU) & 0xFFFFFFFFUL;
		cfg_wr(dev, 0x10, (u32)PCI_MMIO_BASE);
		cfg_wr(dev, 0x04, 0x6); /* memory space + bus master */
		edu_bar = PCI_MMIO_BASE;
		edu_sid = dev << 3;
		hprintf("host: edu at 00:%02x.0 (stream %u), BAR0 %lu KB at 0x%lx, ECAM 0x%lx\n", dev,
			edu_sid, (size + 1) >> 10, edu_bar, ecam);
		return (*(volatile u32 *)(uintptr_t)(edu_bar + EDU_ID) & 0xFF) == 0xED;
	}
	return false;
}

static u64 now(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static u64 freq(void)
{
	u64 v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* One DMA of a page: edu reads iova into its buffer (to_ram false) or
 * writes its buffer to iova; returns when edu says it is done (it takes
 * 100 ms of QEMU's virtual time), false on a timeout. */
static bool dma(u64 iova, bool to_ram)
{
	u64 t0 = now();

	edu_wr(EDU_DMA_SRC, to_ram ? EDU_BUF : iova);
	edu_wr(EDU_DMA_DST, to_ram ? iova : EDU_BUF);
	edu_wr(EDU_DMA_CNT, DMA_LEN);
	edu_wr(EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	while (edu_rd(EDU_DMA_CMD) & EDU_CMD_RUN)
		if (now() - t0 > 5 * freq()) {
			hprintf("host: [FAIL] edu DMA timed out\n");
			failed++;
			return false;
		}
	return true;
}

/* ---- pages and patterns ---- */
static u8 pages[8][PG] __attribute__((aligned(4096)));
enum { H_SRC, H_DST, H_SCRATCH, H_CLEAR, V1_PAGE, V2_PAGE, H_SPARE, H_OUT };

static u64 pa(u32 i)
{
	return (u64)(uintptr_t)pages[i];
}

#define UNMAPPED_IOVA 0x60000000UL /* a host page no context maps */

static void fill_at(u64 addr, u64 seed)
{
	volatile u64 *p = (volatile u64 *)(uintptr_t)addr;

	for (u32 w = 0; w < PG / 8; w++)
		p[w] = seed * 0x9E3779B97F4A7C15UL + w;
}

static bool holds_at(u64 addr, u64 seed)
{
	const volatile u64 *p = (const volatile u64 *)(uintptr_t)addr;

	for (u32 w = 0; w < DMA_LEN / 8; w++)
		if (p[w] != seed * 0x9E3779B97F4A7C15UL + w)
			return false;
	return true;
}

static void fill(u32 i, u64 seed)
{
	volatile u64 *p = (volatile u64 *)pages[i];

	for (u32 w = 0; w < PG / 8; w++)
		p[w] = seed * 0x9E3779B97F4A7C15UL + w;
}

static bool holds(u32 i, u64 seed)
{
	const volatile u64 *p = (const volatile u64 *)pages[i];

	for (u32 w = 0; w < DMA_LEN / 8; w++)
		if (p[w] != seed * 0x9E3779B97F4A7C15UL + w)
			return false;
	return true;
}

static bool is_zero(u32 i)
{
	const volatile u64 *p = (const volatile u64 *)pages[i];

	for (u32 w = 0; w < DMA_LEN / 8; w++)
		if (p[w])
			return false;
	return true;
}

/* ---- the SMMU through KCore ---- */
#define IDX 0UL
#define CB_HOST 0UL
#define CB_VM1 1UL
#define CB_VM2 2UL
#define GFN1 0x100UL /* VM 1's page, and VM 2's, at small gfns */
#define GFN2 0x200UL

static bool attach(u64 cb)
{
	return hc(KCORE_HC_SMMU_ATTACH, edu_sid, cb, IDX, 0) == 0;
}

/* QEMU records one fault per failed access of a DMA (a few hundred for
 * one blocked DMA; the event queue keeps the first 64). */
#define MAX_EVENTS 4096U

static void drain_events(void)
{
	for (u32 i = 0; i < MAX_EVENTS && hc(KCORE_HC_SMMU_POLL_EVENT, 0, 0, 0, 0) == 1; i++)
		;
}

/* A recorded fault of edu's stream at iova (the first event is printed). */
static bool fault_reported(u64 iova, u32 want_type)
{
	bool seen = false;
	u32 n = 0;

	for (u32 i = 0; i < MAX_EVENTS; i++) {
		register u64 x0 __asm__("x0") = KCORE_HC_SMMU_POLL_EVENT;
		register u64 x1 __asm__("x1") = 0, x2 __asm__("x2") = 0, x3 __asm__("x3") = 0,
			     x4 __asm__("x4") = 0;

		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)
				 :
				 : "memory", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17");
		u64 got = x0, sid = x1, addr = x2, type = x3, flags = x4; /* before any call */

		if (got != 1)
			break;
		if (n++ == 0)
			hprintf("host: SMMU event: stream %lu iova 0x%lx type 0x%lx (%s)\n", sid, addr,
				type, (flags >> 32) ? "read" : "write");
		if (sid == edu_sid && addr == iova && type == want_type)
			seen = true;
	}
	hprintf("host: %u SMMU events\n", n);
	return seen;
}

/* Load edu's buffer with page i's contents (edu on the host's context,
 * page i mapped there). */
static bool load_buffer(u32 i)
{
	return attach(CB_HOST) && dma(pa(i), false);
}

/* What edu's buffer holds, into page H_OUT (edu on the host's context). */
static bool dump_buffer(void)
{
	for (u32 w = 0; w < PG / 8; w++)
		((volatile u64 *)pages[H_OUT])[w] = 0;
	return attach(CB_HOST) && dma(pa(H_OUT), true);
}

static void host_context(void)
{
	u64 kcore_code = KCORE_IMAGE_BASE;
	bool ok;

	/* The host's context maps its own pages at iova == pa. */
	ok = hc(KCORE_HC_SMMU_ALLOC, CB_HOST, 0 /* HOSTVISOR */, IDX, 0) == 0;
	for (u32 i = H_SRC; i <= H_CLEAR; i++)
		ok &= hc(KCORE_HC_SMMU_MAP, CB_HOST, IDX, pa(i), pa(i)) == 0;
	ok &= hc(KCORE_HC_SMMU_MAP, CB_HOST, IDX, pa(H_OUT), pa(H_OUT)) == 0;
	ok &= hc(KCORE_HC_SMMU_MAP, CB_HOST, IDX, pa(H_SPARE), pa(H_SPARE)) == 0;

	/* Not attached yet: the stream aborts (silently: no fault record). */
	fill(H_DST, 7);
	fill(H_SRC, 1);
	dma(pa(H_DST), true);
	check(ok && holds(H_DST, 7), "a device that is not attached cannot DMA (data unchanged)");

	drain_events();
	ok = attach(CB_HOST) && dma(pa(H_SRC), false);
	check(ok && !fault_reported(pa(H_SRC), KCORE_SMMU_EVT_F_TRANSLATION),
	      "DMA from a host page mapped for the device reaches edu's buffer");
	fill(H_DST, 2);
	ok = dma(pa(H_DST), true);
	check(ok && holds(H_DST, 1), "DMA into a host page mapped for the device arrives");

	/* KCore's own page: refused to the map, and the device gets nothing
	 * of it (KCore's first instructions are not zero: a buffer that is
	 * still the pattern, or zeros, did not receive them). */
	check(hc(KCORE_HC_SMMU_MAP, CB_HOST, IDX, kcore_code, kcore_code) == -KE_OWNER,
	      "mapping KCore's page for the device is refused");
	fill(H_SCRATCH, 3);
	load_buffer(H_SCRATCH);
	drain_events();
	dma(kcore_code, false);
	ok = fault_reported(kcore_code, KCORE_SMMU_EVT_F_TRANSLATION);
	dump_buffer();
	check(holds(H_OUT, 3) || is_zero(H_OUT), "DMA to KCore's page is blocked (KCore's memory unchanged)");
	check(ok, "the fault at KCore's page is reported (F_TRANSLATION)");
	dma(kcore_code, true);
	check(fault_reported(kcore_code, KCORE_SMMU_EVT_F_TRANSLATION) &&
		      hc(KCORE_HC_NOP, 0, 0, 0, 0) == 0,
	      "a DMA write to KCore's page is blocked and reported; KCore still answers");

	/* An iova nothing is mapped at. */
	fill(H_SRC, 4);
	load_buffer(H_SRC);
	fill_at(UNMAPPED_IOVA, 5);
	drain_events();
	dma(UNMAPPED_IOVA, true);
	check(fault_reported(UNMAPPED_IOVA, KCORE_SMMU_EVT_F_TRANSLATION) &&
		      holds_at(UNMAPPED_IOVA, 5),
	      "DMA to an unmapped iova is blocked and reported");

	/* SMMU_CLEAR: the device used the mapping (the SMMU's TLB holds it),
	 * then it is cleared; the invalidation must make the next DMA fail. */
	fill(H_SRC, 6);
	fill(H_CLEAR, 8);
	load_buffer(H_SRC);
	dma(pa(H_CLEAR), true);
	ok = holds(H_CLEAR, 6);
	fill(H_CLEAR, 8);
	ok &= hc(KCORE_HC_SMMU_CLEAR, pa(H_CLEAR), CB_HOST, IDX, 0) == 0;
	ok &= hc(KCORE_HC_SMMU_IOVA_TO_PHYS, pa(H_CLEAR), CB_HOST, IDX, 0) == 0;
	drain_events();
	dma(pa(H_CLEAR), true);
	check(ok && holds(H_CLEAR, 8) && fault_reported(pa(H_CLEAR), KCORE_SMMU_EVT_F_TRANSLATION),
	      "after SMMU_CLEAR, DMA to that iova fails and is reported");
}

/* Two VMs, each with a device context and one page given through the
 * SMMU. The host cannot read a VM's page: the device reads it back for
 * the test (attached to the VM's context, then its buffer dumped through
 * the host's context). */
static void vm_contexts(void)
{
	long v1 = hc(KCORE_HC_GEN_VMID, 0, 0, 0, 0), v2 = hc(KCORE_HC_GEN_VMID, 0, 0, 0, 0);
	u64 v1pfn = pa(V1_PAGE) >> 12, v2pfn = pa(V2_PAGE) >> 12;
	bool ok;

	fill(V1_PAGE, 10);
	fill(V2_PAGE, 20);
	ok = hc(KCORE_HC_REGISTER_KVM, (u64)v1, 0, 0, 0) == 0 &&
	     hc(KCORE_HC_REGISTER_KVM, (u64)v2, 0, 0, 0) == 0;
	ok &= hc(KCORE_HC_SMMU_ALLOC, CB_VM1, (u64)v1, IDX, 0) == 0;
	ok &= hc(KCORE_HC_SMMU_ALLOC, CB_VM2, (u64)v2, IDX, 0) == 0;
	ok &= hc(KCORE_HC_SMMU_ASSIGN, CB_VM1, IDX, v1pfn, GFN1) == 0;
	ok &= hc(KCORE_HC_SMMU_ASSIGN, CB_VM2, IDX, v2pfn, GFN2) == 0;
	ok &= hc(KCORE_HC_SMMU_MAP, CB_VM1, IDX, GFN1 << 12, pa(V1_PAGE)) == 0;
	ok &= hc(KCORE_HC_SMMU_MAP, CB_VM2, IDX, GFN2 << 12, pa(V2_PAGE)) == 0;
	if (!ok)
		hprintf("host: [FAIL] VM contexts not set up\n");

	/* The host's context cannot take VM 1's page; its DMA there fails. */
	check(hc(KCORE_HC_SMMU_MAP, CB_HOST, IDX, pa(V1_PAGE), pa(V1_PAGE)) == -KE_OWNER,
	      "mapping another VM's page into the host's context is refused");
	fill(H_SRC, 11);
	load_buffer(H_SRC);
	drain_events();
	dma(pa(V1_PAGE), true);
	ok = fault_reported(pa(V1_PAGE), KCORE_SMMU_EVT_F_TRANSLATION);
	/* VM 1's page, read by the device on VM 1's context: still pattern 10. */
	ok &= attach(CB_VM1) && dma(GFN1 << 12, false) && dump_buffer();
	check(ok && holds(H_OUT, 10), "DMA to another VM's page is blocked and reported");
	check(holds(H_OUT, 10), "the device attached to the VM reads the VM's page at its gfn");

	/* Writes through VM 1's context land in VM 1's page at its gfn. */
	fill(H_SRC, 12);
	load_buffer(H_SRC);
	ok = attach(CB_VM1) && dma(GFN1 << 12, true);
	fill(H_SRC, 13);
	load_buffer(H_SRC); /* the buffer now holds something else */
	ok &= attach(CB_VM1) && dma(GFN1 << 12, false) && dump_buffer();
	check(ok && holds(H_OUT, 12), "the device attached to the VM writes the VM's page at its gfn");

	/* On VM 1's context, neither the page's physical address nor VM 2's
	 * gfn reaches anything; VM 2's page keeps its data. */
	attach(CB_VM1);
	drain_events();
	dma(pa(V1_PAGE), true);
	check(fault_reported(pa(V1_PAGE), KCORE_SMMU_EVT_F_TRANSLATION),
	      "the device attached to the VM cannot reach the page at its physical address");
	drain_events();
	dma(GFN2 << 12, true);
	ok = fault_reported(GFN2 << 12, KCORE_SMMU_EVT_F_TRANSLATION);
	ok &= attach(CB_VM2) && dma(GFN2 << 12, false) && dump_buffer();
	check(ok && holds(H_OUT, 20), "the device attached to the VM cannot reach the other VM's page");

	/* Once VM 1 is verified, no device can be attached to it. One that
	 * was attached before stays, until its context is freed. */
	ok = attach(CB_VM1);
	ok &= hc(KCORE_HC_VERIFY_VM, (u64)v1, 0, 0, 0) == 0;
	check(ok && hc(KCORE_HC_SMMU_ATTACH, edu_sid + 1, CB_VM1, IDX, 0) == -KE_STATE,
	      "attaching a device to a verified VM is refused");
	/* edu is now VM 1's: the host cannot take it (and what it can reach
	 * or has read) to its own context, nor detach it. */
	check(hc(KCORE_HC_SMMU_ATTACH, edu_sid, CB_HOST, IDX, 0) == -KE_BUSY &&
		      hc(KCORE_HC_SMMU_DETACH, edu_sid, IDX, 0, 0) == -KE_BUSY,
	      "a verified VM's device cannot be moved to the host or detached");

	/* Freed (after power-off) while edu is still attached to it: the
	 * context's table still maps GFN1 -> the page, which CLEAR_VM_PAGE
	 * then gives back to the host, zeroed. The device must be detached,
	 * or its DMA would land in that host page. */
	ok = hc(KCORE_HC_POWEROFF_VM, (u64)v1, 0, 0, 0) == 0;
	ok &= hc(KCORE_HC_SMMU_FREE, CB_VM1, IDX, 0, 0) == 0;
	ok &= hc(KCORE_HC_CLEAR_VM_PAGE, (u64)v1, v1pfn, 0, 0) == 0;
	ok &= is_zero(V1_PAGE);
	dma(GFN1 << 12, true); /* edu's buffer holds pattern 13 */
	check(ok && is_zero(V1_PAGE), "freeing the VM's context detaches its device");
}

static void scenario(void)
{
	check(edu_find(), "edu found on bus 0");
	if (!edu_bar)
		return;
	host_context();
	vm_contexts();
}
#endif

void host_main(void)
{
	scenario();
	hprintf("host: %u passed, %u failed\n", passed, failed);
	host_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}
