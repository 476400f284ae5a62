/* The SMCCC architecture calls (Arm DEN0028: SMCCC_VERSION, ARCH_FEATURES,
 * ARCH_WORKAROUND_1/2/3), answered by KCore itself for the host (its SMC or
 * HVC) and for guests (their HVC, taken at EL2 without a VM exit,
 * arch/arm64/vectors.S), and the Spectre-BHB setting of KCore's own
 * exception entry (D54).
 *
 * Why KCore answers: the host and the guests must learn which Spectre
 * mitigations hold at EL2, and neither may be told "mitigated" when KCore
 * does not mitigate (the host is not trusted to answer for KCore or for a
 * VM). The decision, made once at boot on the boot CPU (every CPU of a
 * platform KCore runs on is the same type):
 *  - Spectre-v2 (WORKAROUND_1): not required when ID_AA64PFR0_EL1.CSV2 != 0
 *    or the core is one Arm lists as unaffected (Cortex-A35/A53/A55/A510);
 *    otherwise the mitigation is the firmware's (on a Cortex-A72, TF-A's
 *    branch-predictor invalidation at EL3), so WORKAROUND_1 is forwarded to
 *    EL3 if the firmware implements it (SMCCC >= 1.1 and its ARCH_FEATURES
 *    says so), and reported NOT_SUPPORTED (vulnerable) if not: QEMU's
 *    firmware does not (its SMCCC_VERSION is NOT_SUPPORTED).
 *  - Spectre-BHB: not required when ID_AA64MMFR1_EL1.ECBHB = 1,
 *    ID_AA64PFR0_EL1.CSV2 = 3 or the core is unaffected (as above); else
 *    KCore clears the history on every entry from a lower EL: CLRBHB where
 *    ID_AA64ISAR2_EL1.CLRBHB says it exists, else Arm's loop of k taken
 *    branches (k = 8 on Cortex-A57/A72, 24 on A76/A77/N1, 32 on A78/X1/
 *    A710/X2/N2/V1 and on any core KCore does not know).
 *  - WORKAROUND_2 (Spectre-v4): KCore does not implement the dynamic
 *    mitigation call: NOT_SUPPORTED (what a caller reads as "ask nobody").
 *  - WORKAROUND_3: the BHB part is the entry sequence (it has run before
 *    the call is looked at), the Spectre-v2 part is WORKAROUND_1's: SUCCESS
 *    only if both are mitigated or not required. */
#include "kcore/types.h"

#include "el2.h"
#include "home.h"
#include "smccc.h"
#include "sysreg.h"

#define SMCCC_VERSION_1_1 0x10001UL
#define SMCCC_RET_SUCCESS 0UL
#define SMCCC_RET_NOT_SUPPORTED ((u64)-1L)
#define SMCCC_RET_NOT_REQUIRED ((u64)-2L)

#define MIDR_ARM 0x41UL
#define MIDR_IMPL(m) (((m) >> 24) & 0xFF)
#define MIDR_PART(m) (((m) >> 4) & 0xFFF)

/* Read by the entry of every exception from a lower EL (vectors.S,
 * bhb_mitigate): 0 nothing, KCORE_BHB_CLRBHB the CLRBHB instruction,
 * otherwise the loop count. KCore's data: the host can never write it. */
u64 kcore_bhb_mode;

static bool v2_unaffected, v2_firmware, bhb_unaffected;

static u64 id_isar2(void)
{
	return read_sysreg(S3_0_C0_C6_2); /* ID_AA64ISAR2_EL1: RAZ before Armv8.7 */
}

static bool midr_unaffected(u64 midr)
{
	if (MIDR_IMPL(midr) != MIDR_ARM)
		return false;
	switch (MIDR_PART(midr)) {
	case 0xD03: /* Cortex-A53 */
	case 0xD04: /* Cortex-A35 */
	case 0xD05: /* Cortex-A55 */
	case 0xD46: /* Cortex-A510 */
		return true;
	default:
		return false;
	}
}

/* Arm's Spectre-BHB guidance: the loop count per core (unknown: the most). */
static u64 bhb_loop_count(u64 midr)
{
	if (MIDR_IMPL(midr) != MIDR_ARM)
		return 32;
	switch (MIDR_PART(midr)) {
	case 0xD07: /* Cortex-A57 */
	case 0xD08: /* Cortex-A72 */
		return 8;
	case 0xD0B: /* Cortex-A76 */
	case 0xD0D: /* Cortex-A77 */
	case 0xD0C: /* Neoverse N1 */
		return 24;
	default:
		return 32;
	}
}

void smccc_init(void)
{
	u64 midr = read_sysreg(midr_el1);
	u64 csv2 = (read_sysreg(id_aa64pfr0_el1) >> 56) & 0xF;
	u64 ecbhb = (read_sysreg(id_aa64mmfr1_el1) >> 60) & 0xF;
	u64 clrbhb = (id_isar2() >> 28) & 0xF;
	u64 fw = psci_smc(SMCCC_VERSION, 0, 0, 0);

	v2_unaffected = csv2 != 0 || midr_unaffected(midr);
	/* W0 is a signed 32-bit answer: NOT_SUPPORTED (-1) from an SMCCC 1.0 firmware */
	v2_firmware = !v2_unaffected && (int)(u32)fw >= (int)SMCCC_VERSION_1_1 &&
		      psci_smc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0) == 0;
	bhb_unaffected = ecbhb == 1 || csv2 == 3 || midr_unaffected(midr);
	if (bhb_unaffected)
		kcore_bhb_mode = 0;
	else if (clrbhb != 0)
		kcore_bhb_mode = KCORE_BHB_CLRBHB;
	else
		kcore_bhb_mode = bhb_loop_count(midr);
	__asm__ volatile("dsb ish" : : : "memory"); /* seen by every CPU before the host runs */
	console_printf("kcore: SMCCC 1.1: Spectre-v2 %s; Spectre-BHB %s (loop %lu); firmware SMCCC "
		       "0x%lx\n",
		       v2_unaffected ? "not affected" : v2_firmware ? "mitigated by the firmware (WORKAROUND_1)"
								    : "VULNERABLE (no firmware WORKAROUND_1)",
		       bhb_unaffected ? "not affected"
				      : kcore_bhb_mode == KCORE_BHB_CLRBHB ? "cleared by CLRBHB on entry"
									   : "cleared by a branch loop on entry",
		       kcore_bhb_mode == KCORE_BHB_CLRBHB ? 0 : kcore_bhb_mode, fw);
}

static u64 wa1_state(void)
{
	if (v2_unaffected)
		return SMCCC_RET_NOT_REQUIRED;
	return v2_firmware ? SMCCC_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED;
}

static u64 wa3_state(void)
{
	u64 v2 = wa1_state();

	if (v2 == SMCCC_RET_NOT_SUPPORTED)
		return SMCCC_RET_NOT_SUPPORTED;
	if (bhb_unaffected && v2 == SMCCC_RET_NOT_REQUIRED)
		return SMCCC_RET_NOT_REQUIRED;
	return SMCCC_RET_SUCCESS; /* the entry cleared the BHB; v2 as WORKAROUND_1 */
}

static u64 arch_features(u32 fid)
{
	switch (fid) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
		return SMCCC_RET_SUCCESS;
	case SMCCC_ARCH_WORKAROUND_1:
		return wa1_state();
	case SMCCC_ARCH_WORKAROUND_3:
		return wa3_state();
	default: /* WORKAROUND_2 included: not implemented */
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

/* A workaround call: the mitigation itself (the BHB was cleared by the
 * entry; the Spectre-v2 part is the firmware's, when it is needed). */
static u64 workaround(u64 state)
{
	if (state == SMCCC_RET_SUCCESS && v2_firmware)
		psci_smc(SMCCC_ARCH_WORKAROUND_1, 0, 0, 0);
	return state == SMCCC_RET_NOT_SUPPORTED ? SMCCC_RET_NOT_SUPPORTED : SMCCC_RET_SUCCESS;
}

/* SMCCC: the function id is W0 (bits 63:32 of x0 are not part of it). */
bool smccc_arch_call(u64 x0, u64 x1, u64 *ret)
{
	switch ((u32)x0) {
	case SMCCC_VERSION:
		*ret = SMCCC_VERSION_1_1;
		return true;
	case SMCCC_ARCH_FEATURES:
		*ret = arch_features((u32)x1);
		return true;
	case SMCCC_ARCH_WORKAROUND_1:
		*ret = workaround(wa1_state());
		return true;
	case SMCCC_ARCH_WORKAROUND_3:
		*ret = workaround(wa3_state());
		return true;
	case SMCCC_ARCH_WORKAROUND_2:
		*ret = SMCCC_RET_NOT_SUPPORTED;
		return true;
	default:
		return false;
	}
}

/* A guest's HVC with an SMCCC architecture function id (vectors.S,
 * guest_smccc_entry): the guest's new x0; an id this file does not answer
 * is NOT_SUPPORTED (the range 0x80000000..0x8000FFFF is the architecture's,
 * never the host's business). */
u64 guest_smccc_fast(u64 x0, u64 x1)
{
	u64 ret;

	return smccc_arch_call(x0, x1, &ret) ? ret : SMCCC_RET_NOT_SUPPORTED;
}
