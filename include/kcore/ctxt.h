/* Shadow vCPU context: KCore's private copy of a vCPU's registers.
 *
 * The register indices are those of the spec's set_shadow_ctxt_specx /
 * get_shadow_ctxt_specx (x0..x30, then PC, PSTATE, ...), so a shadow context
 * is one array indexed by them. The indices past ESR_EL2 hold the registers
 * the spec keeps in CtxtRegs without an index (SP_EL0/1, FP/SIMD); the
 * spec's setter ignores them, and so does ctxt_set_spec(). */
#ifndef KCORE_CTXT_H
#define KCORE_CTXT_H

#include "kcore/types.h"

enum ctxt_reg {
	X0 = 0, X30 = 30,
	PC = 31,
	PSTATE,
	ELR_EL1,
	SPSR_EL1,
	FAR_EL2,
	HPFAR_EL2,
	HCR_EL2,
	EC,
	DIRTY,
	FLAGS,
	MPIDR_EL1, /* SYSREGS_START: first of the registers reset_sys_regs sets */
	CSSELR_EL1,
	SCTLR_EL1,
	ACTLR_EL1,
	CPACR_EL1,
	TTBR0_EL1,
	TTBR1_EL1,
	TCR_EL1,
	ESR_EL1,
	AFSR0_EL1,
	AFSR1_EL1,
	FAR_EL1,
	MAIR_EL1,
	VBAR_EL1,
	CONTEXTIDR_EL1,
	TPIDR_EL0,
	TPIDRRO_EL0,
	TPIDR_EL1,
	AMAIR_EL1,
	CNTKCTL_EL1,
	PAR_EL1,
	MDSCR_EL1,
	MDCCINT_EL1, /* last of the reset range; reads as 0, writes ignored */
	ELR_EL2,
	SPSR_0,
	ESR_EL2,
	/* Beyond the spec's index list. */
	SP_EL0,
	SP_EL1,
	FPSR,
	FPCR,
	FP_Q0_LO, /* q0..q31 as lo/hi 64-bit halves */
	FP_Q31_HI = FP_Q0_LO + 63,
	NR_CTXT_REGS
};

#define SYSREGS_START MPIDR_EL1
#define SHADOW_SYS_REGS_SIZE (MDCCINT_EL1 - MPIDR_EL1 + 1)

struct shadow_ctxt {
	u64 r[NR_CTXT_REGS];
};

/* True for the indices set_shadow_ctxt_specx stores. */
static inline bool ctxt_index_named(u32 index)
{
	return index <= ESR_EL2 && index != MDCCINT_EL1;
}

/* The accessors below, inline for the world switch's hot paths (a VM exit
 * makes a dozen of them); kcore/ctxt.c has the spec's names. */
static inline void ctxt_set(struct shadow_ctxt *c, u32 index, u64 val)
{
	if (ctxt_index_named(index))
		c->r[index] = val;
}

static inline u64 ctxt_get(const struct shadow_ctxt *c, u32 index)
{
	return ctxt_index_named(index) ? c->r[index] : 0;
}

/* spec: set_shadow_ctxt_specx (indices the spec does not name are ignored) */
void ctxt_set_spec(struct shadow_ctxt *c, u32 index, u64 val);
/* spec: get_shadow_ctxt_specx */
u64 ctxt_get_spec(const struct shadow_ctxt *c, u32 index);

#endif
