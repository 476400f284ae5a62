/* The host under stage 2: its EL2 configuration, and every trap it takes to
 * EL2 (arch/arm64/vectors.S calls el2_trap):
 *  - HVC: a KCore hypercall (include/kcore/abi.h), result in x0;
 *  - SMC (HCR_EL2.TSC): PSCI, of which only what cannot hurt KCore is
 *    forwarded to the firmware, and CPU_ON goes through KCore's own entry;
 *  - a stage-2 translation fault: kcore_host_stage2_fault maps the page if
 *    the host may have it, and the access is retried; otherwise (and for any
 *    other abort) a synchronous abort is injected into the host, which
 *    survives, and KCore's state is unchanged (the core refused, R1);
 *  - anything else from the host: an undefined-instruction exception.
 * An exception taken from EL2 itself is a KCore bug: halt. */
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"

#include "el2.h"
#include "home.h"
#include "mmio_mediate.h"
#include "pmu.h"
#include "smccc.h"
#include "sysreg.h"
#include "vcpu_switch.h"
#include "vgic.h"

struct trap_frame {
	u64 x[31]; /* x19..x29 saved only for an abort or a trapped system register
		    * (vectors.S, el2_host_sync_full) */
	u64 pad;
};

_Static_assert(sizeof(struct trap_frame) == 256, "FRAME_SIZE in vectors.S");

enum vec_kind {
	VEC_LOWER32_SYNC = 12, /* a host process in AArch32 at EL0 (AArch64: el2_host_sync) */
};

#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_OFF 0x84000002UL
#define PSCI_CPU_ON_32 0x84000003UL
#define PSCI_CPU_ON_64 0xC4000003UL
#define PSCI_AFFINITY_INFO_32 0x84000004UL
#define PSCI_AFFINITY_INFO_64 0xC4000004UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_SYSTEM_RESET 0x84000009UL
#define PSCI_FEATURES 0x8400000AUL
#define PSCI_RET_NOT_SUPPORTED ((u64)-1)

/* The host's EL2 context: stage 2 on its (empty) table with VMID 0, traps
 * as HCR_HOST says, EL1 registers at their reset values. */
void host_stage2_init(void)
{
	el2_trap_values_init();
	write_sysreg(read_sysreg(midr_el1), vpidr_el2);
	write_sysreg(read_sysreg(mpidr_el1), vmpidr_el2);
	write_sysreg(CPTR_EL2_DEFAULT, cptr_el2);
	write_sysreg(host_mdcr_el2, mdcr_el2);
	if (cpu_has_trf) /* EL2 is never traced (TRFCR_EL2 resets to an unknown value) */
		write_sysreg(0, SYS_TRFCR_EL2);
	if (cpu_has_spe) /* EL2 is never sampled (PMSCR_EL2 resets to an unknown value) */
		write_sysreg(0, SYS_PMSCR_EL2);
	write_sysreg(0, hstr_el2);
	write_sysreg(CNTHCTL_EL1PCTEN_EL1PCEN, cnthctl_el2);
	write_sysreg(0, cntvoff_el2);
	write_sysreg(0, tpidr_el2); /* no guest running (vectors.S, switch.S) */
	vgic_cpu_init();
	write_sysreg(SCTLR_EL1_HOST, sctlr_el1);
	write_sysreg(VTCR_EL2_VALUE | cpu_parange() << TCR_PS_SHIFT, vtcr_el2);
	write_sysreg(kc.npt[HOSTVISOR].root | (u64)HOSTVISOR << VTTBR_VMID_SHIFT, vttbr_el2);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	write_sysreg(HCR_HOST, hcr_el2);
	isb();
}

static void host_abort(u64 esr, struct trap_frame *f)
{
	u64 far = read_sysreg(far_el2);
	u64 ipa = (read_sysreg(hpfar_el2) & 0x00000FFFFFFFFFF0UL) << 8 | (far & 0xFFF);
	long ret = -KE_OWNER;

	/* Only a translation fault can be a page the host may still get; a
	 * permission or other fault on a mapped page is the host's own. */
	if ((esr & FSC_TRANS_MASK) == FSC_TRANS) {
		ret = kcore_host_stage2_fault(ipa);
		if (ret == 0)
			return; /* mapped: the access is retried */
	}
	/* D44 (c): a GIC register KCore mediates (the frame is whole: a data
	 * abort came through el2_host_sync_full). */
	if (ESR_EC(esr) == ESR_ELx_EC_DABT_LOW && host_mmio_mediate(ipa, esr, f->x))
		return;
	host_refusal_report(esr, ipa, ret);
	host_inject_abort(esr, far);
}

/* VCPU_RUN and REGISTER_RUN_PAGE need the run page and the world switch
 * (arch/arm64/vcpu_switch.c); the rest is the core's. */
static void host_hvc(struct trap_frame *f)
{
	long ret;

	if (f->x[0] == KCORE_HC_VCPU_RUN) {
		f->x[0] = (u64)arch_vcpu_run(f->x[1], f->x[2]);
		return;
	}
	if (f->x[0] == KCORE_HC_REGISTER_RUN_PAGE) {
		f->x[0] = (u64)arch_register_run_page(f->x[1], f->x[2], f->x[3]);
		return;
	}
	if (f->x[0] == KCORE_HC_SMMU_POLL_EVENT) { /* SMMU: x0..x4 */
		el2_smmu_poll_event(f->x);
		return;
	}
	ret = kcore_host_call(f->x[0], f->x[1], f->x[2], f->x[3], f->x[4], f->x[5]);
	/* D54: an SMCCC architecture call over HVC (no KCore id is 0x8000xxxx),
	 * looked at only once the core says it is not one of its calls. */
	if (ret != -KE_NOFUNC || !smccc_arch_call(f->x[0], f->x[1], &f->x[0]))
		f->x[0] = (u64)ret;
}

/* PSCI from the host. Forwarded as they are: VERSION, FEATURES of a call
 * KCore handles, AFFINITY_INFO. SYSTEM_OFF and SYSTEM_RESET are forwarded
 * after every VM page is scrubbed (arch/arm64/reset.c, D62). CPU_ON and
 * CPU_OFF go through arch/arm64/smp.c: the firmware starts a CPU at EL2, so
 * it gets KCore's entry, never the host's. Anything else (suspend,
 * migrate, SYSTEM_RESET2, MEM_PROTECT, which KCore turns on for itself at
 * boot...) is not supported. */
static bool psci_host_may_call(u64 fn)
{
	switch (fn) {
	case PSCI_VERSION:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_CPU_OFF:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return true;
	default:
		return false;
	}
}

static void host_smc(struct trap_frame *f)
{
	u64 fn = f->x[0];

	write_sysreg(read_sysreg(elr_el2) + 4, elr_el2); /* a trapped SMC returns to itself */
	switch (fn) {
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET: /* VM pages scrubbed first; never returns (reset.c) */
		host_psci_system_off_reset(fn);
	case PSCI_VERSION:
		f->x[0] = psci_smc(fn, 0, 0, 0);
		break;
	case PSCI_CPU_ON_32: /* SMC32: the arguments are 32 bits wide */
		f->x[0] = host_psci_cpu_on(f->x[1] & 0xFFFFFFFFUL, f->x[2] & 0xFFFFFFFFUL,
					   f->x[3] & 0xFFFFFFFFUL);
		break;
	case PSCI_CPU_ON_64:
		f->x[0] = host_psci_cpu_on(f->x[1], f->x[2], f->x[3]);
		break;
	case PSCI_CPU_OFF:
		f->x[0] = host_psci_cpu_off();
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		f->x[0] = psci_smc(fn, f->x[1], f->x[2], 0);
		break;
	case PSCI_FEATURES: /* SMCCC_VERSION: KCore's (D54), as PSCI 1.0 says */
		f->x[0] = (u32)f->x[1] == SMCCC_VERSION	    ? 0
			  : psci_host_may_call(f->x[1]) ? psci_smc(fn, f->x[1], 0, 0)
							: PSCI_RET_NOT_SUPPORTED;
		break;
	default: /* D54: SMCCC_VERSION, ARCH_FEATURES, ARCH_WORKAROUND_n are KCore's */
		if (!smccc_arch_call(fn, f->x[1], &f->x[0]))
			f->x[0] = PSCI_RET_NOT_SUPPORTED;
		break;
	}
}

/* A synchronous exception from the host in AArch64 (vectors.S passes the
 * ESR it read to choose the frame: the whole frame for an abort or a
 * trapped system register, which KCore may emulate). */
void el2_host_sync(u64 esr, void *frame)
{
	struct trap_frame *f = frame;

	switch (ESR_EC(esr)) {
	case ESR_ELx_EC_HVC64:
		host_hvc(f);
		break;
	case ESR_ELx_EC_SMC64:
		host_smc(f);
		break;
	case ESR_ELx_EC_IABT_LOW:
	case ESR_ELx_EC_DABT_LOW:
		host_abort(esr, f);
		break;
	case ESR_ELx_EC_SYS64:
		if (pmu_host_sysreg(esr, f->x)) {
			write_sysreg(read_sysreg(elr_el2) + 4, elr_el2);
			break;
		}
		console_printf("kcore: host system register access (ESR 0x%lx) at pc 0x%lx: "
			       "undefined instruction injected\n",
			       esr, read_sysreg(elr_el2));
		host_inject(ESR_EL1_INJECTED, 0);
		break;
	default:
		console_printf("kcore: host trap ESR 0x%lx at pc 0x%lx: undefined instruction injected\n",
			       esr, read_sysreg(elr_el2));
		host_inject(ESR_EL1_INJECTED, 0);
		break;
	}
}

void el2_trap(u64 kind, void *frame)
{
	if (kind == VEC_LOWER32_SYNC) { /* a host process in AArch32 (EL0) */
		el2_host_sync(read_sysreg(esr_el2), frame);
		return;
	}
	el2_fault(kind);
}
