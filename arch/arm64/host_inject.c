/* A host exception KCore does not serve becomes the host's own: the abort
 * (or undefined instruction) is entered at the host's EL1 vector as if the
 * hardware had taken it there, and the refusal is reported on the console.
 * Shared by both homes (arch/arm64/traps.c standalone, linux/host.c inside
 * Linux): a refused access is the host's problem, never a halt of EL2. */
#include "kcore/constants.h"
#include "kcore/types.h"

#include "el2.h"
#include "home.h"
#include "sysreg.h"

/* Enter the host's synchronous exception vector as if the abort (or
 * undefined instruction) had been taken to EL1: ESR/FAR/ELR/SPSR_EL1 as
 * the hardware would set them, ELR_EL2 := the vector (D20's choice of
 * offset), SPSR_EL2 := EL1h with DAIF masked. */
void host_inject(u64 esr_el1, u64 far)
{
	u64 spsr = read_sysreg(spsr_el2);
	u64 off;

	if (spsr & PSR_MODE32_BIT)
		off = 0x600;
	else if ((spsr & PSR_MODE_MASK) == PSR_MODE_EL1t)
		off = 0x000;
	else if ((spsr & PSR_MODE_MASK) == PSR_MODE_EL1h)
		off = 0x200;
	else
		off = 0x400;
	write_sysreg(esr_el1, esr_el1);
	write_sysreg(far, far_el1);
	write_sysreg(read_sysreg(elr_el2), elr_el1);
	write_sysreg(spsr, spsr_el1);
	write_sysreg(read_sysreg(vbar_el1) + off, elr_el2);
	write_sysreg(PSTATE_FAULT_BITS_64, spsr_el2);
}

static bool host_from_el0(void)
{
	u64 spsr = read_sysreg(spsr_el2);

	return (spsr & PSR_MODE32_BIT) || (spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

void host_inject_abort(u64 esr, u64 far)
{
	bool iabt = ESR_EC(esr) == ESR_ELx_EC_IABT_LOW;
	u64 ec = iabt ? (host_from_el0() ? ESR_ELx_EC_IABT_LOW : EC_IABT_CUR)
		      : (host_from_el0() ? ESR_ELx_EC_DABT_LOW : EC_DABT_CUR);
	u64 esr1 = ec << ESR_ELx_EC_SHIFT | ESR_ELx_IL | FSC_EXTABT;

	if (!iabt)
		esr1 |= esr & ESR_ELx_WNR;
	host_inject(esr1, far);
}

/* The first HOST_REFUSALS_PRINTED refused host accesses are printed, then
 * only counted: a host that faults in a loop must not keep KCore busy on
 * the serial line (each line costs thousands of cycles at the UART). */
#define HOST_REFUSALS_PRINTED 32
static u64 host_refusals;

void host_refusal_report(u64 esr, u64 ipa, long ret)
{
	u64 n = __atomic_fetch_add(&host_refusals, 1, __ATOMIC_RELAXED);

	if (n < HOST_REFUSALS_PRINTED)
		console_printf("kcore: host %s at IPA 0x%lx (pc 0x%lx) refused (%ld): abort injected\n",
			       ESR_EC(esr) == ESR_ELx_EC_IABT_LOW ? "fetch" :
			       (esr & ESR_ELx_WNR) ? "write" : "read",
			       ipa, read_sysreg(elr_el2), ret);
	else if (n == HOST_REFUSALS_PRINTED)
		console_printf("kcore: more refused host accesses: counted, no longer printed\n");
}
