/* Independent descriptor walkers for the checkers (tk_walk.h). */
#include "tk_walk.h"

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/constants.h"

const u64 *tk_live_mem(u64 pa)
{
	return fake_ram(pa);
}

static bool is_table(u64 d, u32 level)
{
	return level < 3 && (d & PTE_TYPE_MASK) == 3;
}

static bool is_leaf(u64 d, u32 level)
{
	if (level == 3)
		return (d & PTE_TYPE_MASK) == 3;
	return level == 2 && (d & PTE_TYPE_MASK) == 1;
}

static void walk_tables(tk_mem_fn mem, u64 table, u32 level, u64 base, tk_table_fn fn, void *arg)
{
	const u64 *t = mem(table);

	fn(table, level, base, arg);
	if (level == 3 || !t)
		return;
	for (u64 i = 0; i < 512; i++)
		if (is_table(t[i], level))
			walk_tables(mem, t[i] & PHYS_MASK, level + 1, base + (i << tk_shift(level)), fn, arg);
}

void tk_walk_tables(tk_mem_fn mem, u64 root, u32 root_level, tk_table_fn fn, void *arg)
{
	walk_tables(mem, root, root_level, 0, fn, arg);
}

u64 tk_walk_leaf(tk_mem_fn mem, u64 root, u32 root_level, u64 va, u32 *level)
{
	u64 table = root;

	/* Beyond the table's reach the MMU faults; it never wraps around. */
	if (va >> (tk_shift(root_level) + 9))
		return 0;

	for (u32 l = root_level; l <= 3; l++) {
		const u64 *t = mem(table);
		u64 d;

		if (!t)
			return 0;
		d = t[(va >> tk_shift(l)) & 511];
		if (is_leaf(d, l)) {
			*level = l;
			return d;
		}
		if (!is_table(d, l))
			return 0;
		table = d & PHYS_MASK;
	}
	return 0;
}

struct leaves_arg {
	tk_mem_fn mem;
	tk_leaf_fn fn;
	void *arg;
};

static void visit_leaves(u64 table, u32 level, u64 base, void *varg)
{
	struct leaves_arg *a = varg;
	const u64 *t = a->mem(table);

	if (!t || level < 2)
		return;
	for (u64 i = 0; i < 512; i++) {
		u64 d = t[i];
		u64 va = base + (i << tk_shift(level));

		if (!is_leaf(d, level))
			continue;
		if (level == 3) {
			a->fn(va >> 12, (d & PHYS_MASK) >> 12, 3, d, a->arg);
			continue;
		}
		for (u64 k = 0; k < 512; k++)
			a->fn((va >> 12) + k, ((d & PHYS_MASK) >> 12) + k, 2, d, a->arg);
	}
}

void tk_walk_leaves(tk_mem_fn mem, u64 root, u32 root_level, tk_leaf_fn fn, void *arg)
{
	struct leaves_arg a = { mem, fn, arg };

	tk_walk_tables(mem, root, root_level, visit_leaves, &a);
}
