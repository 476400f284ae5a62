/* The GICv3 ITS (D61). It writes memory at addresses the host programs:
 * its tables (GITS_BASER<n>: devices, collections), its command queue
 * (GITS_CBASER: it reads commands there and the commands name more
 * memory, each device's interrupt translation table). KCore mediates page
 * 0 of its control frame:
 *
 *  - GITS_BASER<n>: written only while the ITS is off and quiescent (it
 *    uses no table then). The ITS gets KCore's own table (64 KB, zeroed),
 *    with the host's attributes and page size and Indirect forced to 0 (a
 *    two-level table's second level would be memory the ITS writes that no
 *    base names); the host reads back its own value with what the ITS kept
 *    (Type, page and entry sizes are the ITS's). A GICv4 vPE table is
 *    refused.
 *  - GITS_CBASER: the host's value is kept for the host to read back; the
 *    ITS gets KCore's own queue of the same size (at most 64 KB) and the
 *    host's queue is pinned. A GITS_CWRITER write copies the new commands
 *    into KCore's queue at the same offsets, checks them (gic_its_cmd.c)
 *    and only then moves the ITS's CWRITER, so that the ITS executes only
 *    commands KCore has seen, as KCore saw them; GITS_CREADR reads through.
 *  - GITS_TYPER reads with Virtual (GICv4) clear: the host gets no vPEs.
 *  - Writes to anything else of the page but GITS_CTLR are refused. */
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"

#include "el2.h"
#include "gic_mediate.h"
#include "home.h"
#include "sysreg.h"

#define GITS_CTLR 0x0
#define GITS_CTLR_ENABLED (1UL << 0)
#define GITS_CTLR_QUIESCENT (1UL << 31)
#define GITS_TYPER 0x8
#define GITS_TYPER_VIRTUAL (1UL << 1)
#define GITS_CBASER 0x80
#define GITS_CWRITER 0x88
#define GITS_CREADR 0x90
#define GITS_BASER0 0x100
#define GITS_BASER_NUM 8U
#define CBASER_VALID (1UL << 63)
#define CBASER_PA(v) ((v) & 0x000FFFFFFFFFF000UL)
#define CBASER_PAGES(v) (((v) & 0xFF) + 1)
/* KCore's queue: Inner Shareable, Normal Write-back read/write-allocate. */
#define CBASER_KCORE_ATTRS (7UL << 59 | 1UL << 10)
#define CQ_OFFSET(v) ((v) & 0xFFFE0UL)
#define CQ_RETRY 1UL
#define BASER_VALID (1UL << 63)
#define BASER_INDIRECT (1UL << 62)
#define BASER_TYPE(v) (((v) >> 56) & 7)
#define BASER_TYPE_NONE 0
#define BASER_TYPE_DEVICES 1
#define BASER_TYPE_COLLECTIONS 4
#define BASER_ENTRY_BYTES(v) ((((v) >> 48) & 0x1F) + 1)
#define BASER_PAGE_SIZE(v) (((v) >> 8) & 3)
#define BASER_PAGES(v) (((v) & 0xFF) + 1)
/* What the ITS decides of a GITS_BASER: the caches, shareability, page
 * size, and the read-only Type and Entry_Size. */
#define BASER_KEPT (7UL << 59 | 7UL << 56 | 7UL << 53 | 0x1FUL << 48 | 3UL << 10 | 3UL << 8)
#define TYPER_DEVBITS_SHIFT 13
#define TYPER_DEVBITS (0x1FUL << TYPER_DEVBITS_SHIFT)
#define CMDQ_MAX_BYTES 0x10000UL
#define ITS_TABLE_BYTES 0x10000UL
#define DRAIN_SPINS 1000000U

/* KCore's command queue and tables: the only ones the ITS ever uses. The
 * host's table memory is never given to the ITS: a device table entry
 * names a device's ITT, so a table the host could write would let it aim
 * the ITS anywhere. */
/* GITS_CBASER takes a 4 KB-aligned queue; a table of 64 KB ITS pages must
 * be 64 KB aligned in physical memory. The tables are placed at run time in
 * a page-aligned space one table larger than needed: no section needs more
 * than page alignment (the nVHE image asserts its .hyp.bss starts where the
 * kernel's does, which a 64 KB-aligned array would break). */
static u8 kcore_cmdq[CMDQ_MAX_BYTES] __attribute__((aligned(PAGE_SIZE)));
static u8 kcore_table_space[3 * ITS_TABLE_BYTES] __attribute__((aligned(PAGE_SIZE)));
/* The host's GITS_BASER<n> as it reads them back. */
static u64 host_baser[GITS_BASER_NUM];
/* DeviceIDs KCore's device table holds (0: no table); the ID bits the host
 * is told (GITS_TYPER.Devbits + 1): what KCore's table can hold. */
static u64 device_ids;
static u64 device_id_bits;
/* The host's GITS_CBASER as it wrote it (0: none), and how far its
 * commands have been taken (the ITS's CWRITER). */
static u64 host_cbaser;
static u64 cwriter;

static u64 its_reg(u64 off)
{
	return home.its_base + off;
}

static bool its_stopped(void)
{
	u64 ctlr = gic_mmio_read(its_reg(GITS_CTLR), 4);

	return !(ctlr & GITS_CTLR_ENABLED) && (ctlr & GITS_CTLR_QUIESCENT);
}

u64 its_device_ids(void)
{
	return device_ids;
}

/* The bytes of a table page a GITS_BASER value names. */
static u64 baser_page_bytes(u64 v)
{
	static const u64 page_size[4] = { 0x1000, 0x4000, 0x10000, 0x10000 };

	return page_size[BASER_PAGE_SIZE(v)];
}

/* KCore's table for a GITS_BASER of Type t (Devices or Collections). */
static u8 *kcore_table(u64 type)
{
	u64 pa = home_virt_to_phys(kcore_table_space);
	u64 skip = ((pa + ITS_TABLE_BYTES - 1) & ~(ITS_TABLE_BYTES - 1)) - pa;

	return kcore_table_space + skip + (type == BASER_TYPE_DEVICES ? 0 : ITS_TABLE_BYTES);
}

/* A table KCore gives the ITS: the host's attributes and page size, its
 * number of pages cut to KCore's table, zeroed. The ITS keeps what it
 * supports of the attributes and page size: the value it kept is read
 * back, and its size cut again if its page size grew. */
static u64 baser_install(u32 n, u64 type, u64 v)
{
	u64 reg = its_reg(GITS_BASER0 + 8 * n), pa = home_virt_to_phys(kcore_table(type)), now;
	u64 pages = BASER_PAGES(v), max = ITS_TABLE_BYTES / baser_page_bytes(v);

	zero_clean_poc(pa, ITS_TABLE_BYTES); /* zero in memory, whatever its attributes */
	now = (v & BASER_KEPT) | pa | ((pages < max ? pages : max) - 1) | BASER_VALID;
	gic_mmio_write(reg, 8, now & ~BASER_INDIRECT);
	now = gic_mmio_read(reg, 8);
	max = ITS_TABLE_BYTES / baser_page_bytes(now);
	if (BASER_PAGES(now) > max) {
		gic_mmio_write(reg, 8, (now & ~0xFFUL) | (max - 1));
		now = gic_mmio_read(reg, 8);
	}
	return now;
}

static bool baser_write(u32 n, u64 v)
{
	u64 reg = its_reg(GITS_BASER0 + 8 * n), type = BASER_TYPE(gic_mmio_read(reg, 8)), now = 0;

	if (!its_stopped())
		return gic_refuse("GITS_BASER while the ITS is on", n, v);
	if (type == BASER_TYPE_NONE)
		return true; /* no table there: RAZ/WI */
	if ((v & BASER_VALID) && type != BASER_TYPE_DEVICES && type != BASER_TYPE_COLLECTIONS)
		return gic_refuse("GITS_BASER: a GICv4 vPE table (no GICv4 for the host)", n, v);
	if (v & BASER_VALID)
		now = baser_install(n, type, v);
	else
		gic_mmio_write(reg, 8, 0);
	/* The host reads back its own value with what the ITS kept of it. */
	host_baser[n] = (v & ~(BASER_KEPT | BASER_INDIRECT)) | (now & BASER_KEPT);
	if (type == BASER_TYPE_DEVICES) {
		device_ids = (v & BASER_VALID)
				     ? BASER_PAGES(now) * baser_page_bytes(now) / BASER_ENTRY_BYTES(now)
				     : 0;
		/* The old table's mappings are gone with it (the ITS is quiescent). */
		its_cmds_forget_all();
	}
	return true;
}

static bool cbaser_write(u64 v)
{
	u64 bytes = (v & CBASER_VALID) ? CBASER_PAGES(v) * PAGE_SIZE : 0;
	u64 kcore_pa = home_virt_to_phys(kcore_cmdq);
	long ret;

	if (!its_stopped())
		return gic_refuse("GITS_CBASER while the ITS is on", 0, v);
	if (bytes > CMDQ_MAX_BYTES)
		return gic_refuse("GITS_CBASER: a queue over 64 KB", 0, v);
	ret = kcore_host_pin(PIN_SLOT_ITS_CMDQ, CBASER_PA(v), bytes);
	if (ret)
		return gic_refuse("GITS_CBASER: the queue is not the host's RAM", CBASER_PA(v),
				  (u64)-ret);
	host_cbaser = v;
	cwriter = 0; /* the ITS's CREADR goes to 0 with the write */
	gic_mmio_write(its_reg(GITS_CBASER), 8,
		       bytes ? CBASER_VALID | CBASER_KCORE_ATTRS | kcore_pa | (v & 0xFF) : 0);
	/* The queue is stopped: no command taken and not yet consumed is lost. */
	its_cmds_done(true);
	return true;
}

/* The commands [from, to) of KCore's queue, to the point of coherency: the
 * ITS reads memory, whatever the queue's attributes. */
static void cmdq_clean(u64 from, u64 to, u64 queue_bytes)
{
	u64 q = home_virt_to_phys(kcore_cmdq); /* the cache operations take a PA */

	if (from <= to) {
		arch_dcache_clean_inval_poc(q + from, to - from);
		return;
	}
	arch_dcache_clean_inval_poc(q + from, queue_bytes - from);
	arch_dcache_clean_inval_poc(q, to);
}

/* Waits, bounded, for the ITS to consume its queue up to CWRITER. */
static bool its_drained(void)
{
	for (u32 spins = 0; spins < DRAIN_SPINS; spins++)
		if (CQ_OFFSET(gic_mmio_read(its_reg(GITS_CREADR), 8)) == cwriter)
			return true;
	return false;
}

static bool cwriter_write(u64 v)
{
	u64 bytes = CBASER_PAGES(host_cbaser) * PAGE_SIZE, to = CQ_OFFSET(v);

	if (!(host_cbaser & CBASER_VALID))
		return gic_refuse("GITS_CWRITER without a command queue", 0, v);
	if (to >= bytes)
		return gic_refuse("GITS_CWRITER beyond the queue", to, bytes);
	if (!its_cmds_take(kcore_cmdq, CBASER_PA(host_cbaser), bytes, cwriter, to))
		return false;
	cmdq_clean(cwriter, to, bytes);
	cwriter = to;
	gic_mmio_write(its_reg(GITS_CWRITER), 8, to | (v & CQ_RETRY));
	/* Unmapped devices' tables stay pinned until the ITS has passed the
	 * commands that unmapped them (or a later write finds it has). */
	if (its_cmds_releasing())
		its_cmds_done(its_drained());
	return true;
}

/* The host's view of a 64-bit register: the bytes of v it reads. */
static u64 reg_slice(u64 v, u64 reg, const struct mmio_access *a)
{
	u64 shift = 8 * (a->off - reg);

	v >>= shift;
	return a->size == 8 ? v : v & ((1UL << (8 * a->size)) - 1);
}

static bool its_read(struct mmio_access *a)
{
	if (a->off >= GITS_CBASER && a->off < GITS_CBASER + 8) {
		a->val = reg_slice(host_cbaser, GITS_CBASER, a);
		return true;
	}
	if (a->off >= GITS_BASER0 && a->off < GITS_BASER0 + 8 * GITS_BASER_NUM) {
		u64 reg = GITS_BASER0 + (a->off - GITS_BASER0) / 8 * 8;

		a->val = reg_slice(host_baser[(reg - GITS_BASER0) / 8], reg, a);
		return true;
	}
	if (a->off >= GITS_TYPER && a->off < GITS_TYPER + 8) {
		u64 typer = gic_mmio_read(its_reg(GITS_TYPER), 8) & ~GITS_TYPER_VIRTUAL;

		if (device_id_bits)
			typer = (typer & ~TYPER_DEVBITS) | (device_id_bits - 1) << TYPER_DEVBITS_SHIFT;
		a->val = reg_slice(typer, GITS_TYPER, a);
		return true;
	}
	a->val = gic_mmio_read(its_reg(a->off), a->size);
	return true;
}

bool its_mediate(struct mmio_access *a)
{
	if (!a->write)
		return its_read(a);
	if (a->off == GITS_CTLR) {
		gic_mmio_write(its_reg(GITS_CTLR), a->size, a->val);
		return true;
	}
	if (a->off == GITS_CWRITER && a->size >= 4)
		return cwriter_write(a->val);
	if (a->size != 8)
		return gic_refuse("ITS: a table base not written whole, or another register", 0,
				  a->off);
	if (a->off == GITS_CBASER)
		return cbaser_write(a->val);
	if (a->off >= GITS_BASER0 && a->off < GITS_BASER0 + 8 * GITS_BASER_NUM)
		return baser_write((u32)(a->off - GITS_BASER0) / 8, a->val);
	return gic_refuse("ITS: a write to a register KCore does not pass", 0, a->off);
}

/* The DeviceID bits the host is told: no more than the ITS has, nor
 * than KCore's device table holds. */
static u64 device_bits_offered(void)
{
	u64 typer = gic_mmio_read(its_reg(GITS_TYPER), 8), bits = 0, entry = 0;

	for (u32 n = 0; n < GITS_BASER_NUM; n++) {
		u64 v = gic_mmio_read(its_reg(GITS_BASER0 + 8 * n), 8);

		if (BASER_TYPE(v) == BASER_TYPE_DEVICES)
			entry = BASER_ENTRY_BYTES(v);
	}
	if (!entry)
		return 0; /* no device table: the ITS keeps them itself */
	while (bits < ((typer & TYPER_DEVBITS) >> TYPER_DEVBITS_SHIFT) + 1 &&
	       (2UL << bits) * entry <= ITS_TABLE_BYTES)
		bits++;
	return bits;
}

bool its_enabled(void)
{
	return (gic_mmio_read(its_reg(GITS_CTLR), 4) & GITS_CTLR_ENABLED) != 0;
}

/* Boot, before the host runs: the ITS disabled (and waited for, bounded),
 * its command queue and table bases cleared, so no firmware-left table
 * survives. */
void its_mediate_init(void)
{
	u32 spins = 0;

	gic_mmio_write(its_reg(GITS_CTLR), 4, 0);
	while (!its_stopped() && ++spins < DRAIN_SPINS)
		;
	if (!its_stopped())
		arch_halt("boot: the ITS does not become quiescent", home.its_base,
			  gic_mmio_read(its_reg(GITS_CTLR), 4));
	gic_mmio_write(its_reg(GITS_CBASER), 8, 0);
	for (u32 n = 0; n < GITS_BASER_NUM; n++) {
		u64 reg = its_reg(GITS_BASER0 + 8 * n);

		gic_mmio_write(reg, 8, 0);
		host_baser[n] = gic_mmio_read(reg, 8); /* Type, Entry_Size: the ITS's */
	}
	device_id_bits = device_bits_offered();
	its_cmds_reset();
}
