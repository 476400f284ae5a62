/* Shadow vCPU context accessors: the spec's register index space.
 *
 * A shadow context is one array indexed by enum ctxt_reg (kcore/ctxt.h), so
 * the spec's 65-way if-chains become a bounds test. What the spec's setter
 * ignores (MDCCINT_EL1, and every index past ESR_EL2) is ignored here too,
 * and reads back 0, so that nothing a host or a guest names by index can
 * reach the FP/SIMD or SP registers kept beyond the spec's list. The
 * accessors themselves are inline in kcore/ctxt.h (ctxt_set, ctxt_get). */
#include "kcore/ctxt.h"

/* spec: set_shadow_ctxt_specx */
void ctxt_set_spec(struct shadow_ctxt *c, u32 index, u64 val)
{
	ctxt_set(c, index, val);
}

/* spec: get_shadow_ctxt_specx */
u64 ctxt_get_spec(const struct shadow_ctxt *c, u32 index)
{
	return ctxt_get(c, index);
}
