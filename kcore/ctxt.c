/* Shadow vCPU context accessors: the spec's register index space.
 *
 * A shadow context is one array indexed by enum ctxt_reg (kcore/ctxt.h), so
 * the spec's 65-way if-chains become a bounds test. What the spec's setter
 * ignores (MDCCINT_EL1, and every index past ESR_EL2) is ignored here too,
 * and reads back 0, so that nothing a host or a guest names by index can
 * reach the FP/SIMD or SP registers kept beyond the spec's list. */
#include "kcore/ctxt.h"

/* True for the indices set_shadow_ctxt_specx stores. */
static bool ctxt_index_named(u32 index)
{
	return index <= ESR_EL2 && index != MDCCINT_EL1;
}

/* spec: set_shadow_ctxt_specx */
void ctxt_set_spec(struct shadow_ctxt *c, u32 index, u64 val)
{
	if (ctxt_index_named(index))
		c->r[index] = val;
}

/* spec: get_shadow_ctxt_specx */
u64 ctxt_get_spec(const struct shadow_ctxt *c, u32 index)
{
	return ctxt_index_named(index) ? c->r[index] : 0;
}
