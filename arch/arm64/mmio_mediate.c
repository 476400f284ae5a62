/* The GIC registers KCore mediates (D44, class (c); D60): the GICv3 ITS's
 * control page and each redistributor's RD_base pages 0 and 15 (and a
 * GICv4 frame's VLPI_base pages). They are off the host's MMIO allow-list,
 * so a host access to them is a stage-2 fault; here KCore decodes it and
 * hands it to the device's mediator (gic_its.c, gic_redist.c), which makes
 * it on the host's behalf, changes it, or refuses it (an abort into the
 * host). Writes to page 15 (IMPLEMENTATION DEFINED space, the ID
 * registers) are refused.
 *
 * Only a data abort with a valid syndrome (ISV) is emulated: the access size,
 * register and direction come from ESR_EL2; anything else (a pair, an
 * exclusive, SIMD) aborts. The register frame is the whole of x0..x30
 * (vectors.S, el2_host_sync_full). One lock for all of it: the mediators'
 * state (the ITS's queue, the pins' records) is the machine's, not a CPU's;
 * it is taken before any core lock (kcore_host_pin takes S2PAGE). */
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/state.h"

#include "el2.h"
#include "gic_mediate.h"
#include "home.h"
#include "mmio_mediate.h"
#include "sysreg.h"

#define ESR_SAS(esr) (((esr) >> 22) & 3)
#define ESR_SSE (1UL << 21)
#define ESR_SRT(esr) (((esr) >> 16) & 31)
#define ESR_SF (1UL << 15)

#define ITS_ID_PAGE 0xF000 /* IMPLEMENTATION DEFINED, then the ID registers */
#define REFUSALS_PRINTED 32U

/* Which mediated page, if any, the IPA is in; the offset within its frame. */
enum mediated_kind { MED_NONE, MED_ITS, MED_GICR };

static enum mediated_kind mediated_page(u64 ipa, struct mmio_access *a, bool *id_page)
{
	u64 page_off = ipa & (GIC_FRAME - 1);

	*id_page = page_off >= ITS_ID_PAGE;
	a->off = page_off;
	if (home.its_size && ipa - home.its_base < GIC_FRAME &&
	    (page_off < PAGE_SIZE || *id_page))
		return MED_ITS;
	if (home.gicr_size && ipa - home.gicr_base < home.gicr_size &&
	    (page_off < PAGE_SIZE || *id_page))
		return MED_GICR; /* every mediated redistributor page is a frame's page 0 or 15 */
	return MED_NONE;
}

bool gic_refuse(const char *what, u64 a, u64 b)
{
	static u32 refusals;

	if (++refusals <= REFUSALS_PRINTED)
		console_printf("kcore: GIC: refused: %s (0x%lx, 0x%lx)\n", what, a, b);
	return false;
}

u64 gic_mmio_read(u64 pa, u32 size)
{
	switch (size) {
	case 1:
		return *(volatile u8 *)home_device_va(pa);
	case 2:
		return *(volatile u16 *)home_device_va(pa);
	case 4:
		return *(volatile u32 *)home_device_va(pa);
	default:
		return *(volatile u64 *)home_device_va(pa);
	}
}

void gic_mmio_write(u64 pa, u32 size, u64 v)
{
	switch (size) {
	case 1:
		*(volatile u8 *)home_device_va(pa) = (u8)v;
		break;
	case 2:
		*(volatile u16 *)home_device_va(pa) = (u16)v;
		break;
	case 4:
		*(volatile u32 *)home_device_va(pa) = (u32)v;
		break;
	default:
		*(volatile u64 *)home_device_va(pa) = v;
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

static u32 mediate_lock;

static bool mediate(enum mediated_kind kind, u64 ipa, struct mmio_access *a)
{
	bool ok;

	while (__atomic_exchange_n(&mediate_lock, 1, __ATOMIC_ACQUIRE))
		;
	ok = kind == MED_ITS ? its_mediate(a) : gicr_mediate(ipa, a);
	__atomic_store_n(&mediate_lock, 0, __ATOMIC_RELEASE);
	return ok;
}

bool host_mmio_mediate(u64 ipa, u64 esr, u64 *x)
{
	struct mmio_access a;
	bool id_page;
	enum mediated_kind kind = mediated_page(ipa, &a, &id_page);
	u32 rt = (u32)ESR_SRT(esr);

	if (kind == MED_NONE || !(esr & ESR_ELx_ISV) || (esr & ESR_ELx_S1PTW))
		return false;
	a.size = 1U << ESR_SAS(esr);
	a.write = (esr & ESR_ELx_WNR) != 0;
	if (ipa & (a.size - 1))
		return false; /* unaligned: the GIC would not take it either */
	if (id_page && a.write)
		return gic_refuse("a write to a GIC ID page", ipa, 0);
	if (id_page) {
		a.val = gic_mmio_read(ipa, a.size);
	} else {
		a.val = a.write && rt != 31 ? x[rt] : 0;
		if (!mediate(kind, ipa, &a))
			return false;
	}
	if (!a.write && rt != 31)
		x[rt] = load_value(esr, a.val, a.size);
	write_sysreg(read_sysreg(elr_el2) + ((esr & ESR_ELx_IL) ? 4 : 2), elr_el2);
	return true;
}

u64 mmio_mediate_lpis_on(void)
{
	u64 rd = gicr_lpis_on();

	if (rd)
		return rd;
	return home.its_size && its_enabled() ? home.its_base : 0;
}

/* Boot, before the host runs: no table base of the firmware's survives. */
void mmio_mediate_init(void)
{
	if (home.its_size)
		its_mediate_init();
	gicr_mediate_init();
}
