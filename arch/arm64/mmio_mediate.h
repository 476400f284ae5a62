/* The GIC registers KCore mediates for the host (arch/arm64/mmio_mediate.c, D44). */
#ifndef KCORE_ARCH_MMIO_MEDIATE_H
#define KCORE_ARCH_MMIO_MEDIATE_H

#include "kcore/types.h"

/* A host data abort at ipa with syndrome esr: true if it was a mediated
 * register access KCore made on the host's behalf (x: the host's x0..x30,
 * a load's result written there; ELR_EL2 advanced); false if the host gets
 * an abort (not mediated, no valid syndrome, or a refused write). */
bool host_mmio_mediate(u64 ipa, u64 esr, u64 *x);
/* Whether LPIs are in use already: the first redistributor frame with
 * EnableLPIs set, or the ITS's base if it is enabled; 0 if neither (what
 * mmio_mediate_init needs: it cannot adopt live tables). */
u64 mmio_mediate_lpis_on(void);
/* Boot (MMU on, before the host): the ITS disabled, its table bases cleared. */
void mmio_mediate_init(void);

#endif
