/* The SMCCC architecture calls and the Spectre mitigations of KCore's
 * exception entry (arch/arm64/smccc.c, D54). */
#ifndef KCORE_ARM64_SMCCC_H
#define KCORE_ARM64_SMCCC_H

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_ARCH_WORKAROUND_1 0x80008000U
#define SMCCC_ARCH_WORKAROUND_2 0x80007FFFU
#define SMCCC_ARCH_WORKAROUND_3 0x80003FFFU

/* kcore_bhb_mode: CLRBHB instead of the loop (bit 63, tested by vectors.S). */
#define KCORE_BHB_CLRBHB (1UL << 63)

#ifndef __ASSEMBLER__
#include "kcore/types.h"

extern u64 kcore_bhb_mode;
/* Decide the mitigations (once, on the boot CPU, before the host runs). */
void smccc_init(void);
/* An SMCCC architecture call (x0 = function id, x1 its argument): true and
 * *ret = the answer, or false if x0 is not one. */
bool smccc_arch_call(u64 x0, u64 x1, u64 *ret);
u64 guest_smccc_fast(u64 x0, u64 x1);
#endif

#endif
