/* KCore's standalone boot on QEMU virt, primary CPU (boot/start.S calls
 * boot_main at EL2 with the MMU off): find RAM in the DTB, place the pools
 * after the image, kcore_init, KCore's own EL2 table and MMU, the host's
 * stage 2 (empty), then the host at EL1. docs/qemu.md has the memory map. */
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

#include "boot.h"
#include "platform.h"
#include "mmio_mediate.h"
#include "smccc.h"
#include "sysreg.h"
#include "vgic.h"

#define FALLBACK_RAM_SIZE (256UL << 20) /* enough for KCore and the test host */

u8 el2_stacks[KCORE_MAX_CPUS][EL2_STACK_SIZE] __attribute__((aligned(16)));
_Static_assert(BOOT_MAX_CPUS == KCORE_MAX_CPUS, "boot/platform.h BOOT_MAX_CPUS");

/* home.h: the top of CPU cpu's EL2 stack (start.S computes the same). */
u64 home_el2_stack_top(u32 cpu)
{
	return (u64)(uintptr_t)&el2_stacks[cpu][EL2_STACK_SIZE];
}

void boot_main(u64 dtb_arg);

static u64 page_up(u64 x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* QEMU passes the DTB in x0 to a Linux image; for an ELF it leaves it at the
 * start of RAM. Take whichever holds a valid blob. */
static const void *boot_find_dtb(u64 dtb_arg)
{
	if (dtb_arg && dtb_valid((const void *)(uintptr_t)dtb_arg))
		return (const void *)(uintptr_t)dtb_arg;
	if (dtb_valid((const void *)(uintptr_t)QEMU_DTB_BASE))
		return (const void *)(uintptr_t)QEMU_DTB_BASE;
	return NULL;
}

static void boot_ram(const void *dtb, u64 *base, u64 *size)
{
	if (!dtb || dtb_memory(dtb, base, size) != 0) {
		console_printf("kcore: no DTB memory node: assuming %lu MB of RAM at 0x%lx\n",
			       FALLBACK_RAM_SIZE >> 20, (u64)KCORE_RAM_BASE);
		*base = KCORE_RAM_BASE;
		*size = FALLBACK_RAM_SIZE;
		return;
	}
	if (*base != KCORE_RAM_BASE)
		arch_halt("boot: RAM does not start where KCore was built for", *base, *size);
	if (*size > KCORE_RAM_MAX_PAGES * PAGE_SIZE) {
		console_printf("kcore: RAM 0x%lx bytes, using the first %lu MB (KCORE_RAM_MAX_PAGES)\n",
			       *size, (KCORE_RAM_MAX_PAGES * PAGE_SIZE) >> 20);
		*size = KCORE_RAM_MAX_PAGES * PAGE_SIZE;
	}
	*size &= ~(PAGE_SIZE - 1);
}

/* D41: the boot salt of the VM export keys, from the firmware's per-boot
 * entropy (QEMU puts 32 random bytes in /chosen/rng-seed at every boot).
 * Read before the host runs, so the host cannot choose it; it is not a
 * secret (the device secret is), it only has to differ from boot to boot. */
static void boot_salt(const void *dtb)
{
	u8 seed[32];
	int n = dtb ? dtb_chosen_prop(dtb, "rng-seed", seed, sizeof(seed)) : -1;

	/* D52: without a salt the core refuses every SAVE_* hypercall. */
	kcore_set_boot_salt(n > 0 ? seed : NULL, n > 0 ? (u32)n : 0);
	for (u32 i = 0; i < sizeof(seed); i++)
		seed[i] = 0;
	if (n >= 16)
		console_printf("kcore: export key boot salt from /chosen/rng-seed (%d bytes)\n", n);
	else
		console_printf("kcore: WARNING: no /chosen/rng-seed: VM export refused (SAVE_* "
			       "-KE_NOTSUPP), its keys would repeat across boots\n");
}

/* D45: say which DMA mode is in force, where every boot log shows it. The
 * allow-list gave the host the PCIe bridge because the DTB named an SMMU:
 * that SMMU must now be KCore's. */
static void boot_dma_policy(void)
{
	if (plat.dma_isolated && !smmu_hw_available())
		arch_halt("boot: the DTB's SMMU is not under KCore's control", 0, 0);
	if (smmu_hw_available())
		console_printf("kcore: DMA isolation: on (the SMMUv3 is KCore's): VMs may boot\n");
	else if (plat.insecure_dma)
		console_printf("kcore: WARNING: INSECURE DMA (built with KCORE_INSECURE_DMA=1): no SMMU "
			       "isolates device DMA; VMs boot UNPROTECTED from it\n");
	else
		console_printf("kcore: DMA isolation: none (no SMMU under KCore's control): VERIFY_VM "
			       "refused (-KE_NOTSUPP); KCORE_INSECURE_DMA=1 opts in to unprotected VMs\n");
}

/* platform/devices.c's device reads: KCore's MMU is still off, so a
 * physical address is Device memory. */
u64 platform_dev_read64(u64 pa)
{
	return *(volatile u64 *)(uintptr_t)pa;
}

void boot_main(u64 dtb_arg)
{
	const void *dtb = boot_find_dtb(dtb_arg);
	struct kcore_boot_params p;
	u64 ram_base, ram_size, host_magic;
	u32 cpu = arch_cpu_id();

	console_printf("\nkcore: KCore at EL2 on QEMU virt (cpu %u, MPIDR 0x%lx)\n", cpu,
		       read_sysreg(mpidr_el1));
	if (dtb)
		console_printf("kcore: DTB at %p (%u bytes)\n", dtb, dtb_total_size(dtb));
	if (cpu_parange() < PARANGE_MIN)
		arch_halt("boot: PA size below 44 bits: no level-0 stage-2 walk", cpu_parange(), 0);
	boot_ram(dtb, &ram_base, &ram_size);
	console_printf("kcore: RAM [0x%lx, 0x%lx), %lu MB\n", ram_base, ram_base + ram_size,
		    ram_size >> 20);

	/* KCore's console, shared with the host (README, "Security"). */
	platform_el2_dev_add(QEMU_UART_BASE, PAGE_SIZE);
	platform_from_dtb(dtb, ram_base, ram_size);
	p.host_mmio = plat.host_mmio;
	p.host_mmio_num = plat.host_mmio_num;
	p.core_more = NULL; /* KCore's memory is one range: its image and pools */
	p.core_more_num = 0;
	/* kc is zero (BSS), so layout_pool_bytes() is the pools' size. */
	p.ram_base = ram_base;
	p.ram_size = ram_size;
	p.core_start = (u64)(uintptr_t)__image_start;
	p.pool_base = page_up((u64)(uintptr_t)__image_end);
	p.core_end = p.pool_base + page_up(layout_pool_bytes());
	if (p.core_end > HOST_IMAGE_BASE || p.core_end > ram_base + ram_size)
		arch_halt("boot: KCore's memory overlaps the host image or RAM's end", p.core_end,
			  ram_base + ram_size);
	console_printf("kcore: image [0x%lx, 0x%lx) (bss %lu MB), pools [0x%lx, 0x%lx) (%lu MB)\n",
		       p.core_start, p.pool_base,
		       ((u64)(uintptr_t)__bss_end - (u64)(uintptr_t)__bss_start) >> 20, p.pool_base,
		       p.core_end, (p.core_end - p.pool_base) >> 20);
	kcore_init(&p);
	boot_salt(dtb);
	el2_mmu_init(ram_base, ram_size);
	console_printf("kcore: EL2 MMU on (own table at 0x%lx), KCore's memory owned by COREVISOR\n",
		       kc.npt[COREVISOR].root);
	boot_smmu(dtb);
	boot_dma_policy();
	mmio_mediate_init();
	smccc_init(); /* D54: before the host's first exception entry */

	host_magic = *(volatile u64 *)(uintptr_t)(HOST_IMAGE_BASE + 8);
	if (host_magic != HOST_IMAGE_MAGIC) {
		console_printf("kcore: no host image at 0x%x (load one with -device loader)\n",
			       HOST_IMAGE_BASE);
		psci_system_off();
	}
	boot_zero_host_ram(dtb, ram_base, ram_size, p.core_start, p.core_end);
	psci_mem_protect_init();
	vgic_init();
	host_stage2_init();
	console_printf("kcore: host stage 2 on and empty (root 0x%lx, VMID 0); entering the host "
		       "at EL1, pc 0x%x\n",
		       kc.npt[HOSTVISOR].root, HOST_IMAGE_BASE);
	enter_host(HOST_IMAGE_BASE, (u64)(uintptr_t)dtb,
		   home_el2_stack_top(cpu));
}
