/* A small reader of the flattened device tree QEMU passes: enough to find
 * RAM (the /memory node's reg, with the root's #address-cells and
 * #size-cells), a device by its compatible string (the SMMUv3; the test
 * hosts' PCIe host bridge), and /chosen properties. Every read is
 * bounds-checked against the header's sizes and
 * done byte by byte, because it runs with the MMU off, where an unaligned
 * access would fault. */
#include "boot.h"

#define FDT_MAGIC 0xD00DFEEDU
#define FDT_BEGIN_NODE 1U
#define FDT_END_NODE 2U
#define FDT_PROP 3U
#define FDT_NOP 4U
#define FDT_END 9U
#define FDT_MAX_SIZE (2U << 20) /* QEMU's blob is well below this */

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

bool dtb_valid(const void *fdt)
{
	const u8 *h = fdt;
	u32 total;

	if (!fdt)
		return false;
	total = be32(h + 4);
	return be32(h) == FDT_MAGIC && total >= 40 && total <= FDT_MAX_SIZE &&
	       be32(h + 8) < total && be32(h + 12) < total && be32(h + 20) >= 16;
}

u32 dtb_total_size(const void *fdt)
{
	return be32((const u8 *)fdt + 4);
}

static bool str_eq(const u8 *a, const u8 *end, const char *b)
{
	for (; *b; a++, b++)
		if (a >= end || *a != (u8)*b)
			return false;
	return a < end && *a == 0;
}

/* A node name "memory" or "memory@..." */
static bool is_memory_name(const u8 *name, const u8 *end)
{
	const char *m = "memory";

	for (; *m; name++, m++)
		if (name >= end || *name != (u8)*m)
			return false;
	return name < end && (*name == 0 || *name == '@');
}

static u64 read_cells(const u8 *p, u32 cells)
{
	u64 v = 0;

	for (u32 i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

/* One pass over the structure block: the walker keeps the root's
 * #address-cells / #size-cells and calls the visitor for each child of the
 * root (node, at its start; prop, for each of its properties; end, at its
 * end). prop or end returning true stops the walk: it was found. */
struct dtb_walk {
	const u8 *end, *strings_end;
	u32 addr_cells, size_cells;
};

struct dtb_visitor {
	void (*node)(void *ctx, const u8 *name, const u8 *end);
	bool (*prop)(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val, u32 len);
	bool (*end)(void *ctx);
	void *ctx;
};

/* 0 if the visitor found what it looks for, -1 if not (or a malformed blob). */
static int dtb_walk_root_children(const void *fdt, const struct dtb_visitor *v)
{
	const u8 *base = fdt, *strings, *p;
	struct dtb_walk w;
	u32 depth = 0;

	if (!dtb_valid(fdt))
		return -1;
	w.end = base + dtb_total_size(fdt);
	w.strings_end = w.end;
	w.addr_cells = 2; /* the spec's defaults */
	w.size_cells = 1;
	strings = base + be32(base + 12);
	p = base + be32(base + 8);
	while (p + 4 <= w.end) {
		u32 tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const u8 *name = p;

			while (p < w.end && *p)
				p++;
			p = base + ((u64)(p + 1 - base + 3) & ~3UL);
			if (++depth == 2)
				v->node(v->ctx, name, w.end);
		} else if (tok == FDT_END_NODE) {
			if (depth == 2 && v->end(v->ctx))
				return 0;
			if (depth == 0)
				return -1;
			depth--;
		} else if (tok == FDT_PROP) {
			const u8 *name;
			u32 len, nameoff;

			if (p + 8 > w.end)
				return -1;
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (len > (u64)(w.end - p) || nameoff >= (u64)(w.end - strings))
				return -1;
			name = strings + nameoff;
			if (depth == 1 && str_eq(name, w.strings_end, "#address-cells") && len == 4)
				w.addr_cells = be32(p);
			else if (depth == 1 && str_eq(name, w.strings_end, "#size-cells") && len == 4)
				w.size_cells = be32(p);
			else if (depth == 2 && v->prop(v->ctx, &w, name, p, len))
				return 0;
			p = base + ((u64)(p + len - base + 3) & ~3UL);
		} else if (tok != FDT_NOP) {
			break; /* FDT_END or garbage */
		}
	}
	return -1;
}

/* A node's first (base, size) of `reg`, if the root's cells allow it. */
static bool dtb_reg(const struct dtb_walk *w, const u8 *val, u32 len, u64 *base, u64 *size)
{
	if (w->addr_cells > 2 || w->size_cells > 2 || len < 4 * (w->addr_cells + w->size_cells))
		return false;
	*base = read_cells(val, w->addr_cells);
	*size = read_cells(val + 4 * w->addr_cells, w->size_cells);
	return true;
}

/* A child of the root looked at for its reg, and whether it is the one. */
struct reg_node {
	bool match, has_reg;
	u64 base, size;
	const char *want; /* dtb_compatible: the compatible string */
};

/* A RAM node counts only with a non-empty reg; a device with any reg. */
static bool mem_node_end(void *ctx)
{
	const struct reg_node *n = ctx;

	return n->match && n->has_reg && n->size;
}

static bool compat_node_end(void *ctx)
{
	const struct reg_node *n = ctx;

	return n->match && n->has_reg;
}

static void mem_node_start(void *ctx, const u8 *name, const u8 *end)
{
	struct reg_node *n = ctx;

	n->match = is_memory_name(name, end);
	n->has_reg = false;
}

static bool mem_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			  u32 len)
{
	struct reg_node *n = ctx;

	if (str_eq(name, w->strings_end, "device_type") && str_eq(val, val + len, "memory"))
		n->match = true;
	else if (str_eq(name, w->strings_end, "reg"))
		n->has_reg = dtb_reg(w, val, len, &n->base, &n->size) || n->has_reg;
	return false;
}

int dtb_memory(const void *fdt, u64 *base, u64 *size)
{
	struct reg_node n = { false, false, 0, 0, NULL };
	const struct dtb_visitor v = { mem_node_start, mem_node_prop, mem_node_end, &n };

	if (dtb_walk_root_children(fdt, &v) != 0)
		return -1;
	*base = n.base;
	*size = n.size;
	return 0;
}

/* dtb_chosen_prop's search. */
struct chosen_search {
	bool in_chosen;
	const char *name;
	u8 *out;
	u32 max;
	int len;
};

static void chosen_node_start(void *ctx, const u8 *name, const u8 *end)
{
	struct chosen_search *c = ctx;

	c->in_chosen = str_eq(name, end, "chosen");
}

static bool chosen_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			     u32 len)
{
	struct chosen_search *c = ctx;

	if (!c->in_chosen || !str_eq(name, w->strings_end, c->name))
		return false;
	for (u32 i = 0; i < len && i < c->max; i++)
		c->out[i] = val[i];
	c->len = (int)len;
	return true;
}

static bool never_done(void *ctx)
{
	return false;
}

/* The value of property `name` of the /chosen node: up to `max` bytes copied
 * to out. Returns the property's length, or -1 if there is none. */
int dtb_chosen_prop(const void *fdt, const char *name, u8 *out, u32 max)
{
	struct chosen_search c = { false, name, out, max, -1 };
	const struct dtb_visitor v = { chosen_node_start, chosen_node_prop, never_done, &c };

	return dtb_walk_root_children(fdt, &v) == 0 ? c.len : -1;
}

/* Whether the stringlist [p, p + len) holds `want` as one of its strings. */
static bool stringlist_has(const u8 *p, u32 len, const char *want)
{
	const u8 *end = p + len;

	while (p < end) {
		const u8 *s = p;

		while (p < end && *p)
			p++;
		if (p < end && str_eq(s, p + 1, want))
			return true;
		p++;
	}
	return false;
}

static void compat_node_start(void *ctx, const u8 *name, const u8 *end)
{
	struct reg_node *n = ctx;

	n->match = false;
	n->has_reg = false;
}

static bool compat_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			     u32 len)
{
	struct reg_node *n = ctx;

	if (str_eq(name, w->strings_end, "compatible"))
		n->match = stringlist_has(val, len, n->want);
	else if (str_eq(name, w->strings_end, "reg"))
		n->has_reg = dtb_reg(w, val, len, &n->base, &n->size) || n->has_reg;
	return false;
}

int dtb_compatible(const void *fdt, const char *compat, u64 *base, u64 *size)
{
	struct reg_node n = { false, false, 0, 0, compat };
	const struct dtb_visitor v = { compat_node_start, compat_node_prop, compat_node_end, &n };

	if (dtb_walk_root_children(fdt, &v) != 0)
		return -1;
	*base = n.base;
	*size = n.size;
	return 0;
}
