/* The EL2 trap values of a guest run that depend on what the CPU has, and
 * the host's MDCR_EL2 bits of D57; vcpu_switch.c applies them at each
 * VCPU_RUN. Shared by both homes: each CPU computes them at its bring-up
 * (standalone: host_stage2_init; inside Linux: kcore_linux_cpu_init), with
 * the same result on every CPU. */
#include "kcore/arch.h"

#include "el2.h"
#include "home.h"
#include "pmu.h"
#include "sysreg.h"

/* MDCR_EL2 while the host runs: HPMN = PMCR_EL0.N, every counter the
 * host's, EL2 never counted (arch/arm64/pmu.c, D57). The trap values of a
 * guest run that depend on what the CPU has (vcpu_switch.c, D58): HCR_EL2
 * with TLOR (FEAT_LOR) and TERR (FEAT_RAS), CPTR_EL2 with TAM (FEAT_AMUv1),
 * and whether FEAT_TRF's trace filters and FEAT_SPE's statistical profiling
 * exist. */
u64 host_mdcr_el2, guest_mdcr_el2;
u64 guest_hcr_el2, guest_cptr_el2; /* zero until el2_trap_values_init: no .data (nVHE) */
bool cpu_has_trf, cpu_has_spe;

void el2_trap_values_init(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1), pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);

	cpu_has_trf = ((dfr0 >> 40) & 0xF) != 0;
	cpu_has_spe = ((dfr0 >> 32) & 0xF) != 0;
	guest_hcr_el2 = HCR_GUEST | (((mmfr1 >> 16) & 0xF) != 0 ? HCR_TLOR : 0) |
			(((pfr0 >> 28) & 0xF) != 0 ? HCR_TERR : 0);
	guest_cptr_el2 = CPTR_VM | (((pfr0 >> 44) & 0xF) != 0 ? CPTR_EL2_TAM : 0);
	host_mdcr_el2 = pmu_host_mdcr_bits() | (cpu_has_spe ? MDCR_E2PB_EL1 : 0);
	guest_mdcr_el2 = (host_mdcr_el2 & ~MDCR_E2PB_EL1) | MDCR_EL2_VM_TRAPS |
			 (cpu_has_trf ? MDCR_TTRF : 0) | (cpu_has_spe ? MDCR_TPMS : 0);
}

/* An exception taken at EL2 itself, from KCore's own code (the host
 * vectors' and the guest vectors' current-EL entries): a KCore bug. */
void el2_fault(u64 kind)
{
	console_printf_nolock("kcore: exception kind %lu at EL2: ESR 0x%lx ELR 0x%lx FAR 0x%lx\n", kind,
			      read_sysreg(esr_el2), read_sysreg(elr_el2), read_sysreg(far_el2));
	arch_halt("unexpected exception", kind, read_sysreg(elr_el2));
}
