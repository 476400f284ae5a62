/* A small reader of the flattened device tree QEMU passes: enough to find
 * RAM (the /memory node's reg, with the root's #address-cells and
 * #size-cells), a device by its compatible string (the SMMUv3; the test
 * hosts' PCIe host bridge), and /chosen properties. Every read is
 * bounds-checked against the header's sizes and
 * done byte by byte, because it runs with the MMU off, where an unaligned
 * access would fault. */
#include "dtb.h"

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

/* One pass over the structure block. The walker keeps, for every depth, the
 * #address-cells / #size-cells a node gives its children, and calls the
 * visitor for every node below the root (node, at its start; prop, for
 * each of its properties; end, at its end), with w->depth (2 = a child of
 * the root) and w->addr_cells / w->size_cells = its parent's, which is how
 * its `reg` reads. prop or end returning true stops the walk: it was found.
 * The root's children (depth 2) are all that dtb_memory, dtb_chosen_prop
 * and dtb_compatible look at; dtb_for_each_node (boot/devices.c) sees all. */
#define DTB_MAX_DEPTH 8

struct dtb_walk {
	const u8 *end, *strings_end;
	u32 depth;
	u32 addr_cells, size_cells; /* the parent's: how this node's reg reads */
};

struct dtb_visitor {
	void (*node)(void *ctx, const struct dtb_walk *w, const u8 *name);
	bool (*prop)(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val, u32 len);
	bool (*end)(void *ctx, const struct dtb_walk *w);
	void *ctx;
};

/* 0 if the visitor found what it looks for, -1 if not (or a malformed blob). */
static int dtb_walk_nodes(const void *fdt, const struct dtb_visitor *v)
{
	const u8 *base = fdt, *strings, *p;
	/* cells[d]: what a node at depth d gives its children (the spec's defaults) */
	u32 acells[DTB_MAX_DEPTH + 1], scells[DTB_MAX_DEPTH + 1];
	struct dtb_walk w;

	if (!dtb_valid(fdt))
		return -1;
	w.end = base + dtb_total_size(fdt);
	w.strings_end = w.end;
	w.depth = 0;
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
			if (++w.depth > DTB_MAX_DEPTH)
				return -1;
			acells[w.depth] = 2;
			scells[w.depth] = 1;
			w.addr_cells = w.depth > 1 ? acells[w.depth - 1] : 2;
			w.size_cells = w.depth > 1 ? scells[w.depth - 1] : 1;
			if (w.depth >= 2)
				v->node(v->ctx, &w, name);
		} else if (tok == FDT_END_NODE) {
			if (w.depth == 0)
				return -1;
			w.addr_cells = w.depth > 1 ? acells[w.depth - 1] : 2;
			w.size_cells = w.depth > 1 ? scells[w.depth - 1] : 1;
			if (w.depth >= 2 && v->end(v->ctx, &w))
				return 0;
			w.depth--;
		} else if (tok == FDT_PROP) {
			const u8 *name;
			u32 len, nameoff;

			if (p + 8 > w.end || w.depth == 0)
				return -1;
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (len > (u64)(w.end - p) || nameoff >= (u64)(w.end - strings))
				return -1;
			name = strings + nameoff;
			if (str_eq(name, w.strings_end, "#address-cells") && len == 4)
				acells[w.depth] = be32(p);
			else if (str_eq(name, w.strings_end, "#size-cells") && len == 4)
				scells[w.depth] = be32(p);
			if (w.depth >= 2 && v->prop(v->ctx, &w, name, p, len))
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
static bool mem_node_end(void *ctx, const struct dtb_walk *w)
{
	const struct reg_node *n = ctx;

	return w->depth == 2 && n->match && n->has_reg && n->size;
}

static bool compat_node_end(void *ctx, const struct dtb_walk *w)
{
	const struct reg_node *n = ctx;

	return w->depth == 2 && n->match && n->has_reg;
}

static void mem_node_start(void *ctx, const struct dtb_walk *w, const u8 *name)
{
	struct reg_node *n = ctx;

	if (w->depth != 2)
		return;
	n->match = is_memory_name(name, w->end);
	n->has_reg = false;
}

static bool mem_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			  u32 len)
{
	struct reg_node *n = ctx;

	if (w->depth != 2)
		return false;
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

	if (dtb_walk_nodes(fdt, &v) != 0)
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

static void chosen_node_start(void *ctx, const struct dtb_walk *w, const u8 *name)
{
	struct chosen_search *c = ctx;

	if (w->depth == 2)
		c->in_chosen = str_eq(name, w->end, "chosen");
}

static bool chosen_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			     u32 len)
{
	struct chosen_search *c = ctx;

	if (w->depth != 2 || !c->in_chosen || !str_eq(name, w->strings_end, c->name))
		return false;
	for (u32 i = 0; i < len && i < c->max; i++)
		c->out[i] = val[i];
	c->len = (int)len;
	return true;
}

static bool never_done(void *ctx, const struct dtb_walk *w)
{
	return false;
}

/* The value of property `name` of the /chosen node: up to `max` bytes copied
 * to out. Returns the property's length, or -1 if there is none. */
int dtb_chosen_prop(const void *fdt, const char *name, u8 *out, u32 max)
{
	struct chosen_search c = { false, name, out, max, -1 };
	const struct dtb_visitor v = { chosen_node_start, chosen_node_prop, never_done, &c };

	return dtb_walk_nodes(fdt, &v) == 0 ? c.len : -1;
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

static void compat_node_start(void *ctx, const struct dtb_walk *w, const u8 *name)
{
	struct reg_node *n = ctx;

	if (w->depth != 2)
		return;
	n->match = false;
	n->has_reg = false;
}

static bool compat_node_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			     u32 len)
{
	struct reg_node *n = ctx;

	if (w->depth != 2)
		return false;
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

	if (dtb_walk_nodes(fdt, &v) != 0)
		return -1;
	*base = n.base;
	*size = n.size;
	return 0;
}

/* ---- every node, for the MMIO allow-list (boot/devices.c) ---------------- */

/* dtb_for_each_node's state: the open node at each depth (a node's
 * properties come before its children, so each is complete when its first
 * child starts, and is reported at its end). */
struct node_walk {
	struct dtb_node open[DTB_MAX_DEPTH + 1];
	bool identity[DTB_MAX_DEPTH + 1]; /* children's addresses are the parent's */
	void (*fn)(void *ctx, const struct dtb_node *n);
	void *ctx;
};

static void node_walk_start(void *ctx, const struct dtb_walk *w, const u8 *name)
{
	struct node_walk *nw = ctx;
	struct dtb_node *n = &nw->open[w->depth];
	u32 d = w->depth;

	/* Field by field: the test hosts link this file without memset. */
	n->compat = n->reg = n->ranges = NULL;
	n->compat_len = n->reg_len = n->ranges_len = 0;
	n->child_addr_cells = 2; /* the spec's defaults */
	n->child_size_cells = 1;
	n->disabled = n->iommu = false;
	n->name = (const char *)name;
	n->depth = d;
	n->addr_cells = w->addr_cells;
	n->size_cells = w->size_cells;
	/* A child of the root reads in root addresses; deeper, only through
	 * parents whose `ranges` is empty (1:1). */
	n->translatable = d == 2 || (nw->open[d - 1].translatable && nw->identity[d - 1]);
	nw->identity[d] = false;
}

static bool node_walk_prop(void *ctx, const struct dtb_walk *w, const u8 *name, const u8 *val,
			   u32 len)
{
	struct node_walk *nw = ctx;
	struct dtb_node *n = &nw->open[w->depth];

	if (str_eq(name, w->strings_end, "compatible")) {
		n->compat = val;
		n->compat_len = len;
	} else if (str_eq(name, w->strings_end, "reg")) {
		n->reg = val;
		n->reg_len = len;
	} else if (str_eq(name, w->strings_end, "ranges")) {
		n->ranges = val;
		n->ranges_len = len;
		nw->identity[w->depth] = len == 0;
	} else if (str_eq(name, w->strings_end, "status")) {
		n->disabled = !str_eq(val, val + len, "okay") && !str_eq(val, val + len, "ok");
	} else if (str_eq(name, w->strings_end, "iommu-map") ||
		   str_eq(name, w->strings_end, "iommus")) {
		n->iommu = true;
	} else if (str_eq(name, w->strings_end, "#address-cells") && len == 4) {
		n->child_addr_cells = be32(val);
	} else if (str_eq(name, w->strings_end, "#size-cells") && len == 4) {
		n->child_size_cells = be32(val);
	}
	return false;
}

static bool node_walk_end(void *ctx, const struct dtb_walk *w)
{
	struct node_walk *nw = ctx;

	nw->fn(nw->ctx, &nw->open[w->depth]);
	return false;
}

int dtb_for_each_node(const void *fdt, void (*fn)(void *ctx, const struct dtb_node *n), void *ctx)
{
	static struct node_walk nw; /* boot only, one CPU: off the small boot stack */
	const struct dtb_visitor v = { node_walk_start, node_walk_prop, node_walk_end, &nw };

	nw.fn = fn;
	nw.ctx = ctx;
	/* The walk "fails" (-1) at the end of a well-formed blob: nothing stops it. */
	(void)dtb_walk_nodes(fdt, &v);
	return dtb_valid(fdt) ? 0 : -1;
}

bool dtb_node_compatible(const struct dtb_node *n, const char *compat)
{
	return n->compat && stringlist_has(n->compat, n->compat_len, compat);
}

/* The i-th (base, size) of a node's reg, in its parent's cells. */
bool dtb_node_reg(const struct dtb_node *n, u32 i, u64 *base, u64 *size)
{
	u32 cells = n->addr_cells + n->size_cells;

	if (!n->reg || n->addr_cells > 2 || n->size_cells > 2 || cells == 0 ||
	    (u64)(i + 1) * 4 * cells > n->reg_len)
		return false;
	*base = read_cells(n->reg + 4 * cells * i, n->addr_cells);
	*size = read_cells(n->reg + 4 * cells * i + 4 * n->addr_cells, n->size_cells);
	return true;
}

/* The i-th CPU-address window of a node's ranges (child address, then the
 * parent's address, then the size): for a PCIe host bridge, its windows. */
bool dtb_node_range(const struct dtb_node *n, u32 i, u64 *base, u64 *size)
{
	u32 ca = n->child_addr_cells, pa = n->addr_cells, sc = n->child_size_cells;
	u32 cells = ca + pa + sc;

	if (!n->ranges || pa > 2 || sc > 2 || ca > 3 || (u64)(i + 1) * 4 * cells > n->ranges_len)
		return false;
	*base = read_cells(n->ranges + 4 * cells * i + 4 * ca, pa);
	*size = read_cells(n->ranges + 4 * cells * i + 4 * (ca + pa), sc);
	return true;
}

/* Entry i of the blob's memory reservation block (/memreserve/): 0, or -1
 * past its end (an entry of size 0 ends it) or if the block lies outside
 * the blob. */
int dtb_memreserve(const void *fdt, u32 i, u64 *base, u64 *size)
{
	const u8 *h = fdt;
	u32 total = dtb_total_size(fdt), off = be32(h + 16) + 16 * i;

	if (off < 40 || off + 16 > total)
		return -1;
	*base = read_cells(h + off, 2);
	*size = read_cells(h + off + 8, 2);
	return *size ? 0 : -1;
}
