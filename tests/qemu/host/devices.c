/* The `devices` scenario (SCENARIO_DEVICES): the host's MMIO is
 * default-deny (D44). A hostile host reaches for every device that could
 * write memory behind KCore's back, or that is KCore's own, and each
 * access aborts; the plain devices of the allow-list still work, and
 * KCore still answers afterwards. On GICv2 the virtual interface control
 * (GICH) is tried too: a host that wrote a list register would bypass
 * KCore's check of virtual interrupts. */
#include "kcore/abi.h"
#include "kcore/errno.h"

#include "hostlib.h"
#include "platform.h"
#include "scenario.h"

#ifdef SCENARIO_DEVICES
#define FW_CFG_DMA 0x09020010UL       /* fw_cfg's DMA address register */
#define VIRTIO_MMIO0 0x0a000000UL     /* the first virtio-mmio transport */
#define VIRTIO_MMIO31 0x0a003e00UL    /* the last */
#define GICR_RD0 0x080a0000UL         /* the first redistributor (GICv3) */
#define GICR_SGI0_ISENABLER0 0x10100UL /* its SGI frame: plain */
#define GITS_CTRL 0x08080000UL        /* the ITS's control frame (GICv3) */
#define GITS_TRANSLATER 0x08090040UL  /* the MSI doorbell: plain */
#define PL031_DR 0x09010000UL         /* the RTC's data register: plain */
#define UNKNOWN_HOLE 0x0c000000UL     /* platform-bus space: nothing KCore knows */
#define KCORE_SMMU 0x09050000UL

static bool gicv3(void)
{
	u64 pfr0;

	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	return ((pfr0 >> 24) & 0xF) != 0;
}

static u32 peek32(u64 pa)
{
	return *(volatile u32 *)(uintptr_t)pa;
}

static void poke32(u64 pa, u32 v)
{
	*(volatile u32 *)(uintptr_t)pa = v;
}

static void expect_refused(const char *what, u64 pa, bool write)
{
	u64 before = aborts;

	if (write)
		poke(pa, 0x40200000UL); /* KCore's image, as a DMA target */
	else
		(void)peek(pa);
	check(aborts == before + 1, what);
}

/* The mediated pages (D44 (c)): KCore makes the harmless accesses for the
 * host, into any register (x21 here: one the plain trap path does not
 * save), and refuses the rest. */
static void mediated_gic(void)
{
	u64 typer, before = aborts, pair[2];
	u32 pidr2;

	/* The second redistributor's TYPER: CPU 1 (Aff0 1, Processor_Number 1),
	 * loaded into x21 over a poison value. */
	__asm__ volatile("mov x21, #0xdead\n\tldr x21, [%1]\n\tmov %0, x21"
			 : "=r"(typer) : "r"(GICR_RD0 + 0x20000 + 8) : "x21");
	__asm__ volatile("mov x22, #0xdead\n\tldr w22, [%1]\n\tmov %w0, w22"
			 : "=r"(pidr2) : "r"(GICR_RD0 + 0xFFE8) : "x22");
	check(aborts == before && (typer >> 32 & 0xFF) == 1 && (typer >> 8 & 0xFFFF) == 1 &&
		      ((pidr2 >> 4) & 0xF) == 3,
	      "mediated: GICR_TYPER (into x21: CPU 1's) and GICR_PIDR2 (GICv3) read");
	__asm__ volatile("ldr x23, [%1]\n\tmov %0, x23" : "=r"(typer) : "r"(GITS_CTRL + 8) : "x23");
	poke32(GITS_CTRL, 0); /* GITS_CTLR: the ITS stays off */
	check(aborts == before && typer != 0 && (peek32(GITS_CTRL) & 1) == 0,
	      "mediated: GITS_TYPER read, GITS_CTLR written");
	expect_refused("mediated: a reserved ITS register: write refused", GITS_CTRL + 0x98, true);
	expect_refused("mediated: a write to the ID page refused", GICR_RD0 + 0xFFE8, true);
	before = aborts;
	__asm__ volatile("ldp %0, %1, [%2]" : "=r"(pair[0]), "=r"(pair[1]) : "r"(GICR_RD0 + 8)
			 : "memory");
	check(aborts == before + 1, "mediated: a load pair (no syndrome) refused");
}

void scenario(void)
{
	u64 before;
	u32 t0;

	hprintf("host: devices: every DMA master outside KCore's SMMU and KCore's own devices "
		"abort\n");
	expect_refused("fw_cfg's DMA register: write refused", FW_CFG_DMA, true);
	expect_refused("fw_cfg: read refused", FW_CFG_DMA - 0x10, false);
	expect_refused("virtio-mmio transport 0: write refused", VIRTIO_MMIO0 + 0x70, true);
	expect_refused("virtio-mmio transport 31: read refused", VIRTIO_MMIO31, false);
	expect_refused("an address no DTB node describes: read refused", UNKNOWN_HOLE, false);
	expect_refused("KCore's SMMU: write refused", KCORE_SMMU + 0x20, true);
	if (gicv3()) {
		before = aborts;
		(void)peek32(GICR_RD0 + GICR_SGI0_ISENABLER0);
		(void)peek32(GITS_TRANSLATER - 0x40);
		check(aborts == before, "the redistributor's SGI frame and GITS_TRANSLATER are "
					"the host's");
		mediated_gic();
		lpi_checks();
	} else {
		expect_refused("GICH (list registers): write refused", QEMU_GICV2_GICH_BASE + 0x100,
			       true);
		expect_refused("GICH: read refused", QEMU_GICV2_GICH_BASE, false);
	}
	/* The plain devices of the allow-list work. */
	before = aborts;
	t0 = peek32(PL031_DR);
	poke32(0x09030000UL + 0x400, 0); /* PL061 GPIODIR */
	check(aborts == before && t0 > 1000000000U, "the RTC reads the time and the GPIO "
						     "takes a write: plain devices are the host's");
	check(call("NOP", KCORE_HC_NOP, 0, 0, 0, 0) == 0, "KCore still answers");
	expect_refused("fw_cfg is still refused", FW_CFG_DMA, true);
}
#endif
