/* The `devices` scenario's LPI part (D60, GICv3): the host gets working
 * LPIs through the ITS, with every table it programs checked and pinned by
 * KCore, and the ITS kept from memory the host does not own:
 *  - LPI table bases in KCore's memory, or larger than KCore pins, abort;
 *    so does EnableLPIs before both tables are set;
 *  - a pinned table page cannot leave the host (-KE_BUSY), and is free
 *    again once the ITS no longer uses it;
 *  - a device (MAPD) whose ITT lies in KCore's memory, a GICv4 command, a
 *    DeviceID beyond the device table: the GITS_CWRITER write aborts and
 *    the ITS runs none of the batch;
 *  - the ITS's device table is KCore's, not the one the host named: what
 *    the host writes there (a forged entry) is never used;
 *  - and an LPI the host maps (MAPD, MAPC, MAPTI) is delivered: a write of
 *    its EventID to GITS_TRANSLATER makes INTID 8192 pending at CPU 0. */
#include "kcore/abi.h"
#include "kcore/errno.h"

#include "hostlib.h"
#include "scenario.h"

#ifdef SCENARIO_DEVICES
#define GICD_CTLR 0x08000000UL
#define GICR_RD0 0x080a0000UL
#define GICR_CTLR 0x0UL
#define GICR_WAKER 0x14UL
#define GICR_PROPBASER 0x70UL
#define GICR_PENDBASER 0x78UL
#define GITS 0x08080000UL
#define GITS_CTLR 0x0UL
#define GITS_TYPER 0x8UL
#define GITS_CBASER 0x80UL
#define GITS_CWRITER 0x88UL
#define GITS_CREADR 0x90UL
#define GITS_BASER(n) (0x100UL + 8 * (n))
#define GITS_TRANSLATER 0x08090040UL
#define KCORE_IMAGE 0x40200000UL

/* The host's tables, in its own RAM (beyond its image). */
#define PROP 0x4C000000UL    /* LPI configuration: 2^16 - 8192 bytes */
#define PEND 0x4C010000UL    /* LPI pending: 8 KB, 64 KB aligned */
#define CMDQ 0x4C020000UL    /* one 4 KB page: 128 commands */
#define DEVTAB 0x4C030000UL  /* what the host names as the device table */
#define COLLTAB 0x4C040000UL /* ... and the collection table */
#define ITT 0x4C050000UL     /* device 0's interrupt translation table */
#define FREE_PAGE 0x4C060000UL
#define MARK 0x5A5A5A5A5A5A5A5AUL
#define LPI 8192U

static u32 cmds; /* commands written to the queue so far */

static void poke32(u64 pa, u32 v)
{
	*(volatile u32 *)(uintptr_t)pa = v;
}

static u32 peek32(u64 pa)
{
	return *(volatile u32 *)(uintptr_t)pa;
}

static bool aborted(u64 before)
{
	return aborts == before + 1;
}

static void refused64(const char *what, u64 pa, u64 v)
{
	u64 before = aborts;

	poke(pa, v);
	check(aborted(before), what);
}

/* One command at the queue's next slot (not yet given to the ITS). */
static void cmd(u64 dw0, u64 dw1, u64 dw2, u64 dw3)
{
	u64 *c = (u64 *)(uintptr_t)(CMDQ + 32 * (cmds++ % 128));

	c[0] = dw0;
	c[1] = dw1;
	c[2] = dw2;
	c[3] = dw3;
}

static void cmd_mapd(u32 devid, u64 itt, bool valid)
{
	cmd(0x08 | (u64)devid << 32, 1 /* 2 EventID bits */, (valid ? 1UL << 63 : 0) | itt, 0);
}

/* The batch since the last CWRITER given to the ITS; true if KCore took it
 * (and the ITS then consumed it). */
static bool post(void)
{
	u64 before = aborts, to = (32 * cmds) % 4096;

	poke32(GITS + GITS_CWRITER, (u32)to);
	if (aborts != before)
		return false;
	for (u32 spins = 0; spins < 1000000 && (peek(GITS + GITS_CREADR) & 0xFFFE0) != to; spins++)
		;
	return (peek(GITS + GITS_CREADR) & 0xFFFE0) == to;
}

/* The batch is dropped: the host takes its queue back to the ITS's CWRITER. */
static void unpost(u32 n)
{
	cmds -= n;
}

/* Whether KCore refuses to take a host page from the host because it is
 * pinned: LOAD_DECRYPT_BUF into a READY VM checks "count 0" before it reads
 * the blob. */
static bool page_pinned(long vmid, u64 pa)
{
	return host_hvc(KCORE_HC_LOAD_DECRYPT_BUF, (u64)vmid, pa, 0, 0, 0) == -KE_BUSY;
}

static void lpi_tables(long vmid)
{
	u64 before;

	refused64("LPIs: GICR_PROPBASER in KCore's memory: write refused", GICR_RD0 + GICR_PROPBASER,
		  KCORE_IMAGE | 15);
	refused64("LPIs: GICR_PROPBASER of 17 ID bits (more than KCore pins): write refused",
		  GICR_RD0 + GICR_PROPBASER, PROP | 16);
	refused64("LPIs: GICR_PENDBASER in KCore's memory: write refused", GICR_RD0 + GICR_PENDBASER,
		  KCORE_IMAGE);
	before = aborts;
	poke32(GICR_RD0 + GICR_CTLR, 1);
	check(aborted(before) && (peek32(GICR_RD0 + GICR_CTLR) & 1) == 0,
	      "LPIs: EnableLPIs before both tables are set: refused, LPIs stay off");
	before = aborts;
	poke(GICR_RD0 + GICR_PROPBASER, PROP | 15);
	poke(GICR_RD0 + GICR_PENDBASER, PEND);
	check(aborts == before && (peek(GICR_RD0 + GICR_PROPBASER) & ~0xFFFUL) == PROP &&
		      (peek(GICR_RD0 + GICR_PENDBASER) & ~0xFFFFUL) == PEND,
	      "LPIs: the property and pending tables in host RAM are taken");
	check(page_pinned(vmid, PROP) && page_pinned(vmid, PROP + 13 * 4096) &&
		      page_pinned(vmid, PEND + 4096) && !page_pinned(vmid, PEND + 2 * 4096) &&
		      !page_pinned(vmid, FREE_PAGE),
	      "LPIs: their pages are pinned (-KE_BUSY), exactly their extent");
	*(volatile u8 *)(uintptr_t)PROP = 0xA0 | 3; /* LPI 8192: priority 0xA0, group 1, enabled */
	poke32(GICR_RD0 + GICR_WAKER, 0);
	while (peek32(GICR_RD0 + GICR_WAKER) & 4)
		;
	before = aborts;
	poke32(GICR_RD0 + GICR_CTLR, 1);
	check(aborts == before && (peek32(GICR_RD0 + GICR_CTLR) & 1),
	      "LPIs: EnableLPIs once both tables are pinned");
	refused64("LPIs: GICR_PROPBASER while LPIs are on: write refused", GICR_RD0 + GICR_PROPBASER,
		  FREE_PAGE | 15);
}

/* The ITS's device and collection tables, as the host names them: in its
 * RAM, marked, one with a forged entry. */
static void its_tables(void)
{
	for (u32 n = 0; n < 8; n++) {
		u64 v = peek(GITS + GITS_BASER(n)), type = (v >> 56) & 7;
		u64 table = type == 1 ? DEVTAB : COLLTAB;

		if (type != 1 && type != 4)
			continue;
		for (u64 i = 0; i < 16 * 4096; i += 8)
			poke(table + i, MARK);
		poke(GITS + GITS_BASER(n), 1UL << 63 | (v & (0x1FUL << 48 | 7UL << 56)) | table | 15);
	}
}

static void its_setup(void)
{
	u64 before;

	refused64("ITS: GITS_CBASER in KCore's memory: write refused", GITS + GITS_CBASER,
		  1UL << 63 | KCORE_IMAGE);
	refused64("ITS: a command queue over 64 KB: write refused", GITS + GITS_CBASER,
		  1UL << 63 | CMDQ | 16);
	before = aborts;
	its_tables();
	poke(GITS + GITS_CBASER, 1UL << 63 | CMDQ);
	poke32(GITS + GITS_CWRITER, 0);
	poke32(GITS + GITS_CTLR, 1);
	check(aborts == before && peek(GITS + GITS_CBASER) == (1UL << 63 | CMDQ) &&
		      (peek32(GITS + GITS_CTLR) & 1),
	      "ITS: tables and a command queue in host RAM taken, the ITS enabled (CBASER reads "
	      "back the host's)");
	refused64("ITS: GITS_BASER while the ITS is on: write refused", GITS + GITS_BASER(0),
		  1UL << 63 | DEVTAB);
}

static u64 highest_pending(void)
{
	u64 intid;

	__asm__ volatile("mrs %0, S3_0_C12_C12_2" : "=r"(intid)); /* ICC_HPPIR1_EL1 */
	return intid;
}

static bool lpi_pending(void)
{
	u64 intid = highest_pending();

	for (u32 spins = 0; spins < 100000 && intid == 1023; spins++)
		intid = highest_pending();
	if (intid != LPI)
		return false;
	__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(intid)); /* ICC_IAR1_EL1 */
	__asm__ volatile("msr S3_0_C12_C12_1, %0\n\tisb" : : "r"(intid)); /* ICC_EOIR1_EL1 */
	return intid == LPI;
}

static void its_commands(long vmid)
{
	u64 dev_mark = peek(DEVTAB), creadr;

	cmd_mapd(0, ITT, true);
	cmd(0x09, 0, 1UL << 63, 0);       /* MAPC: collection 0 -> CPU 0 (RDbase 0) */
	cmd(0x0A, (u64)LPI << 32, 0, 0);  /* MAPTI: device 0, event 0 -> 8192, collection 0 */
	cmd(0x0D, 0, 0, 0);                        /* INVALL collection 0 */
	cmd(0x05, 0, 0, 0);                        /* SYNC CPU 0 */
	check(post(), "ITS: MAPD (ITT in host RAM), MAPC, MAPTI, INVALL, SYNC taken and run");
	check(page_pinned(vmid, ITT), "ITS: the device's ITT is pinned (-KE_BUSY)");
	poke32(GITS_TRANSLATER, 0);
	check(lpi_pending(), "ITS: EventID 0 written to GITS_TRANSLATER: LPI 8192 delivered to CPU 0");
	check(peek(DEVTAB) == dev_mark && peek(DEVTAB + 8) == MARK && peek(COLLTAB) == MARK,
	      "ITS: the tables the host named are untouched (the ITS uses KCore's)");

	creadr = peek(GITS + GITS_CREADR);
	cmd_mapd(1, KCORE_IMAGE, true);
	check(!post() && peek(GITS + GITS_CREADR) == creadr,
	      "ITS: MAPD with an ITT in KCore's memory: CWRITER refused, nothing run");
	unpost(1);
	cmd(0x05, 0, 0, 0);
	cmd(0x29, 0, 1UL << 63, 0); /* VMAPP: GICv4 */
	check(!post() && peek(GITS + GITS_CREADR) == creadr,
	      "ITS: a batch with a GICv4 command (VMAPP): refused whole, nothing run");
	unpost(2);
	cmd_mapd(1U << 20, ITT + 0x100, true);
	check(!post(), "ITS: MAPD of a DeviceID beyond the device table: refused");
	unpost(1);
	cmd_mapd(0, 0, false);
	cmd(0x05, 0, 0, 0);
	check(post() && !page_pinned(vmid, ITT),
	      "ITS: MAPD V=0 run: the ITT is no longer pinned");
	poke32(GITS_TRANSLATER, 0);
	check(!lpi_pending(), "ITS: the unmapped device's event is not delivered");
}

void lpi_checks(void)
{
	long vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);

	check(vmid > 0 && host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0) == 0,
	      "LPIs: a READY VM to try pinned pages on");
	__asm__ volatile("msr daifset, #2");
	poke32(GICD_CTLR, 0x10);   /* ARE */
	poke32(GICD_CTLR, 0x13);   /* ARE, group 0 and 1 enabled */
	__asm__ volatile("msr S3_0_C4_C6_0, %0" : : "r"(0xFFUL)); /* ICC_PMR_EL1 */
	__asm__ volatile("msr S3_0_C12_C12_7, %0\n\tisb" : : "r"(1UL)); /* ICC_IGRPEN1_EL1 */
	lpi_tables(vmid);
	its_setup();
	its_commands(vmid);
}
#endif
