/* The EL2 arch layer's own interfaces, between its files and towards the
 * home that calls it (boot/main.c, later the Linux glue). */
#ifndef KCORE_ARCH_EL2_H
#define KCORE_ARCH_EL2_H

#include "kcore/types.h"

/* arch/arm64/arch.c: SMMU_POLL_EVENT's x0..x4 (include/kcore/abi.h). */
void el2_smmu_poll_event(u64 *x);

/* arch/arm64/zero.c: zero [pa, pa + size) (page aligned) with DC ZVA (or
 * stores where DCZID_EL0.DZP forbids it) and clean it to PoC, completed;
 * the DC ZVA block in bytes (0: prohibited). EL2 MMU on. */
void zero_clean_poc(phys_addr_t pa, u64 size);
u64 zero_block_size(void);

/* arch/arm64/reset.c: the host's PSCI SYSTEM_OFF / SYSTEM_RESET: every VM
 * page and VM context scrubbed, then forwarded; never returns to the host.
 * (The gate each VCPU_RUN passes: arch/arm64/reset.h.) */
__attribute__((noreturn)) void host_psci_system_off_reset(u64 fn);

/* arch/arm64/psci.c: PSCI 1.1 MEM_PROTECT at boot where the firmware offers it. */
void psci_mem_protect_init(void);

/* arch/arm64/host_inject.c: enter the host's EL1 synchronous vector with
 * esr_el1/far (host_inject), an external abort for the host's own data or
 * instruction abort of syndrome esr (host_inject_abort), and the console
 * line of a refused host access (the first few; then only counted). */
void host_inject(u64 esr_el1, u64 far);
void host_inject_abort(u64 esr, u64 far);
void host_refusal_report(u64 esr, u64 ipa, long ret);

/* arch/arm64/guest_traps.c: the trap values of guest runs and the host's
 * MDCR_EL2 (D57), from this CPU's features (every CPU, at bring-up); an
 * exception taken at EL2 itself (a KCore bug: halts). */
extern u64 host_mdcr_el2, guest_mdcr_el2, guest_hcr_el2, guest_cptr_el2;
extern bool cpu_has_trf, cpu_has_spe;
void el2_trap_values_init(void);
__attribute__((noreturn)) void el2_fault(u64 kind);

/* arch/arm64/traps.c */
void host_stage2_init(void);
void el2_trap(u64 kind, void *frame);
void el2_host_sync(u64 esr, void *frame); /* vectors.S: the host's AArch64 sync exceptions */
/* arch/arm64/psci.c: PSCI calls to the firmware (SMC). */
u64 psci_smc(u64 fn, u64 a1, u64 a2, u64 a3);
__attribute__((noreturn)) void psci_system_off(void);

/* arch/arm64/smp.c: the host's PSCI CPU_ON / CPU_OFF, through KCore's own
 * entry; secondary_main brings a started CPU up to the host. */
u64 host_psci_cpu_on(u64 target_mpidr, u64 entry, u64 context);
u64 host_psci_cpu_off(void);
__attribute__((noreturn)) void secondary_main(u64 cpu);

#endif
