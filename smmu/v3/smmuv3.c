/* The SMMUv3 driver at EL2: see smmuv3.h and docs/smmu.md. Register, STE,
 * CD, command and event layouts are those of the Arm SMMUv3 architecture
 * (IHI 0070); only stage 1 is used (QEMU's model has nothing else). */
#include "kcore/arch.h"
#include "kcore/layout.h"
#include "kcore/lock.h"
#include "kcore/state.h"

#include "smmuv3.h"
#include "sysreg.h"

/* ---- registers (page 0; the event queue's PROD/CONS live in page 1) ---- */
#define IDR0 0x00
#define IDR1 0x04
#define IDR5 0x14
#define CR0 0x20
#define CR0ACK 0x24
#define CR1 0x28
#define CR2 0x2C
#define GBPA 0x44
#define IRQ_CTRL 0x50
#define GERROR 0x60
#define STRTAB_BASE 0x80
#define STRTAB_BASE_CFG 0x88
#define CMDQ_BASE 0x90
#define CMDQ_PROD 0x98
#define CMDQ_CONS 0x9C
#define EVENTQ_BASE 0xA0
#define EVENTQ_PROD 0x100A8
#define EVENTQ_CONS 0x100AC

#define IDR0_S1P (1U << 1)
#define IDR0_TTF_AA64 (1U << 3) /* TTF = 0b10 or 0b11 */
#define IDR0_COHACC (1U << 4)
#define IDR1_SIDSIZE(v) ((v)&0x3F)
#define IDR1_EVENTQS(v) (((v) >> 16) & 0x1F)
#define IDR1_CMDQS(v) (((v) >> 21) & 0x1F)
#define IDR5_GRAN4K (1U << 4)
#define IDR5_OAS(v) ((v)&7)
#define CR0_SMMUEN (1U << 0)
#define CR0_EVENTQEN (1U << 2)
#define CR0_CMDQEN (1U << 3)
/* CR1: tables and queues inner-shareable, write-back cacheable */
#define CR1_VALUE ((3U << 10) | (1U << 8) | (1U << 6) | (3U << 4) | (1U << 2) | (1U << 0))
#define CR2_RECINVSID (1U << 1) /* record C_BAD_STREAMID */
#define CR2_PTM (1U << 2)       /* the CPUs' broadcast TLBIs are not ours */
#define GBPA_ABORT (1U << 20)
#define GBPA_UPDATE (1U << 31)
#define GERROR_CMDQ_ERR (1U << 0)
#define Q_BASE_RWA (1UL << 62) /* RA for the stream table and command queue, WA for events */

/* ---- the structures KCore owns ---- */
#define STREAM_BITS 8U /* KCORE_SMMU_STREAMS = 2^8 */
#define CMDQ_BITS 5U   /* 32 commands of 16 bytes */
#define EVTQ_BITS 6U   /* 64 events of 32 bytes */
#define CMDQ_N (1U << CMDQ_BITS)
#define EVTQ_N (1U << EVTQ_BITS)
_Static_assert(KCORE_SMMU_STREAMS == 1U << STREAM_BITS, "linear stream table size");

#define STE_V (1UL << 0)
#define STE_CFG_ABORT (0UL << 1)
#define STE_CFG_S1 (5UL << 1) /* stage-1 translate, stage 2 bypass */
/* dw1: CD fetches inner-shareable write-back (S1CIR, S1COR, S1CSH) */
#define STE_DW1 ((1UL << 2) | (1UL << 4) | (3UL << 6))

/* CD dw0: T0SZ 25 (39-bit input: the SPT's three levels from bits 38:30),
 * TG0 4 KB, walks inner-shareable write-back, TTB1 off (EPD1), valid, IPS
 * 40 bits, AArch64, R (record faults), A (abort on fault), ASET (ASIDs
 * not shared with the CPUs); | ASID << 48. */
#define CD_DW0 ((25UL << 0) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 30) | (1UL << 31) | \
		(2UL << 32) | (1UL << 41) | (1UL << 45) | (1UL << 46) | (1UL << 47))
#define CD_MAIR 0x04FFUL /* attribute 0 normal write-back (PAGE_SMMU), 1 device */

#define CMD_CFGI_STE 0x03UL
#define CMD_CFGI_ALL 0x04UL /* CFGI_STE_RANGE with Range 31 */
#define CMD_TLBI_NH_ASID 0x11UL
#define CMD_TLBI_NH_VA 0x12UL
#define CMD_TLBI_NSNH_ALL 0x30UL
#define CMD_SYNC 0x46UL /* CS = 0: completion seen through CMDQ_CONS */

#define POLL_LIMIT (1U << 24)

struct smmuv3_mem {
	u64 strtab[KCORE_SMMU_STREAMS][8] __attribute__((aligned(1U << (STREAM_BITS + 6))));
	u64 cd[KCORE_SMMU_MAX_CFG][8] __attribute__((aligned(64)));
	u64 cmdq[CMDQ_N][2] __attribute__((aligned(CMDQ_N * 16)));
	u64 evtq[EVTQ_N][4] __attribute__((aligned(EVTQ_N * 32)));
};

/* One SMMUv3 instance. KCore drives one (index 0): QEMU virt has one. */
static struct smmuv3 {
	u64 base;
	bool ready;
	u32 cmd_prod; /* index and wrap bit of the next command */
	u32 evt_cons; /* index, wrap and overflow-ack bits of the next event */
} smmu;
static struct smmuv3_mem mem;

static u32 rd32(u32 off)
{
	return *(volatile u32 *)(uintptr_t)(smmu.base + off);
}

static void wr32(u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(smmu.base + off) = v;
}

static void wr64(u32 off, u64 v)
{
	*(volatile u64 *)(uintptr_t)(smmu.base + off) = v;
}

static u64 pa_of(const void *p)
{
	return (u64)(uintptr_t)p; /* KCore's EL2 map is the identity */
}

/* The SMMU's view of a descriptor: a single 64-bit store, so it never
 * reads a half-written one. */
static void put64(u64 *slot, u64 v)
{
	*(volatile u64 *)slot = v;
}

static void wait_ack(u32 want)
{
	for (u32 i = 0; i < POLL_LIMIT; i++)
		if (rd32(CR0ACK) == want)
			return;
	arch_halt("smmuv3: CR0 not acknowledged", want, rd32(CR0ACK));
}

static void enable(u32 cr0)
{
	dsb(sy); /* tables and queues are written before the SMMU may read them */
	wr32(CR0, cr0);
	wait_ack(cr0);
}

/* ---- the command queue ---- */
static u32 q_wrap_mask(u32 bits)
{
	return (2U << bits) - 1; /* index bits and the wrap bit */
}

static bool cmdq_full(u32 cons)
{
	return ((smmu.cmd_prod ^ cons) & q_wrap_mask(CMDQ_BITS)) == CMDQ_N;
}

/* The SMMU has consumed everything up to cmd_prod (or halts: a command
 * error is a KCore bug, a hung SMMU a broken machine). */
static void cmdq_wait_consumed(void)
{
	for (u32 i = 0; i < POLL_LIMIT; i++) {
		u32 cons = rd32(CMDQ_CONS);

		if (rd32(GERROR) & GERROR_CMDQ_ERR)
			arch_halt("smmuv3: command error (CMDQ_CONS.ERR)", (cons >> 24) & 0x7F,
				  mem.cmdq[cons & (CMDQ_N - 1)][0]);
		if (((cons ^ smmu.cmd_prod) & q_wrap_mask(CMDQ_BITS)) == 0)
			return;
	}
	arch_halt("smmuv3: command queue stuck", smmu.cmd_prod, rd32(CMDQ_CONS));
}

static void cmdq_publish(void)
{
	dsb(st); /* the commands are in memory before PROD says so */
	wr32(CMDQ_PROD, smmu.cmd_prod);
}

static void cmd(u64 w0, u64 w1)
{
	u32 idx;

	lock_assert_held(SMMU_ID);
	if (cmdq_full(rd32(CMDQ_CONS))) {
		cmdq_publish();
		cmdq_wait_consumed();
	}
	idx = smmu.cmd_prod & (CMDQ_N - 1);
	put64(&mem.cmdq[idx][0], w0);
	put64(&mem.cmdq[idx][1], w1);
	smmu.cmd_prod = (smmu.cmd_prod + 1) & q_wrap_mask(CMDQ_BITS);
}

/* CMD_SYNC, and wait until the SMMU has completed it: every command
 * before it (an invalidation, a configuration change) has taken effect. */
static void cmd_sync(void)
{
	cmd(CMD_SYNC, 0);
	cmdq_publish();
	cmdq_wait_consumed();
}

static u64 asid_of(u32 cbndx)
{
	return (u64)(cbndx + 1); /* ASID 0 is left unused */
}

/* ---- set-up ---- */
static void smmuv3_check_features(void)
{
	u32 idr0 = rd32(IDR0), idr1 = rd32(IDR1), idr5 = rd32(IDR5);

	if (!(idr0 & IDR0_S1P) || !(idr0 & IDR0_TTF_AA64))
		arch_halt("smmuv3: no stage-1 AArch64 translation", idr0, 0);
	/* KCore writes tables with plain cacheable stores and no cache
	 * maintenance: the SMMU must snoop. */
	if (!(idr0 & IDR0_COHACC))
		arch_halt("smmuv3: table walks not coherent (IDR0.COHACC)", idr0, 0);
	if (IDR1_SIDSIZE(idr1) < STREAM_BITS || IDR1_CMDQS(idr1) < CMDQ_BITS ||
	    IDR1_EVENTQS(idr1) < EVTQ_BITS)
		arch_halt("smmuv3: too few stream ids or queue entries", idr1, 0);
	if (!(idr5 & IDR5_GRAN4K) || IDR5_OAS(idr5) < 2)
		arch_halt("smmuv3: no 4 KB granule or output below 40 bits", idr5, 0);
}

/* One context descriptor per context bank; its table is the core's SPT
 * root for (0, cbndx), which never moves: the CD never changes. */
static void smmuv3_write_cds(void)
{
	for (u32 cb = 0; cb < KCORE_SMMU_MAX_CFG; cb++) {
		for (u32 w = 1; w < 8; w++)
			put64(&mem.cd[cb][w], 0);
		put64(&mem.cd[cb][1], spt_root(0, cb));
		put64(&mem.cd[cb][3], CD_MAIR);
		put64(&mem.cd[cb][0], CD_DW0 | asid_of(cb) << 48);
	}
}

void smmuv3_init(u64 base)
{
	smmu.base = base;
	smmuv3_check_features();

	/* Off, and while it is off, abort rather than bypass (where GBPA is
	 * implemented; QEMU's reads as 0). */
	wr32(CR0, 0);
	wait_ack(0);
	wr32(GBPA, GBPA_ABORT | GBPA_UPDATE);
	for (u32 i = 0; i < POLL_LIMIT && (rd32(GBPA) & GBPA_UPDATE); i++)
		;
	wr32(IRQ_CTRL, 0); /* KCore polls; no interrupt reaches the host */

	for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++) {
		for (u32 w = 1; w < 8; w++)
			put64(&mem.strtab[s][w], 0);
		put64(&mem.strtab[s][0], STE_V | STE_CFG_ABORT);
	}
	smmuv3_write_cds();

	wr32(CR1, CR1_VALUE);
	wr32(CR2, CR2_RECINVSID | CR2_PTM);
	wr64(STRTAB_BASE, pa_of(mem.strtab) | Q_BASE_RWA);
	wr32(STRTAB_BASE_CFG, STREAM_BITS); /* FMT 0: linear */
	wr64(CMDQ_BASE, pa_of(mem.cmdq) | Q_BASE_RWA | CMDQ_BITS);
	wr32(CMDQ_PROD, 0);
	wr32(CMDQ_CONS, 0);
	wr64(EVENTQ_BASE, pa_of(mem.evtq) | Q_BASE_RWA | EVTQ_BITS);
	wr32(EVENTQ_PROD, 0);
	wr32(EVENTQ_CONS, 0);
	smmu.cmd_prod = 0;
	smmu.evt_cons = 0;

	lock_acquire(SMMU_ID);
	enable(CR0_CMDQEN | CR0_EVENTQEN);
	cmd(CMD_CFGI_ALL, 31);
	cmd(CMD_TLBI_NSNH_ALL, 0);
	cmd_sync();
	enable(CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
	lock_release(SMMU_ID);
	smmu.ready = true;
}

bool smmu_hw_available(void)
{
	return smmu.ready;
}

/* Only instance 0 exists; the core never names a context of another (its
 * context count is 0), but a detach or an invalidation may name one. */
static bool is_ours(u32 index)
{
	return smmu.ready && index == 0;
}

/* ---- invalidation ---- */
void smmu_hw_tlbi(u32 index, u32 cbndx, u64 iova)
{
	if (!is_ours(index))
		return;
	dsb(ishst); /* the descriptor change is visible to the SMMU's walks */
	cmd(CMD_TLBI_NH_VA | asid_of(cbndx) << 48, (iova & ~0xFFFUL) | 1 /* leaf */);
	cmd_sync();
}

void smmu_hw_tlbi_ctx(u32 index, u32 cbndx)
{
	if (!is_ours(index))
		return;
	dsb(ishst);
	cmd(CMD_TLBI_NH_ASID | asid_of(cbndx) << 48, 0);
	cmd_sync();
}

/* ---- streams ---- */
static void cfgi_ste(u32 stream)
{
	cmd(CMD_CFGI_STE | (u64)stream << 32, 1 /* leaf */);
}

void smmu_hw_attach(u32 index, u32 stream, u32 cbndx)
{
	u64 *ste;

	if (!is_ours(index) || stream >= KCORE_SMMU_STREAMS || cbndx >= KCORE_SMMU_MAX_CFG)
		arch_halt("smmuv3: attach outside the hardware", stream, cbndx);
	ste = mem.strtab[stream];
	put64(&ste[1], STE_DW1);
	dsb(ishst); /* dw1 before the STE turns valid for translation */
	put64(&ste[0], STE_V | STE_CFG_S1 | pa_of(mem.cd[cbndx]));
	dsb(ishst);
	cfgi_ste(stream);
	cmd_sync();
}

void smmu_hw_detach(u32 index, u32 stream)
{
	if (!is_ours(index) || stream >= KCORE_SMMU_STREAMS)
		return;
	put64(&mem.strtab[stream][0], STE_V | STE_CFG_ABORT);
	dsb(ishst);
	cfgi_ste(stream);
	cmd_sync();
}

/* ---- events ---- */
int smmu_hw_poll_event(struct smmu_hw_event *ev)
{
	u32 prod, idx;
	const u64 *rec;

	lock_assert_held(SMMU_ID);
	if (!smmu.ready)
		return 0;
	prod = rd32(EVENTQ_PROD);
	/* An overflow (PROD.OVFLG, bit 31) lost events; acknowledging it
	 * (CONS.OVACKFLG) lets the SMMU record again. */
	smmu.evt_cons = (smmu.evt_cons & ~(1U << 31)) | (prod & (1U << 31));
	if (((prod ^ smmu.evt_cons) & q_wrap_mask(EVTQ_BITS)) == 0) {
		wr32(EVENTQ_CONS, smmu.evt_cons);
		return 0;
	}
	dsb(ld); /* the record is read after PROD */
	idx = smmu.evt_cons & (EVTQ_N - 1);
	rec = mem.evtq[idx];
	ev->index = 0;
	ev->type = (u32)(rec[0] & 0xFF);
	ev->stream = (u32)(rec[0] >> 32);
	ev->read = (u32)((rec[1] >> 35) & 1);
	ev->iova = rec[2];
	smmu.evt_cons = (smmu.evt_cons & (1U << 31)) |
			(((smmu.evt_cons & q_wrap_mask(EVTQ_BITS)) + 1) & q_wrap_mask(EVTQ_BITS));
	dsb(sy); /* the record is read before the slot is handed back */
	wr32(EVENTQ_CONS, smmu.evt_cons);
	return 1;
}
