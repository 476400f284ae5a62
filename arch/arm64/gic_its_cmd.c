/* The ITS commands KCore lets through (D61), taken from the host's queue
 * into KCore's own (gic_its.c). A command is copied first and checked in
 * the copy, so the host cannot change it after the check. The commands of
 * one GITS_CWRITER write are taken whole or not at all.
 *
 * Commands that make the ITS write memory no table base names: MAPD (the
 * device's interrupt translation table, ITT: Size + 1 EventID bits, each
 * entry GITS_TYPER.ITT_entry_size bytes, at ITT_addr): its ITT must be the
 * host's RAM and is pinned, one record per device (at most
 * KCORE_ITS_MAX_DEVICES live at once); an unmap (V = 0, or a new MAPD of
 * the same device) keeps the old ITT pinned until the ITS has passed the
 * command. Where GITS_TYPER.PTA says targets are physical addresses, a
 * MAPC's or MOVALL's target must be a redistributor's frame. The other
 * GICv3 commands (MOVI, INT, CLEAR, SYNC, MAPTI, MAPI, INV, INVALL,
 * DISCARD) write only tables already pinned; every other command (GICv4's
 * VMAPP, VMAPTI, VMOVP, ...; unknown ones) is refused. */
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"

#include "el2.h"
#include "gic_mediate.h"
#include "home.h"

#define GITS_TYPER 0x8
#define TYPER_ITT_ENTRY_BYTES(t) ((((t) >> 4) & 0xF) + 1)
#define TYPER_EVENT_BITS(t) ((((t) >> 8) & 0x1F) + 1)
#define TYPER_PTA (1UL << 19)
#define CMD_BYTES 32UL

enum its_cmd {
	CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05,
	CMD_MAPD = 0x08, CMD_MAPC = 0x09, CMD_MAPTI = 0x0A, CMD_MAPI = 0x0B,
	CMD_INV = 0x0C, CMD_INVALL = 0x0D, CMD_MOVALL = 0x0E, CMD_DISCARD = 0x0F,
};

#define CMD_VALID (1UL << 63)
#define MAPD_ITT_PA(dw2) ((dw2) & 0x000FFFFFFFFFFF00UL) /* bits 51:8 */
#define RDBASE_PA(dw) ((dw) & 0x0007FFFFFFFF0000UL)   /* bits 50:16: PA[51:16] */

/* A device's ITT as KCore pinned it (slot PIN_SLOT_ITT(index)). */
enum itt_state { ITT_FREE, ITT_LIVE, ITT_RELEASING };
struct itt_record {
	u32 devid;
	u8 state;
	/* In the commands being taken: pinned by them (undone if they are
	 * refused), or moved LIVE -> RELEASING by them. */
	bool batch_new, batch_released;
};
static struct itt_record itt[KCORE_ITS_MAX_DEVICES];

static void itt_release(u32 d)
{
	if (kcore_host_pin(PIN_SLOT_ITT(d), 0, 0) != 0)
		arch_halt("its: an ITT pin cannot be released", d, itt[d].devid);
	itt[d].state = ITT_FREE;
}

/* The device's live ITT, if any, starts its release (with the batch). */
static void itt_unmap(u32 devid)
{
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++)
		if (itt[d].state == ITT_LIVE && itt[d].devid == devid) {
			itt[d].state = ITT_RELEASING;
			itt[d].batch_released = true;
		}
}

static bool cmd_mapd(u64 typer, const u64 *c)
{
	u32 devid = (u32)(c[0] >> 32), events = (u32)(c[1] & 0x1F) + 1, d;
	u64 base = MAPD_ITT_PA(c[2]);
	long ret;

	if (devid >= its_device_ids())
		return gic_refuse("ITS MAPD: a DeviceID beyond the device table", devid,
				  its_device_ids());
	itt_unmap(devid);
	if (!(c[2] & CMD_VALID))
		return true;
	if (events > TYPER_EVENT_BITS(typer))
		return gic_refuse("ITS MAPD: more EventID bits than the ITS has", devid, events);
	for (d = 0; d < KCORE_ITS_MAX_DEVICES && itt[d].state != ITT_FREE; d++)
		;
	if (d == KCORE_ITS_MAX_DEVICES)
		return gic_refuse("ITS MAPD: KCORE_ITS_MAX_DEVICES devices mapped", devid, 0);
	ret = kcore_host_pin(PIN_SLOT_ITT(d), base, (1UL << events) * TYPER_ITT_ENTRY_BYTES(typer));
	if (ret)
		return gic_refuse("ITS MAPD: the ITT is not the host's RAM", base, (u64)-ret);
	itt[d] = (struct itt_record){ devid, ITT_LIVE, true, false };
	return true;
}

static bool cmd_check(u64 typer, const u64 *c)
{
	switch (c[0] & 0xFF) {
	case CMD_MAPD:
		return cmd_mapd(typer, c);
	case CMD_MAPC:
		if ((typer & TYPER_PTA) && (c[2] & CMD_VALID) && !gicr_is_rd_base(RDBASE_PA(c[2])))
			return gic_refuse("ITS MAPC: the target is no redistributor", c[2], 0);
		return true;
	case CMD_MOVALL:
		if ((typer & TYPER_PTA) &&
		    (!gicr_is_rd_base(RDBASE_PA(c[2])) || !gicr_is_rd_base(RDBASE_PA(c[3]))))
			return gic_refuse("ITS MOVALL: a target is no redistributor", c[2], c[3]);
		return true;
	case CMD_MOVI:
	case CMD_INT:
	case CMD_CLEAR:
	case CMD_SYNC:
	case CMD_MAPTI:
	case CMD_MAPI:
	case CMD_INV:
	case CMD_INVALL:
	case CMD_DISCARD:
		return true;
	default:
		return gic_refuse("ITS: a command KCore does not pass (GICv4, or unknown)",
				  c[0] & 0xFF, c[0] >> 32);
	}
}

/* The batch's changes to the records: kept (its commands go to the ITS)
 * or undone (refused: the records as they were before it). */
static void batch_end(bool keep)
{
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++) {
		if (!keep && itt[d].batch_new)
			itt_release(d);
		else if (!keep && itt[d].batch_released)
			itt[d].state = ITT_LIVE;
		itt[d].batch_new = itt[d].batch_released = false;
	}
}

bool its_cmds_take(u8 *kcore_queue, u64 host_queue, u64 queue_bytes, u64 from, u64 to)
{
	u64 typer = gic_mmio_read(home.its_base + GITS_TYPER, 8);

	for (u64 off = from; off != to; off = (off + CMD_BYTES) % queue_bytes) {
		const volatile u64 *src = arch_phys_to_virt(host_queue + off);
		u64 *dst = (u64 *)(void *)(kcore_queue + off);

		for (u32 i = 0; i < 4; i++)
			dst[i] = src[i];
		if (!cmd_check(typer, dst)) {
			batch_end(false);
			return false;
		}
	}
	batch_end(true);
	return true;
}

bool its_cmds_releasing(void)
{
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++)
		if (itt[d].state == ITT_RELEASING)
			return true;
	return false;
}

void its_cmds_done(bool drained)
{
	if (!drained)
		return;
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++)
		if (itt[d].state == ITT_RELEASING)
			itt_release(d);
}

void its_cmds_forget_all(void)
{
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++)
		if (itt[d].state != ITT_FREE)
			itt_release(d);
}

/* Boot: no device mapped. */
void its_cmds_reset(void)
{
	for (u32 d = 0; d < KCORE_ITS_MAX_DEVICES; d++)
		itt[d] = (struct itt_record){ 0, ITT_FREE, false, false };
}
