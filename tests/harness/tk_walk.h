/* The harness's own table walkers, independent of kcore/npt.c and
 * smmu/spt.c, so that a bug in the core's walker cannot hide itself. They
 * read any copy of the page-table pools: `mem(pa)` maps a table address to
 * the bytes to read (live RAM, or the checker's snapshot). */
#ifndef KCORE_TK_WALK_H
#define KCORE_TK_WALK_H

#include "kcore/types.h"

typedef const u64 *(*tk_mem_fn)(u64 pa);

/* Visit every table page of a tree (level 0 = root of a 4-level stage-2
 * table; level 1 = root of a 3-level device table) with the VA it covers. */
typedef void (*tk_table_fn)(u64 table_pa, u32 level, u64 base, void *arg);
void tk_walk_tables(tk_mem_fn mem, u64 root, u32 root_level, tk_table_fn fn, void *arg);

/* The leaf descriptor translating va (4 KB pages and 2 MB blocks), 0 if
 * none. *level gets 3 or 2. */
u64 tk_walk_leaf(tk_mem_fn mem, u64 root, u32 root_level, u64 va, u32 *level);

/* Visit every mapped 4 KB page (a block gives 512 calls). */
typedef void (*tk_leaf_fn)(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg);
void tk_walk_leaves(tk_mem_fn mem, u64 root, u32 root_level, tk_leaf_fn fn, void *arg);

const u64 *tk_live_mem(u64 pa);

static inline u32 tk_shift(u32 level)
{
	return 12 + 9 * (3 - level);
}

#endif
