/* The fake machine of the host-built tests: RAM is a block of host memory,
 * and every TLB / cache maintenance call is recorded. */
#ifndef KCORE_FAKE_H
#define KCORE_FAKE_H

#include "kcore/types.h"

#define FAKE_RAM_SIZE (64UL << 20) /* KCORE_PROFILE_TEST RAM */
#define FAKE_CORE_SIZE (8UL << 20) /* last 8 MB: KCore image, data, pools */
/* The fake platform's MMIO allow-list (D44), as the boot code would derive it
 * from a QEMU virt DTB: flash, the GIC distributor, the redistributor frames
 * but their first page (mediated), the UART, RTC and GPIO, the PCIe windows and ECAM.
 * Everything else outside RAM is withheld (COREVISOR), e.g. the SMMU at
 * FAKE_WITHHELD_MMIO, fw_cfg at 0x09020000, virtio-mmio at 0x0a000000. */
#define FAKE_HOST_MMIO                                                                     \
	{ { 0x00000000UL, 0x08000000UL }, { 0x08000000UL, 0x00010000UL },                  \
	  { 0x080a1000UL, 0x0001f000UL }, { 0x09000000UL, 0x00002000UL },                  \
	  { 0x09010000UL, 0x00001000UL }, { 0x09030000UL, 0x00001000UL },                  \
	  { 0x10000000UL, 0x2eff0000UL }, { 0x4010000000UL, 0x10000000UL },                 \
	  { 0x8000000000UL, 0x8000000000UL } }
#define FAKE_ALLOWED_MMIO 0x09000000UL  /* the UART: the host may map it */
#define FAKE_WITHHELD_MMIO 0x09050000UL /* the SMMU: KCore's */
#define FAKE_ACTLR 0x0000000000000007UL

enum fake_event_kind {
	FAKE_TLBI_S2_IPA = 1,
	FAKE_TLBI_S2_VMID,
	FAKE_TLBI_EL2_VA,
	FAKE_SMMU_TLBI,
	FAKE_SMMU_TLBI_CTX,
	FAKE_DCACHE_CLEAN,
	FAKE_SMMU_ATTACH,     /* a = index, b = cbndx, addr = stream */
	FAKE_SMMU_DETACH,     /* a = index, addr = stream */
	FAKE_DCACHE_CLEAN_INVAL, /* a = size, addr = pa (arch_dcache_clean_inval_poc) */
	FAKE_ICACHE_INVAL,    /* arch_icache_inval_all */
	FAKE_REMAP_READ,      /* a = len, addr = window address (arch_remap_window):
			       * an image being read, i.e. authenticated */
	FAKE_VM_DESTROYED,    /* a = vmid (arch_vm_destroyed, D68) */
	FAKE_WINDOW_RELEASED, /* a = pages, addr = window address (D68) */
};

struct fake_event {
	u32 kind;
	u32 a;   /* vmid, or SMMU index */
	u32 b;   /* SMMU cbndx */
	u64 addr;
};

/* Set up RAM (zeroed) and call kcore_init. Safe to call again: resets all. */
void fake_machine_reset(void);
/* More of KCore's memory for the next fake_machine_reset (the Linux home's
 * hyp ranges); NULL, 0 by default. */
extern const struct phys_range *fake_core_more;
extern u32 fake_core_more_num;
/* D45: arch_dma_policy_allows_vms() (true unless a test clears it; reset
 * sets it again). */
extern bool fake_dma_policy_allows_vms;
/* Host pointer to physical address pa (RAM only; NULL otherwise). Tests
 * that write through it use fake_ram_write, so that reset can clean up. */
void *fake_ram(u64 pa);
void *fake_ram_write(u64 pa);

/* The CPU (arch_cpu_id) of the calling thread; 0 unless set. */
void fake_set_cpu(u32 cpu);

/* Events since the last fake_events_clear(). */
u32 fake_events_count(void);
const struct fake_event *fake_events(void);
void fake_events_clear(void);
/* Called on every event, if set (the TLB checker of tests/harness). */
extern void (*fake_event_hook)(const struct fake_event *e);

/* The fake SMMU's stream table: the context each stream of SMMU `index` is
 * attached to, FAKE_STREAM_DETACHED if none. */
#define FAKE_STREAM_DETACHED 0xFFFFFFFFU
u32 fake_stream_ctx(u32 index, u32 stream);

/* When set, arch_halt longjmps here instead of aborting the process. */
extern void *fake_halt_jmp; /* a jmp_buf* */
extern const char *fake_halt_reason;

#endif
