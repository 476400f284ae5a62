/* KCore takes the host's memory inside Linux (kvm-arm.mode=kcore): called
 * by the nVHE glue from pKVM's __pkvm_init_finalise, once, on the boot CPU,
 * with the hyp stage-1 already mapping all of RAM (the glue maps what pKVM
 * left out). The host is still trusted here (pKVM's model), but what it
 * hands over is checked against what this build supports, and a mismatch is
 * a refusal the host reports (kvm init fails), not a halt.
 *
 * The DTB the host booted with is classified by the same rules as the
 * standalone boot (platform/devices.c, D44): the host's MMIO allow-list is
 * KCore's own reading of the DTB, not a list the host writes. */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "devices.h"
#include "dtb.h"
#include "el2.h"
#include "home.h"
#include "gic_mediate.h"
#include "kcore_linux.h"
#include "mmio_mediate.h"
#include "pmu.h"
#include "smccc.h"
#include "sysreg.h"
#include "vgic.h"

/* pool.c's layout, as a constant for the host's reservation: the host's,
 * the VMs', COREVISOR's and the SMMU's pools (checked against
 * layout_pool_bytes() below). */
const u64 kcore_linux_pool_bytes =
	((KCORE_POOL_HOST_PGD + KCORE_POOL_HOST_PUD + KCORE_POOL_HOST_PMD) +
	 (COREVISOR - 1UL) * (KCORE_POOL_VM_PGD + KCORE_POOL_VM_PUD + KCORE_POOL_VM_PMD) +
	 (KCORE_POOL_CORE_PGD + KCORE_POOL_CORE_PUD + KCORE_POOL_CORE_PMD) + EL2_SMMU_CFG_SIZE +
	 KCORE_SPT_PMD_POOL + KCORE_SPT_PTE_POOL) *
	PAGE_SIZE;

static struct phys_range hyp_ranges[KCORE_LINUX_HYP_RANGES];

static bool page_aligned(u64 x)
{
	return (x & (PAGE_SIZE - 1)) == 0;
}

/* A range inside the host's RAM, page aligned and not empty. */
static bool in_ram(const struct kcore_linux_boot *b, u64 base, u64 size)
{
	return page_aligned(base) && page_aligned(size) && size != 0 && base >= b->ram_base &&
	       base - b->ram_base < b->ram_size && size <= b->ram_size - (base - b->ram_base);
}

static long check_boot(const struct kcore_linux_boot *b)
{
	u64 dtb_base, dtb_size;

	if (b->ram_base != KCORE_RAM_BASE || !page_aligned(b->ram_size) || b->ram_size == 0 ||
	    b->ram_size > KCORE_RAM_MAX_PAGES * PAGE_SIZE) {
		console_printf("kcore: RAM [0x%lx, +0x%lx) is not what this build supports "
			       "(one range from 0x%lx, at most %lu MB)\n",
			       b->ram_base, b->ram_size, KCORE_RAM_BASE,
			       (KCORE_RAM_MAX_PAGES * PAGE_SIZE) >> 20);
		return -KE_RANGE;
	}
	if (!in_ram(b, b->pool_base, b->pool_size) || b->pool_size < layout_pool_bytes()) {
		console_printf("kcore: pool [0x%lx, +0x%lx) outside RAM or below %lu bytes\n",
			       b->pool_base, b->pool_size, layout_pool_bytes());
		return -KE_NOMEM;
	}
	if (b->nr_hyp > KCORE_LINUX_HYP_RANGES || b->nr_hyp > KCORE_CORE_MORE_MAX) {
		console_printf("kcore: %lu hyp ranges, at most %u\n", b->nr_hyp, KCORE_LINUX_HYP_RANGES);
		return -KE_RANGE;
	}
	for (u64 i = 0; i < b->nr_hyp; i++)
		if (!in_ram(b, b->hyp[i][0], b->hyp[i][1])) {
			console_printf("kcore: hyp range [0x%lx, +0x%lx) outside RAM\n", b->hyp[i][0],
				       b->hyp[i][1]);
			return -KE_RANGE;
		}
	if (!in_ram(b, b->fdt_pa & ~(PAGE_SIZE - 1), PAGE_SIZE) ||
	    !dtb_valid(arch_phys_to_virt(b->fdt_pa))) {
		console_printf("kcore: no valid DTB at 0x%lx\n", b->fdt_pa);
		return -KE_RANGE;
	}
	/* The DTB's own memory node must agree with what the host reserved. */
	if (dtb_memory(arch_phys_to_virt(b->fdt_pa), &dtb_base, &dtb_size) != 0 ||
	    dtb_base != b->ram_base || dtb_size != b->ram_size) {
		console_printf("kcore: the DTB's memory [0x%lx, +0x%lx) is not the host's RAM\n",
			       dtb_base, dtb_size);
		return -KE_RANGE;
	}
	return 0;
}

long kcore_linux_init(const struct kcore_linux_boot *b)
{
	struct kcore_boot_params p;
	long ret;

	if (layout_pool_bytes() != kcore_linux_pool_bytes)
		arch_halt("linux: kcore_linux_pool_bytes is not pool.c's layout",
			  kcore_linux_pool_bytes, layout_pool_bytes());
	console_printf("kcore: KCore at EL2 inside Linux (cpu %u, MPIDR 0x%lx)\n", arch_cpu_id(),
		       read_sysreg(mpidr_el1));
	if (cpu_parange() < PARANGE_MIN) {
		console_printf("kcore: PA size below 44 bits: no level-0 stage-2 walk\n");
		return -KE_RANGE;
	}
	ret = check_boot(b);
	if (ret)
		return ret;
	platform_from_dtb(arch_phys_to_virt(b->fdt_pa), b->ram_base, b->ram_size);
	/* D44 (c), D61: the redistributors and the ITS's control frame, which
	 * KCore mediates for the host (their pages withheld from it). */
	linux_map_device(home.gicr_base, home.gicr_size);
	linux_map_device(home.its_base, home.its_size ? GIC_FRAME : 0);
	/* GICv2: the virtual interface's control frame, KCore's (vgic.c). */
	if (!cpu_has_gicv3_sysregs())
		linux_map_device(home.gich_base, PAGE_SIZE);
	/* KCore does not yet adopt LPI tables the host set up before it took
	 * over (the standalone home mediates them from boot): the host's GIC
	 * driver would have put them in host pages that KCore could give to a
	 * VM. Such a host is refused; it boots with irqchip.gicv3_nolpi=1. */
	if (mmio_mediate_lpis_on()) {
		console_printf("kcore: the host enabled LPIs (GIC frame 0x%lx): boot it with "
			       "irqchip.gicv3_nolpi=1\n", mmio_mediate_lpis_on());
		return -KE_BUSY;
	}
	for (u64 i = 0; i < b->nr_hyp; i++)
		hyp_ranges[i] = (struct phys_range){ b->hyp[i][0], b->hyp[i][1] };
	p.ram_base = b->ram_base;
	p.ram_size = b->ram_size;
	p.core_start = b->pool_base;
	p.core_end = b->pool_base + b->pool_size;
	p.pool_base = b->pool_base;
	p.host_mmio = plat.host_mmio;
	p.host_mmio_num = plat.host_mmio_num;
	p.core_more = hyp_ranges;
	p.core_more_num = (u32)b->nr_hyp;
	kcore_init(&p);
	kcore_set_boot_salt(b->salt, sizeof(b->salt));
	mmio_mediate_init();
	/* The world switch's: D54's branch-history mitigation of the guest
	 * vectors, the list registers, the image remap window. */
	smccc_init();
	vgic_init();
	remap_window_init();
	console_printf("kcore: RAM [0x%lx, 0x%lx) the host's; KCore's: its pools [0x%lx, 0x%lx) "
		       "and %lu hyp ranges\n",
		       b->ram_base, b->ram_base + b->ram_size, b->pool_base,
		       b->pool_base + b->pool_size, b->nr_hyp);
	for (u64 i = 0; i < b->nr_hyp; i++)
		console_printf("kcore:   hyp [0x%lx, 0x%lx)\n", b->hyp[i][0], b->hyp[i][0] + b->hyp[i][1]);
	if (arch_dma_policy_allows_vms())
		console_printf("kcore: WARNING: INSECURE DMA (built with KCORE_INSECURE_DMA=1): no SMMU "
			       "is KCore's inside Linux, VMs run unprotected from device DMA (D45)\n");
	else
		console_printf("kcore: VMs refused (-KE_NOTSUPP): no SMMU is KCore's inside Linux yet; "
			       "KCORE_INSECURE_DMA=1 opts in to unprotected VMs (D45)\n");
	return 0;
}

/* VTTBR_EL2's VMID field is 0: the host is VMID 0, as in pKVM. */
_Static_assert(HOSTVISOR == 0, "the host's VMID");

u64 kcore_linux_vttbr(void)
{
	return kc.npt[HOSTVISOR].root;
}

u64 kcore_linux_vtcr(void)
{
	return VTCR_EL2_VALUE | cpu_parange() << TCR_PS_SHIFT;
}

#define MDCR_HPMD (1UL << 17)
#define MDCR_HCCD (1UL << 23)

/* D57 as standalone (arch/arm64/traps.c host_stage2_init): the host keeps
 * its PMU but never counts EL2, and EL2 is never traced or sampled. The
 * rest of MDCR_EL2 stays as the kernel's EL2 setup left it. */
void kcore_linux_cpu_init(void)
{
	u64 mdcr = read_sysreg(mdcr_el2) &
		   ~(MDCR_HPMN_MASK | MDCR_TPM | MDCR_TPMCR | MDCR_HPMD | MDCR_HCCD);

	el2_trap_values_init(); /* and the guest runs' trap values (guest_traps.c) */
	write_sysreg(mdcr | pmu_host_mdcr_bits(), mdcr_el2);
	if (cpu_has_trf)
		write_sysreg(0, SYS_TRFCR_EL2);
	if (cpu_has_spe)
		write_sysreg(0, SYS_PMSCR_EL2);
	isb();
}
