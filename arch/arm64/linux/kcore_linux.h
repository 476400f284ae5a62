/* The Linux home's entry points: what the nVHE glue of the patch series
 * (patches/linux/, arch/arm64/kvm/hyp/nvhe/kcore-glue.c) calls, and what it
 * must provide. The kernel side declares the same things in
 * arch/arm64/include/asm/kvm_kcore.h (patch 0003); keep the two equal. */
#ifndef KCORE_ARCH_LINUX_H
#define KCORE_ARCH_LINUX_H

#include "kcore/types.h"

/* What the host hands KCore at __pkvm_init, while it is still trusted
 * (pKVM's model: the host kernel is trusted until it is deprivileged). */
#define KCORE_LINUX_HYP_RANGES 48U
struct kcore_linux_boot {
	u64 ram_base, ram_size;   /* the host's RAM (pKVM's hyp_memory[]: one range) */
	u64 pool_base, pool_size; /* KCore's page-table pools, reserved at boot */
	u64 fdt_pa;               /* the DTB the host booted with (its devices) */
	u64 nr_hyp;
	/* [base, base + size) of each range of EL2's own memory: the nVHE
	 * image's text, rodata and bss, pKVM's pool, each CPU's hyp per-CPU
	 * area and stack. Page aligned. */
	u64 hyp[KCORE_LINUX_HYP_RANGES][2];
	/* D52: the boot salt of the export keys (random bytes from the host's
	 * kernel, different at every boot: trusted as the rest at init). */
	u8 salt[32];
};

/* The bytes kcore_linux_boot.pool_size must have (a constant the host reads
 * at kvm_hyp_reserve, before EL2 runs). */
extern const u64 kcore_linux_pool_bytes;

/* Take the host's memory: RAM the host's, every hyp range and the pool
 * KCore's, the devices of the DTB classified (default-deny, D44). 0, or
 * -KE_RANGE / -KE_NOMEM (the host's hand-over does not describe a machine
 * this build supports) or -KE_BUSY (the host enabled LPIs, which KCore does
 * not adopt yet); a refusal takes nothing. Boot CPU, once. */
long kcore_linux_init(const struct kcore_linux_boot *b);
/* The host's stage 2 (VMID 0 on KCore's host NPT) and its VTCR_EL2. */
u64 kcore_linux_vttbr(void);
u64 kcore_linux_vtcr(void);
/* Every CPU, before it enters the host under KCore's stage 2 (at
 * deprivilege, and each time PSCI brings it back): the PMU and trace rules
 * of D57 in MDCR_EL2, TRFCR_EL2, PMSCR_EL2. */
void kcore_linux_cpu_init(void);

/* The host's traps in KCore mode; x is the host's x0..x30 (pKVM's
 * host_ctxt->regs.regs), results written there. */
void kcore_linux_host_hvc(u64 *x);    /* ids KCORE_HC(n) */
void kcore_linux_host_abort(u64 *x);  /* a stage-2 abort (EC 0x20 / 0x24) */
void kcore_linux_host_sysreg(u64 *x); /* a trapped system register (EC 0x18) */

/* KCore's console inside Linux: a ring the host copies into its log
 * while it may still read EL2's memory (before deprivilege). */
#define KCORE_LOG_SIZE 8192U
extern char kcore_log[KCORE_LOG_SIZE];
extern u64 kcore_log_len; /* bytes ever written; the ring holds the last KCORE_LOG_SIZE */

/* Provided by the glue: map [pa, pa + size) of a device at EL2 and return
 * its address there (0: no mapping). */
u64 kcore_glue_map_device(u64 pa, u64 size);
/* Provided by the glue: a private hyp VA range of size bytes, not mapped
 * (0: none); one page mapped read-only at va (0, or < 0: not mapped). */
u64 kcore_glue_alloc_va(u64 size);
long kcore_glue_map_page(u64 va, u64 pa);
long kcore_glue_unmap_page(u64 va); /* 0, or not mapped (patch 0008) */
/* arch.c: a device region KCore keeps mapped (home.h's home_device_va);
 * the image remap window's hyp VA range (at init). */
void linux_map_device(u64 pa, u64 size);
void remap_window_init(void);
/* The host's PSCI SYSTEM_OFF / SYSTEM_RESET (pKVM's PSCI relay): D62's
 * scrub of every VM page and vCPU context, then the call; never returns. */
__attribute__((noreturn)) void kcore_linux_system_off_reset(u64 fn);

#endif
