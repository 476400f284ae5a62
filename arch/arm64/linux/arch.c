/* The arch boundary (include/kcore/arch.h) inside Linux 6.1's nVHE EL2
 * image, the home-specific part (the shared CPU operations are
 * ../cpu_ops.c). It reaches the nVHE image only through the symbols of
 * nvhe-symbols.txt, which scripts/check-nvhe-object.sh enforces:
 *  - physical to virtual through pKVM's hyp linear map (6.1's setup.c maps
 *    every memblock region of RAM at EL2: recreate_hyp_mappings);
 *  - a halt is hyp_panic (the host's log gets the hyp PC; KCore's reason
 *    and arguments are kept in kcore_halt_reason for a debugger);
 *  - no SMMU is KCore's inside Linux yet (smmu/none), so VMs boot only in a
 *    build with the named opt-in KCORE_INSECURE_DMA=1 (D45,
 *    ../dma_policy.c: VERIFY_VM -KE_NOTSUPP otherwise);
 *  - the image remap window: COREVISOR's table keeps its bookkeeping as
 *    standalone, and its pages are mirrored into a private hyp VA range
 *    when VERIFY_VM first reads them (remap_window_init, arch_remap_window).
 * KCore's CPUs are numbered from MPIDR as standalone (mpidr_cpu_index). */
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/state.h"

#include "devices.h"
#include "home.h"
#include "kcore_linux.h"
#include "sysreg.h"

/* nVHE's own (arch/arm64/kvm/hyp/include/nvhe/memory.h, nvhe/switch.c). */
extern s64 hyp_physvirt_offset;
__attribute__((noreturn)) void hyp_panic(void);

/* Why KCore halted, for whoever reads hyp memory after the panic. */
struct kcore_halt_reason {
	const char *why;
	u64 a, b;
	u32 cpu;
};
static struct kcore_halt_reason kcore_halt_reason;

void *arch_phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)((s64)pa - hyp_physvirt_offset);
}

/* EL2 runs on pKVM's stage-1 table, not on COREVISOR's as standalone, so
 * the window KCore maps in COREVISOR's table (local_remap_vm_image) is
 * mirrored into a private hyp VA range of the same size, page by page, the
 * first time the core reads a page of it. A window address is given out
 * again only after DESTROY_VM released it (D68,
 * arch_remap_window_released), so a mirrored page does not change while
 * it is mirrored. Under NPT(COREVISOR), which the core
 * holds whenever it reads the window (image_authenticate). */
static u64 window_va;
static u64 window_mirrored[KCORE_REMAP_SIZE / PAGE_SIZE / 64];

void remap_window_init(void)
{
	window_va = kcore_glue_alloc_va(KCORE_REMAP_SIZE);
	if (window_va == 0 || window_va % PAGE_SIZE != 0)
		arch_halt("linux: no hyp VA range for the image remap window", window_va,
			  KCORE_REMAP_SIZE);
}

static void window_mirror(u64 page)
{
	struct npt_entry e = npt_lookup(COREVISOR, KCORE_REMAP_START / PAGE_SIZE + page);

	if (e.level != 3)
		arch_halt("linux: a remap window page not mapped in COREVISOR's table", page, e.level);
	if (kcore_glue_map_page(window_va + page * PAGE_SIZE, e.pfn * PAGE_SIZE) != 0)
		arch_halt("linux: the glue cannot map a remap window page", page, e.pfn);
	window_mirrored[page / 64] |= 1UL << (page % 64);
}

const void *arch_remap_window(u64 va, u64 len)
{
	u64 off = va - KCORE_REMAP_START;

	if (va < KCORE_REMAP_START || len == 0 || len > KCORE_REMAP_SIZE ||
	    off > KCORE_REMAP_SIZE - len)
		arch_halt("linux: a read outside the remap window", va, len);
	for (u64 page = off / PAGE_SIZE; page <= (off + len - 1) / PAGE_SIZE; page++)
		if (!(window_mirrored[page / 64] & 1UL << (page % 64)))
			window_mirror(page);
	return (const void *)(uintptr_t)(window_va + off);
}

/* D68: a window range released by DESTROY_VM may be handed out again with
 * other frames, so each mirrored page of it is unmapped (the glue
 * invalidates the TLBs of every CPU) and forgotten: the next read of the
 * range mirrors the new frames. Under NPT(COREVISOR) and CORE, after the
 * core removed COREVISOR's entries of the range. */
void arch_remap_window_released(u64 va, u64 pages)
{
	u64 off = va - KCORE_REMAP_START;

	if (va < KCORE_REMAP_START || va % PAGE_SIZE || pages > KCORE_REMAP_SIZE / PAGE_SIZE ||
	    off > KCORE_REMAP_SIZE - pages * PAGE_SIZE)
		arch_halt("linux: a released range outside the remap window", va, pages);
	for (u64 page = off / PAGE_SIZE; page < off / PAGE_SIZE + pages; page++) {
		if (!(window_mirrored[page / 64] & 1UL << (page % 64)))
			continue;
		if (kcore_glue_unmap_page(window_va + page * PAGE_SIZE) != 0)
			arch_halt("linux: the glue cannot unmap a remap window page", page, 0);
		window_mirrored[page / 64] &= ~(1UL << (page % 64));
	}
}


u32 arch_cpu_id(void)
{
	u64 id = mpidr_cpu_index(read_sysreg(mpidr_el1));

	if (id >= KCORE_MAX_CPUS)
		hyp_panic(); /* not arch_halt: it records this CPU's id */
	return (u32)id;
}

void arch_halt(const char *why, u64 a, u64 b)
{
	kcore_halt_reason.why = why;
	kcore_halt_reason.a = a;
	kcore_halt_reason.b = b;
	kcore_halt_reason.cpu = arch_cpu_id();
	hyp_panic();
}

/* platform/devices.c's device reads (the redistributors' GICR_TYPER, at
 * init): through a device mapping the glue makes at EL2, one page at a
 * time (the last one kept: the reads walk the frames in order). */
static u64 dev_va(u64 pa)
{
	static u64 mapped_page, mapped_va;
	u64 page = pa & ~(PAGE_SIZE - 1);

	if (page != mapped_page || mapped_va == 0) {
		mapped_va = kcore_glue_map_device(page, PAGE_SIZE);
		mapped_page = page;
		if (mapped_va == 0)
			arch_halt("linux: the glue cannot map a device page", pa, 0);
	}
	return mapped_va + (pa - page);
}

/* The device regions KCore reaches after init (the redistributors, the
 * ITS's control frame), mapped once by linux_map_device. */
#define DEVICE_REGIONS 4
static struct {
	u64 pa, size, va;
} device_region[DEVICE_REGIONS];
static u32 device_regions;

void linux_map_device(u64 pa, u64 size)
{
	u64 va;

	if (size == 0)
		return;
	if (device_regions == DEVICE_REGIONS)
		arch_halt("linux: too many device regions", pa, size);
	va = kcore_glue_map_device(pa, size);
	if (va == 0)
		arch_halt("linux: the glue cannot map a device region", pa, size);
	device_region[device_regions].pa = pa;
	device_region[device_regions].size = size;
	device_region[device_regions].va = va;
	device_regions++;
}

uintptr_t home_device_va(u64 pa)
{
	for (u32 i = 0; i < device_regions; i++)
		if (pa - device_region[i].pa < device_region[i].size)
			return (uintptr_t)(device_region[i].va + (pa - device_region[i].pa));
	arch_halt("linux: a device register outside KCore's device regions", pa, 0);
}

u64 home_virt_to_phys(const void *va)
{
	return (u64)((s64)(uintptr_t)va + hyp_physvirt_offset);
}

u64 platform_dev_read64(u64 pa)
{
	return *(volatile u64 *)(uintptr_t)dev_va(pa);
}

