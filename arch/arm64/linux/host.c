/* The host's traps that pKVM's handle_trap hands KCore in KCore mode
 * (patches/linux/, hyp-main.c): KCore's hypercalls, the host's stage-2
 * aborts (on KCore's host NPT, where pKVM would map or panic) and the
 * PMU registers D57 traps. x is the host's x0..x30 as pKVM saved them. */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"

#include "el2.h"
#include "home.h"
#include "kcore_linux.h"
#include "mmio_mediate.h"
#include "pmu.h"
#include "sysreg.h"
#include "vcpu_switch.h"

/* VCPU_RUN and REGISTER_RUN_PAGE are the world switch's
 * (arch/arm64/vcpu_switch.c, the same as standalone); SMMU_POLL_EVENT needs
 * an SMMU, which KCore does not have inside Linux yet; the rest is the
 * core's. */
void kcore_linux_host_hvc(u64 *x)
{
	switch (x[0]) {
	case KCORE_HC_VCPU_RUN:
		x[0] = (u64)arch_vcpu_run(x[1], x[2]);
		return;
	case KCORE_HC_REGISTER_RUN_PAGE:
		x[0] = (u64)arch_register_run_page(x[1], x[2], x[3]);
		return;
	case KCORE_HC_SMMU_POLL_EVENT:
		x[0] = (u64)-KE_NOTSUPP;
		return;
	default:
		x[0] = (u64)kcore_host_call(x[0], x[1], x[2], x[3], x[4], x[5]);
	}
}

/* Only a translation fault can be a page the host may still get; a
 * permission or other fault on a mapped page is the host's own. A refusal
 * is an external abort at the host's vector (the host's kernel sends its
 * process SIGBUS, or oopses if it was the kernel), never a hyp panic. */
void kcore_linux_host_abort(u64 *x)
{
	u64 esr = read_sysreg(esr_el2), far = read_sysreg(far_el2);
	u64 ipa = (read_sysreg(hpfar_el2) & 0x00000FFFFFFFFFF0UL) << 8 | (far & 0xFFF);
	long ret = -KE_OWNER;

	if ((esr & FSC_TRANS_MASK) == FSC_TRANS) {
		ret = kcore_host_stage2_fault(ipa);
		if (ret == 0)
			return; /* mapped: the access is retried */
	}
	/* D44 (c): a GIC register KCore mediates (the ITS, the LPI tables). */
	if (ESR_EC(esr) == ESR_ELx_EC_DABT_LOW && host_mmio_mediate(ipa, esr, x))
		return;
	host_refusal_report(esr, ipa, ret);
	host_inject_abort(esr, far);
}

/* D57's trapped PMU registers; anything else trapped is undefined for the
 * host, as standalone. */
void kcore_linux_host_sysreg(u64 *x)
{
	u64 esr = read_sysreg(esr_el2);

	if (pmu_host_sysreg(esr, x)) {
		write_sysreg(read_sysreg(elr_el2) + 4, elr_el2);
		return;
	}
	console_printf("kcore: host system register access (ESR 0x%lx) at pc 0x%lx: "
		       "undefined instruction injected\n",
		       esr, read_sysreg(elr_el2));
	host_inject(ESR_EL1_INJECTED, 0);
}

#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_SYSTEM_RESET 0x84000009UL

void kcore_linux_system_off_reset(u64 fn)
{
	if (fn != PSCI_SYSTEM_OFF && fn != PSCI_SYSTEM_RESET)
		arch_halt("linux: the PSCI relay passed another call as a reset", fn, 0);
	host_psci_system_off_reset(fn);
}
