/* The GIC registers KCore mediates for the host (D44 (c), D60): the
 * decoding of a trapped access (mmio_mediate.c) and the two devices that
 * write memory at addresses the host programs: the ITS (gic_its.c, its
 * commands in gic_its_cmd.c) and the redistributors' LPI tables
 * (gic_redist.c). Everything here runs under mmio_mediate.c's lock. */
#ifndef KCORE_ARCH_GIC_MEDIATE_H
#define KCORE_ARCH_GIC_MEDIATE_H

#include "kcore/layout.h"
#include "kcore/types.h"

#define GIC_FRAME 0x10000UL

/* One host access to a mediated page: the offset within its 64 KB frame,
 * its size in bytes, and the value written or read. */
struct mmio_access {
	u64 off;
	u32 size;
	bool write;
	u64 val;
};

/* The pin slots (kcore_host_pin, D60) of each mediated table. */
#define PIN_SLOT_ITS_CMDQ 0U                      /* the host's command queue */
#define PIN_SLOT_GICR_PROP(rd) (1U + 2U * (rd))   /* rd < KCORE_MAX_CPUS */
#define PIN_SLOT_GICR_PEND(rd) (2U + 2U * (rd))
#define PIN_SLOT_ITT(d) (1U + 2U * KCORE_MAX_CPUS + (d)) /* d < KCORE_ITS_MAX_DEVICES */

u64 gic_mmio_read(u64 pa, u32 size);
void gic_mmio_write(u64 pa, u32 size, u64 v);
/* A refusal of the host's: its access aborts; one console line says why. */
bool gic_refuse(const char *what, u64 a, u64 b);

/* gic_its.c: an access to page 0 of the ITS's control frame; false to
 * refuse it (nothing changed). Boot: the ITS off, its bases cleared. */
bool its_mediate(struct mmio_access *a);
void its_mediate_init(void);
/* gic_its_cmd.c: the commands [from, to) of the host's queue, copied into
 * KCore's (the same offsets) and checked; false if one is refused (the
 * ITS's queue then stays as it was: its CWRITER is not moved). */
bool its_cmds_take(u8 *kcore_queue, u64 host_queue, u64 queue_bytes, u64 from, u64 to);
/* After the ITS has consumed what its_cmds_take accepted (or not: false),
 * the device tables that commands unmapped are released. */
void its_cmds_done(bool drained);
bool its_cmds_releasing(void); /* whether some device table waits for that */
void its_cmds_reset(void);
/* The ITS's device table was replaced (the ITS quiescent): every ITT pin
 * goes. */
void its_cmds_forget_all(void);
/* gic_its.c: how many DeviceIDs KCore's device table holds (0: none). */
u64 its_device_ids(void);
/* Whether pa is the base of a redistributor frame (MAPC / MOVALL with
 * GITS_TYPER.PTA: targets are physical addresses). */
bool gicr_is_rd_base(u64 pa);

/* gic_redist.c: an access to page 0 of redistributor rd's frame `frame`
 * (0: RD_base, 2 and 3: a GICv4 frame's VLPI pages). Boot: the frames
 * found, LPIs checked off, the table bases cleared. */
bool gicr_mediate(u64 ipa, struct mmio_access *a);
void gicr_mediate_init(void);
/* The first redistributor frame whose LPIs are on (0: none); whether the
 * ITS is enabled. */
u64 gicr_lpis_on(void);
bool its_enabled(void);

#endif
