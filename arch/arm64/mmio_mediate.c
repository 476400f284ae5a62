/* The GIC registers KCore mediates (D44, class (c)): the GICv3 ITS's control
 * page and each redistributor's RD_base pages 0 and 15 (and a GICv4 frame's
 * VLPI_base pages). They are off the host's MMIO allow-list, so a host access
 * to them is a stage-2 fault; here KCore emulates it: the access is made on
 * the host's behalf unless it is a write that would point the GIC at memory
 * (GITS_CBASER, GITS_BASER<n>, GICR_PROPBASER, GICR_PENDBASER, GICR_VPROPBASER,
 * GICR_VPENDBASER) or a write to IMPLEMENTATION DEFINED space. Those are
 * refused (an abort into the host): until KCore checks a table base and pins
 * its pages in host RAM (the next step, docs/abi.md), no table base is
 * accepted at all, so the ITS and the redistributors can never write memory.
 * KCore disables the ITS and clears its table bases at boot, before the host
 * runs, so no firmware-left table survives either.
 *
 * Only a data abort with a valid syndrome (ISV) is emulated: the access size,
 * register and direction come from ESR_EL2; anything else (a pair, an
 * exclusive, SIMD) aborts. The register frame is the whole of x0..x30
 * (vectors.S, el2_host_sync_full). */
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/state.h"

#include "boot.h"
#include "mmio_mediate.h"
#include "sysreg.h"

#define ESR_SAS(esr) (((esr) >> 22) & 3)
#define ESR_SSE (1UL << 21)
#define ESR_SRT(esr) (((esr) >> 16) & 31)
#define ESR_SF (1UL << 15)

#define GICR_FRAME 0x10000UL
#define GICR_CTLR 0x0
#define GICR_TYPER 0x8
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_PROPBASER 0x70 /* VPROPBASER in a VLPI frame */
#define GICR_PENDBASER 0x78 /* VPENDBASER in a VLPI frame */
#define GITS_CTLR 0x0
#define GITS_CTLR_QUIESCENT (1U << 31)
#define GITS_CBASER 0x80
#define GITS_BASER0 0x100
#define GITS_BASER_NUM 8
#define ITS_ID_PAGE 0xF000 /* IMPLEMENTATION DEFINED, then the ID registers */

struct mmio_access {
	u64 off;   /* within the mediated page's frame */
	u32 size;  /* bytes: 1, 2, 4, 8 */
	bool write;
	bool id_page; /* page 15 of a 64 KB frame: read-only here */
};

/* A write KCore refuses: a table base, or IMPLEMENTATION DEFINED space. */
static bool its_write_refused(u64 off, u32 size)
{
	u64 end = off + size;

	if (off < GITS_CBASER + 8 && end > GITS_CBASER)
		return true;
	return off < GITS_BASER0 + 8 * GITS_BASER_NUM && end > GITS_BASER0;
}

static bool gicr_write_refused(u64 off, u32 size)
{
	u64 end = off + size;

	return off < GICR_PENDBASER + 8 && end > GICR_PROPBASER;
}

/* Which mediated page, if any, the IPA is in; the offset within its frame. */
enum mediated_kind { MED_NONE, MED_ITS, MED_GICR };

static enum mediated_kind mediated_page(u64 ipa, struct mmio_access *a)
{
	u64 page_off = ipa & (GICR_FRAME - 1);

	a->id_page = page_off >= ITS_ID_PAGE;
	a->off = page_off;
	if (plat.its_size && ipa - plat.its_base < GICR_FRAME &&
	    (page_off < PAGE_SIZE || a->id_page))
		return MED_ITS;
	if (plat.gicr_size && ipa - plat.gicr_base < plat.gicr_size &&
	    (page_off < PAGE_SIZE || a->id_page))
		return MED_GICR; /* every mediated redistributor page is a frame's page 0 or 15 */
	return MED_NONE;
}

static u64 mmio_read(u64 pa, u32 size)
{
	switch (size) {
	case 1:
		return *(volatile u8 *)(uintptr_t)pa;
	case 2:
		return *(volatile u16 *)(uintptr_t)pa;
	case 4:
		return *(volatile u32 *)(uintptr_t)pa;
	default:
		return *(volatile u64 *)(uintptr_t)pa;
	}
}

static void mmio_write(u64 pa, u32 size, u64 v)
{
	switch (size) {
	case 1:
		*(volatile u8 *)(uintptr_t)pa = (u8)v;
		break;
	case 2:
		*(volatile u16 *)(uintptr_t)pa = (u16)v;
		break;
	case 4:
		*(volatile u32 *)(uintptr_t)pa = (u32)v;
		break;
	default:
		*(volatile u64 *)(uintptr_t)pa = v;
		break;
	}
}

/* A load's value as the register receives it: sign-extended if SSE, cut to
 * 32 bits if the target is a W register (SF = 0). */
static u64 load_value(u64 esr, u64 v, u32 size)
{
	if ((esr & ESR_SSE) && size < 8 && (v >> (8 * size - 1)) & 1)
		v |= ~0UL << (8 * size);
	if (!(esr & ESR_SF))
		v &= 0xFFFFFFFFUL;
	return v;
}

bool host_mmio_mediate(u64 ipa, u64 esr, u64 *x)
{
	struct mmio_access a;
	enum mediated_kind kind = mediated_page(ipa, &a);
	u32 rt = (u32)ESR_SRT(esr);

	if (kind == MED_NONE || !(esr & ESR_ELx_ISV) || (esr & ESR_ELx_S1PTW))
		return false;
	a.size = 1U << ESR_SAS(esr);
	a.write = (esr & ESR_ELx_WNR) != 0;
	if (ipa & (a.size - 1))
		return false; /* unaligned: the GIC would not take it either */
	if (a.write && (a.id_page || (kind == MED_ITS ? its_write_refused(a.off, a.size)
						      : gicr_write_refused(a.off, a.size))))
		return false;
	if (a.write)
		mmio_write(ipa, a.size, rt == 31 ? 0 : x[rt]);
	else if (rt != 31)
		x[rt] = load_value(esr, mmio_read(ipa, a.size), a.size);
	else
		(void)mmio_read(ipa, a.size);
	write_sysreg(read_sysreg(elr_el2) + ((esr & ESR_ELx_IL) ? 4 : 2), elr_el2);
	return true;
}

/* Boot, before the host runs: no table base of the firmware's survives.
 * The ITS is disabled (and waited for, bounded), its command queue and
 * table bases cleared; a redistributor whose LPIs are already on cannot be
 * turned off on every implementation: KCore refuses to run on it. */
void mmio_mediate_init(void)
{
	if (plat.its_size) {
		volatile u32 *ctlr = (volatile u32 *)(uintptr_t)(plat.its_base + GITS_CTLR);
		u32 spins = 0;

		*ctlr = 0;
		while (!(*ctlr & GITS_CTLR_QUIESCENT) && ++spins < 1000000U)
			;
		if (!(*ctlr & GITS_CTLR_QUIESCENT))
			arch_halt("boot: the ITS does not become quiescent", plat.its_base, *ctlr);
		mmio_write(plat.its_base + GITS_CBASER, 8, 0);
		for (u32 n = 0; n < GITS_BASER_NUM; n++)
			mmio_write(plat.its_base + GITS_BASER0 + 8 * n, 8, 0);
	}
	for (u64 off = 0; off < plat.gicr_size;) {
		u64 typer = mmio_read(plat.gicr_base + off + GICR_TYPER, 8);

		if (mmio_read(plat.gicr_base + off + GICR_CTLR, 4) & 1)
			arch_halt("boot: a redistributor's LPIs are already enabled", plat.gicr_base + off,
				  typer);
		off += (typer & GICR_TYPER_VLPIS) ? 4 * GICR_FRAME : 2 * GICR_FRAME;
		if (typer & GICR_TYPER_LAST)
			break;
	}
}
