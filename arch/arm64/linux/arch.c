/* The arch boundary (include/kcore/arch.h) inside Linux 6.1's nVHE EL2
 * image, the home-specific part (the shared CPU operations are
 * ../cpu_ops.c). It reaches the nVHE image only through the symbols of
 * nvhe-symbols.txt, which scripts/check-nvhe-object.sh enforces:
 *  - physical to virtual through pKVM's hyp linear map (6.1's setup.c maps
 *    every memblock region of RAM at EL2: recreate_hyp_mappings);
 *  - a halt is hyp_panic (the host's log gets the hyp PC; KCore's reason
 *    and arguments are kept in kcore_halt_reason for a debugger);
 *  - no SMMU is KCore's inside Linux yet, so VMs do not boot (D45: VERIFY_VM
 *    -KE_NOTSUPP), and the image remap window, which only VERIFY_VM reads,
 *    is not mapped: reaching it is a broken invariant.
 * KCore's CPUs are numbered from MPIDR as standalone (mpidr_cpu_index). */
#include "kcore/arch.h"
#include "kcore/constants.h"

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

const void *arch_remap_window(u64 va, u64 len)
{
	arch_halt("remap window: not mapped inside Linux yet", va, len);
}

bool arch_dma_policy_allows_vms(void)
{
	return false;
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

