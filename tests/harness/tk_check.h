/* Checkers of the security invariants and of TLB maintenance (tk.h). */
#ifndef KCORE_TK_CHECK_H
#define KCORE_TK_CHECK_H

#include "kcore/types.h"

/* Snapshot the state as the baseline of the next step. */
void tk_check_reset(void);

#endif
