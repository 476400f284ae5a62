/* The redistributors' LPI tables (D61; the pins: D60): GICR_PROPBASER (the LPI
 * configuration table: one byte per LPI, the first for INTID 8192) and
 * GICR_PENDBASER (the pending table: one bit per INTID from 0) point the
 * redistributor at memory it reads and writes. KCore lets a base through
 * only once the table's pages are the host's RAM, and pins them
 * (kcore_host_pin); the pins go when the base is written again.
 *
 *  - The bases may change only while LPIs are off (GICR_CTLR.EnableLPIs
 *    and RWP both read 0): the GIC does not use them then.
 *  - The ID space is at most 16 bits (IDbits <= 15, as Linux's ITS driver
 *    uses), so the configuration table is at most 2^16 - 8192 bytes and the
 *    pending table always 8 KB (what 16 bits need): a larger IDbits is
 *    refused, so the GIC never reaches past what is pinned.
 *  - EnableLPIs := 1 is refused until both tables are pinned (at boot
 *    both bases are 0, and the reset value on hardware is UNKNOWN).
 *  - Of the other RD_base registers the host may write GICR_CTLR's other
 *    bits, STATUSR, WAKER, SETLPIR, CLRLPIR, INVLPIR and INVALLR; any other
 *    write, and every write to a GICv4 frame's VLPI pages (VPROPBASER,
 *    VPENDBASER: no GICv4 for the host), is refused. */
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"

#include "el2.h"
#include "gic_mediate.h"
#include "home.h"

#define GICR_CTLR 0x0
#define GICR_CTLR_ENABLE_LPIS (1UL << 0)
#define GICR_CTLR_RWP (1UL << 3)
#define GICR_TYPER 0x8
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_STATUSR 0x10
#define GICR_WAKER 0x14
#define GICR_SETLPIR 0x40
#define GICR_CLRLPIR 0x48
#define GICR_PROPBASER 0x70
#define GICR_PENDBASER 0x78
#define GICR_INVLPIR 0xA0
#define GICR_INVALLR 0xB0
#define PROPBASER_IDBITS(v) ((v) & 0x1F)
#define PROPBASER_PA(v) ((v) & 0x000FFFFFFFFFF000UL) /* bits 51:12 */
#define PENDBASER_PA(v) ((v) & 0x000FFFFFFFFF0000UL) /* bits 51:16 */
#define LPI_ID_BITS_MAX 16U
#define LPI_FIRST 8192UL
#define PEND_TABLE_BYTES ((1UL << LPI_ID_BITS_MAX) / 8)

/* The redistributors found at boot: each one's frame base. */
static u64 rd_base[KCORE_MAX_CPUS];
static u64 rd_stride[KCORE_MAX_CPUS];
static u32 rd_num;
/* Which of each redistributor's two tables is pinned (bit 0: PROP, bit 1: PEND). */
static u8 rd_pinned[KCORE_MAX_CPUS];

bool gicr_is_rd_base(u64 pa)
{
	for (u32 i = 0; i < rd_num; i++)
		if (rd_base[i] == pa)
			return true;
	return false;
}

/* The configuration table's bytes for an IDbits field: the LPIs of an ID
 * space of IDbits + 1 bits (none below 14 bits). */
static u64 prop_table_bytes(u64 idbits)
{
	u64 bits = idbits + 1;

	return bits < 14 ? 0 : (1UL << bits) - LPI_FIRST;
}

/* A table base: pinned first, then written; the pages of the base it
 * replaces go after (kcore_host_pin releases them). Refused: nothing changes. */
static bool table_base_write(u32 rd, u64 reg, u64 v)
{
	u64 ctlr = gic_mmio_read(rd_base[rd] + GICR_CTLR, 4);
	bool prop = reg == GICR_PROPBASER;
	u64 base = prop ? PROPBASER_PA(v) : PENDBASER_PA(v);
	u64 bytes = prop ? prop_table_bytes(PROPBASER_IDBITS(v)) : PEND_TABLE_BYTES;
	long ret;

	if (ctlr & (GICR_CTLR_ENABLE_LPIS | GICR_CTLR_RWP))
		return gic_refuse("GICR table base while LPIs are on", rd, v);
	if (prop && PROPBASER_IDBITS(v) + 1 > LPI_ID_BITS_MAX)
		return gic_refuse("GICR_PROPBASER: more than 16 ID bits", rd, v);
	ret = kcore_host_pin(prop ? PIN_SLOT_GICR_PROP(rd) : PIN_SLOT_GICR_PEND(rd), base, bytes);
	if (ret)
		return gic_refuse(prop ? "GICR_PROPBASER: the table is not the host's RAM"
				       : "GICR_PENDBASER: the table is not the host's RAM",
				  base, (u64)-ret);
	if (bytes)
		rd_pinned[rd] |= prop ? 1 : 2;
	else
		rd_pinned[rd] &= (u8)~(prop ? 1 : 2);
	gic_mmio_write(rd_base[rd] + reg, 8, v);
	return true;
}

static bool rd_base_write(u32 rd, struct mmio_access *a)
{
	switch (a->off) {
	case GICR_PROPBASER:
	case GICR_PENDBASER:
		if (a->size != 8)
			return gic_refuse("GICR table base: not a 64-bit write", rd, a->off);
		return table_base_write(rd, a->off, a->val);
	case GICR_CTLR:
		if ((a->val & GICR_CTLR_ENABLE_LPIS) && rd_pinned[rd] != 3)
			return gic_refuse("GICR_CTLR.EnableLPIs before both LPI tables", rd,
					  rd_pinned[rd]);
		break;
	case GICR_STATUSR:
	case GICR_WAKER:
	case GICR_SETLPIR:
	case GICR_CLRLPIR:
	case GICR_INVLPIR:
	case GICR_INVALLR:
		break;
	default:
		return gic_refuse("GICR: a write to a register KCore does not pass", rd, a->off);
	}
	gic_mmio_write(rd_base[rd] + a->off, a->size, a->val);
	return true;
}

bool gicr_mediate(u64 ipa, struct mmio_access *a)
{
	for (u32 rd = 0; rd < rd_num; rd++) {
		u64 frame;

		if (ipa - rd_base[rd] >= rd_stride[rd])
			continue;
		frame = (ipa - rd_base[rd]) / GIC_FRAME;
		if (!a->write) {
			a->val = gic_mmio_read(ipa, a->size);
			return true;
		}
		if (frame != 0)
			return gic_refuse("GICv4 VLPI frame: writes refused", rd, a->off);
		return rd_base_write(rd, a);
	}
	return false; /* beyond the redistributors found (or beyond KCORE_MAX_CPUS) */
}

u64 gicr_lpis_on(void)
{
	for (u64 off = 0; off < home.gicr_size;) {
		u64 rd = home.gicr_base + off;
		u64 typer = gic_mmio_read(rd + GICR_TYPER, 8);

		if (gic_mmio_read(rd + GICR_CTLR, 4) & GICR_CTLR_ENABLE_LPIS)
			return rd;
		off += (typer & GICR_TYPER_VLPIS) ? 4 * GIC_FRAME : 2 * GIC_FRAME;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

/* Boot, before the host runs: a redistributor whose LPIs are already on
 * cannot be turned off on every implementation: KCore refuses to run on
 * it. The others get both bases 0, so no firmware-left table survives. */
void gicr_mediate_init(void)
{
	for (u64 off = 0; off < home.gicr_size;) {
		u64 rd = home.gicr_base + off;
		u64 typer = gic_mmio_read(rd + GICR_TYPER, 8);
		u64 stride = (typer & GICR_TYPER_VLPIS) ? 4 * GIC_FRAME : 2 * GIC_FRAME;

		if (gic_mmio_read(rd + GICR_CTLR, 4) & GICR_CTLR_ENABLE_LPIS)
			arch_halt("boot: a redistributor's LPIs are already enabled", rd, typer);
		if (rd_num < KCORE_MAX_CPUS) {
			rd_base[rd_num] = rd;
			rd_stride[rd_num] = stride;
			rd_num++;
			gic_mmio_write(rd + GICR_PROPBASER, 8, 0);
			gic_mmio_write(rd + GICR_PENDBASER, 8, 0);
		}
		off += stride;
		if (typer & GICR_TYPER_LAST)
			break;
	}
}
