/* The host's MMIO allow-list from the DTB (D44): default-deny. Every node
 * with registers is classified by its compatible string:
 *  (a) plain (UART, RTC, GPIO, flash, the GIC distributor and CPU
 *      interfaces, MSI frames): the host may map it;
 *  (b) a DMA master behind the SMMU KCore controls (a PCIe host bridge
 *      whose node names an IOMMU): mapped, its DMA goes through KCore's
 *      stream table, where every stream aborts until attached;
 *  (c) a DMA master KCore mediates (the GICv3 ITS's control page, the
 *      redistributors' LPI-table pages): not mapped, KCore's own;
 *  (d) anything else (fw_cfg's DMA interface, virtio-mmio transports, an
 *      unknown or disabled node, KCore's own devices): not mapped, with a
 *      boot line naming the node and why.
 * A page that holds anything withheld is withheld. Without an SMMU KCore
 * controls, DMA masters are withheld unless KCore was built with the
 * named opt-in KCORE_INSECURE_DMA=1 (platform policy, D45). */
#include "kcore/arch.h"
#include "kcore/state.h"

#include "devices.h"
#include "dtb.h"
#include "home.h"

struct platform plat;
struct home_platform home;

#define RAW_MAX 96 /* ranges before merging (QEMU virt needs about 30) */

/* The allow-list being built: allowed ranges, withheld ones, merged at the end. */
static struct phys_range allow[RAW_MAX], deny[RAW_MAX];
static u32 allow_num, deny_num;
static bool dma_isolated, insecure_dma;

static u64 page_down(u64 x)
{
	return x & ~(PAGE_SIZE - 1);
}

static u64 page_up(u64 x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static void range_add(struct phys_range *r, u32 *n, u64 base, u64 size)
{
	if (size == 0)
		return;
	if (*n == RAW_MAX)
		arch_halt("devices: too many MMIO ranges in the DTB", base, size);
	r[*n].base = page_down(base);
	r[*n].size = page_up(base + size) - r[*n].base;
	(*n)++;
}

void platform_el2_dev_add(u64 base, u64 size)
{
	if (plat.el2_dev_num == PLAT_EL2_DEV_MAX)
		arch_halt("devices: too many device ranges for KCore's own map", base, size);
	plat.el2_dev[plat.el2_dev_num].base = page_down(base);
	plat.el2_dev[plat.el2_dev_num].size = page_up(base + size) - page_down(base);
	plat.el2_dev_num++;
}

static void say_host(const struct dtb_node *n, u64 base, u64 size, const char *what)
{
	console_printf("kcore: MMIO host: %s [0x%lx, +0x%lx): %s\n", n->name, base, size, what);
	range_add(allow, &allow_num, base, size);
}

static void say_withheld(const struct dtb_node *n, u64 base, u64 size, const char *why)
{
	console_printf("kcore: MMIO withheld: %s [0x%lx, +0x%lx): %s\n", n->name, base, size, why);
	range_add(deny, &deny_num, base, size);
}

/* Every reg entry of a node, allowed or withheld alike. */
static void all_regs(const struct dtb_node *n, bool host, const char *what)
{
	u64 base, size;

	for (u32 i = 0; dtb_node_reg(n, i, &base, &size); i++) {
		if (host)
			say_host(n, base, size, what);
		else
			say_withheld(n, base, size, what);
	}
}

/* A DMA master: behind KCore's SMMU (b), or not (d, or the opt-in). */
static void dma_master(const struct dtb_node *n, bool behind_smmu, const char *what)
{
	if (behind_smmu && dma_isolated) {
		all_regs(n, true, what);
		return;
	}
	if (insecure_dma) {
		console_printf("kcore: INSECURE DMA: %s is a DMA master KCore does not isolate\n",
			       n->name);
		all_regs(n, true, what);
		return;
	}
	all_regs(n, false, "a DMA master not behind an SMMU KCore controls");
}

/* GICv3 redistributors: each frame's RD_base page 0 (PROPBASER, PENDBASER)
 * and page 15 (IMPLEMENTATION DEFINED space, the ID registers) are
 * mediated, and so are a GICv4 frame's VLPI_base pages (VPROPBASER,
 * VPENDBASER); the rest (SGI_base: the PPI/SGI enables and priorities) is
 * plain. The frames are found as the host would: GICR_TYPER.VLPIS gives the
 * stride, .Last the end (read through the home: platform_dev_read64). */
#define GICR_TYPER 0x8
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_FRAME 0x10000UL

static void gic_redistributors(const struct dtb_node *n, u64 base, u64 size)
{
	u64 off = 0;

	while (off + 2 * GICR_FRAME <= size) {
		u64 typer = platform_dev_read64(base + off + GICR_TYPER);
		u64 stride = (typer & GICR_TYPER_VLPIS) ? 4 * GICR_FRAME : 2 * GICR_FRAME;

		if (off + stride > size)
			break;
		range_add(deny, &deny_num, base + off, PAGE_SIZE);
		range_add(deny, &deny_num, base + off + GICR_FRAME - PAGE_SIZE, PAGE_SIZE);
		if (typer & GICR_TYPER_VLPIS)
			range_add(deny, &deny_num, base + off + 2 * GICR_FRAME, 2 * GICR_FRAME);
		off += stride;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	console_printf("kcore: MMIO mediated: %s redistributors [0x%lx, +0x%lx): LPI-table "
		    "pages KCore's, the rest the host's\n", n->name, base, off);
	range_add(allow, &allow_num, base, off);
	if (off < size)
		say_withheld(n, base + off, size - off, "no redistributor there");
	home.gicr_base = base;
	home.gicr_size = off;
	platform_el2_dev_add(base, off);
}

/* "arm,gic-v3": GICD, the redistributor region, then (optional, GICv2
 * compatibility) GICC, GICH, GICV. */
static void gic_v3(const struct dtb_node *n)
{
	u64 base, size;

	if (dtb_node_reg(n, 0, &base, &size))
		say_host(n, base, size, "GIC distributor (plain)");
	if (dtb_node_reg(n, 1, &base, &size))
		gic_redistributors(n, base, size);
	if (dtb_node_reg(n, 2, &base, &size))
		say_host(n, base, size, "GIC CPU interface (plain)");
	if (dtb_node_reg(n, 3, &base, &size))
		say_withheld(n, base, size, "GICH, the virtual interface control: KCore's");
	if (dtb_node_reg(n, 4, &base, &size))
		say_host(n, base, size, "GICV, the virtual CPU interface (plain)");
}

/* A GICv2 (GIC-400, the Raspberry Pi 4's): GICD, GICC, GICH (with a
 * GIC-400's per-CPU alias frames, inside its reg), GICV. KCore owns GICH:
 * a host that wrote a list register would bypass vgic_check. */
static void gic_v2(const struct dtb_node *n)
{
	u64 base, size;

	if (dtb_node_reg(n, 0, &base, &size))
		say_host(n, base, size, "GIC distributor (plain)");
	if (dtb_node_reg(n, 1, &base, &size))
		say_host(n, base, size, "GIC CPU interface (plain)");
	if (dtb_node_reg(n, 2, &base, &size)) {
		say_withheld(n, base, size, "GICH, the virtual interface control: KCore's");
		home.gich_base = base;
		platform_el2_dev_add(base, size);
	}
	if (dtb_node_reg(n, 3, &base, &size))
		say_host(n, base, size, "GICV, the virtual CPU interface (plain)");
}

/* The ITS writes its device, collection and command tables where
 * GITS_BASER<n> and GITS_CBASER point: its control frame's page 0 (and page
 * 15, IMPLEMENTATION DEFINED space) are KCore's to mediate, the rest of that
 * frame is withheld; GITS_TRANSLATER's page (the MSI doorbell) is plain. */
#define ITS_TRANSLATER_FRAME 0x10000UL

static void gic_its(const struct dtb_node *n)
{
	u64 base, size;

	if (!dtb_node_reg(n, 0, &base, &size) || size < 2 * ITS_TRANSLATER_FRAME)
		return all_regs(n, false, "an ITS KCore cannot place");
	console_printf("kcore: MMIO mediated: %s [0x%lx, +0x%lx): the ITS's control frame "
		    "KCore's, GITS_TRANSLATER the host's\n", n->name, base, size);
	range_add(deny, &deny_num, base, ITS_TRANSLATER_FRAME);
	range_add(deny, &deny_num, base + ITS_TRANSLATER_FRAME + PAGE_SIZE,
		  size - ITS_TRANSLATER_FRAME - PAGE_SIZE);
	range_add(allow, &allow_num, base + ITS_TRANSLATER_FRAME, PAGE_SIZE);
	home.its_base = base;
	home.its_size = size;
	platform_el2_dev_add(base, ITS_TRANSLATER_FRAME);
}

/* A PCIe host bridge: its config space (reg) and its windows (ranges). */
static void pcie(const struct dtb_node *n)
{
	u64 base, size;

	dma_master(n, n->iommu, "PCIe config space behind KCore's SMMU");
	if (!(n->iommu && dma_isolated) && !insecure_dma)
		return;
	for (u32 i = 0; dtb_node_range(n, i, &base, &size); i++)
		say_host(n, base, size, "PCIe window behind KCore's SMMU");
}

struct dev_kind {
	const char *compat;
	void (*classify)(const struct dtb_node *n); /* or NULL: plain */
	const char *what;
};

static void kcore_own(const struct dtb_node *n)
{
	u64 base, size;

	for (u32 i = 0; dtb_node_reg(n, i, &base, &size); i++) {
		say_withheld(n, base, size, "KCore's own (the SMMU)");
		platform_el2_dev_add(base, size);
	}
}

static void fw_cfg(const struct dtb_node *n)
{
	dma_master(n, false, "fw_cfg");
}

static void virtio_mmio(const struct dtb_node *n)
{
	dma_master(n, false, "virtio-mmio");
}

/* Order matters only where a node lists several (the first match wins). */
static const struct dev_kind dev_kinds[] = {
	{ "arm,pl011", NULL, "UART (plain; KCore's console too)" },
	{ "arm,pl031", NULL, "RTC (plain)" },
	{ "arm,pl061", NULL, "GPIO (plain)" },
	{ "cfi-flash", NULL, "flash (plain)" },
	{ "arm,gic-v2m-frame", NULL, "MSI frame (plain)" },
	{ "arm,gic-v3-its", gic_its, NULL },
	{ "arm,gic-v3", gic_v3, NULL },
	{ "arm,gic-400", gic_v2, NULL },
	{ "arm,cortex-a15-gic", gic_v2, NULL },
	{ "arm,smmu-v3", kcore_own, NULL },
	{ "pci-host-ecam-generic", pcie, NULL },
	{ "qemu,fw-cfg-mmio", fw_cfg, NULL },
	{ "virtio,mmio", virtio_mmio, NULL },
};

static bool is_memory(const struct dtb_node *n)
{
	const char *m = "memory", *p = n->name;

	while (*m && *p == *m)
		m++, p++;
	return *m == 0 && (*p == 0 || *p == '@');
}

static void classify(void *ctx, const struct dtb_node *n)
{
	u64 base, size;

	(void)ctx;
	if (!n->reg || n->size_cells == 0 || is_memory(n) || !dtb_node_reg(n, 0, &base, &size))
		return; /* no MMIO: CPUs, buses without registers, RAM */
	if (!n->translatable)
		return all_regs(n, false, "behind a bus whose addresses KCore does not translate");
	if (n->disabled)
		return all_regs(n, false, "disabled");
	for (u32 i = 0; i < sizeof(dev_kinds) / sizeof(dev_kinds[0]); i++) {
		if (!dtb_node_compatible(n, dev_kinds[i].compat))
			continue;
		if (dev_kinds[i].classify)
			dev_kinds[i].classify(n);
		else
			all_regs(n, true, dev_kinds[i].what);
		return;
	}
	all_regs(n, false, "not a device KCore knows to be safe");
}

/* allow minus every withheld range (and RAM), split where needed. */
static void subtract(struct phys_range r)
{
	for (u32 i = 0; i < allow_num; i++) {
		struct phys_range a = allow[i];
		u64 a_end = a.base + a.size, r_end = r.base + r.size;

		if (r.base >= a_end || a.base >= r_end)
			continue;
		allow[i].size = r.base > a.base ? r.base - a.base : 0;
		if (r_end < a_end) {
			if (allow[i].size == 0) {
				allow[i].base = r_end;
				allow[i].size = a_end - r_end;
			} else {
				range_add(allow, &allow_num, r_end, a_end - r_end);
			}
		}
	}
}

/* Sorted, adjacent ranges merged, empty ones dropped: the final list. */
static void merge_into_plat(void)
{
	for (u32 i = 1; i < allow_num; i++) /* insertion sort: a few dozen */
		for (u32 j = i; j > 0 && allow[j].base < allow[j - 1].base; j--) {
			struct phys_range t = allow[j];

			allow[j] = allow[j - 1];
			allow[j - 1] = t;
		}
	plat.host_mmio_num = 0;
	for (u32 i = 0; i < allow_num; i++) {
		u32 k = plat.host_mmio_num;

		if (allow[i].size == 0)
			continue;
		if (k && plat.host_mmio[k - 1].base + plat.host_mmio[k - 1].size >= allow[i].base) {
			u64 end = allow[i].base + allow[i].size;

			if (end > plat.host_mmio[k - 1].base + plat.host_mmio[k - 1].size)
				plat.host_mmio[k - 1].size = end - plat.host_mmio[k - 1].base;
			continue;
		}
		if (plat.host_mmio_num == KCORE_HOST_MMIO_MAX) {
			console_printf("kcore: MMIO withheld: [0x%lx, +0x%lx): the allow-list is full "
				    "(KCORE_HOST_MMIO_MAX)\n", allow[i].base, allow[i].size);
			continue;
		}
		plat.host_mmio[plat.host_mmio_num++] = allow[i];
	}
}

void platform_from_dtb(const void *dtb, u64 ram_base, u64 ram_size)
{
#ifndef KCORE_NO_SMMU
	u64 base, size;

	dma_isolated = dtb && dtb_compatible(dtb, "arm,smmu-v3", &base, &size) == 0;
#endif
#ifdef KCORE_INSECURE_DMA
	insecure_dma = true;
#endif
	plat.dma_isolated = dma_isolated;
	plat.insecure_dma = insecure_dma;
	if (!dtb || dtb_for_each_node(dtb, classify, NULL) != 0)
		console_printf("kcore: no DTB: every device withheld from the host\n");
	for (u32 i = 0; i < deny_num; i++)
		subtract(deny[i]);
	subtract((struct phys_range){ ram_base, ram_size });
	merge_into_plat();
	console_printf("kcore: MMIO allow-list: %u ranges; every other device frame withheld\n",
		       plat.host_mmio_num);
}
