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

struct dtb_walk {
	const u8 *base, *end, *strings, *strings_end;
	u32 addr_cells, size_cells;
};

/* The reg of one depth-1 node, if it is a memory node. */
struct mem_node {
	bool memory, has_reg;
	u64 base, size;
};

static void dtb_prop(struct dtb_walk *w, u32 depth, const u8 *name, const u8 *val, u32 len,
		     struct mem_node *node)
{
	if (depth == 1 && str_eq(name, w->strings_end, "#address-cells") && len == 4)
		w->addr_cells = be32(val);
	else if (depth == 1 && str_eq(name, w->strings_end, "#size-cells") && len == 4)
		w->size_cells = be32(val);
	else if (depth == 2 && str_eq(name, w->strings_end, "device_type") &&
		 str_eq(val, val + len, "memory"))
		node->memory = true;
	else if (depth == 2 && str_eq(name, w->strings_end, "reg") &&
		 w->addr_cells <= 2 && w->size_cells <= 2 &&
		 len >= 4 * (w->addr_cells + w->size_cells)) {
		node->has_reg = true;
		node->base = read_cells(val, w->addr_cells);
		node->size = read_cells(val + 4 * w->addr_cells, w->size_cells);
	}
}

int dtb_memory(const void *fdt, u64 *base, u64 *size)
{
	struct dtb_walk w;
	struct mem_node node = { false, false, 0, 0 };
	const u8 *p;
	u32 depth = 0;

	if (!dtb_valid(fdt))
		return -1;
	w.base = fdt;
	w.end = w.base + dtb_total_size(fdt);
	w.strings = w.base + be32(w.base + 12);
	w.strings_end = w.end;
	w.addr_cells = 2; /* the spec's defaults */
	w.size_cells = 1;
	p = w.base + be32(w.base + 8);
	while (p + 4 <= w.end) {
		u32 tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const u8 *name = p;

			while (p < w.end && *p)
				p++;
			p = w.base + ((u64)(p + 1 - w.base + 3) & ~3UL);
			depth++;
			if (depth == 2) {
				node.memory = is_memory_name(name, w.end);
				node.has_reg = false;
			}
		} else if (tok == FDT_END_NODE) {
			if (depth == 2 && node.memory && node.has_reg && node.size) {
				*base = node.base;
				*size = node.size;
				return 0;
			}
			if (depth == 0)
				return -1;
			depth--;
		} else if (tok == FDT_PROP) {
			u32 len, nameoff;

			if (p + 8 > w.end)
				return -1;
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (len > (u64)(w.end - p) || nameoff >= (u64)(w.end - w.strings))
				return -1;
			dtb_prop(&w, depth, w.strings + nameoff, p, len, &node);
			p = w.base + ((u64)(p + len - w.base + 3) & ~3UL);
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			break; /* FDT_END or garbage */
		}
	}
	return -1;
}

/* The value of property `name` of the /chosen node: up to `max` bytes copied
 * to out. Returns the property's length, or -1 if there is none. */
int dtb_chosen_prop(const void *fdt, const char *name, u8 *out, u32 max)
{
	const u8 *base = fdt, *end, *strings, *p;
	u32 depth = 0;
	bool chosen = false;

	if (!dtb_valid(fdt))
		return -1;
	end = base + dtb_total_size(fdt);
	strings = base + be32(base + 12);
	p = base + be32(base + 8);
	while (p + 4 <= end) {
		u32 tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const u8 *node = p;

			while (p < end && *p)
				p++;
			if (++depth == 2)
				chosen = str_eq(node, end, "chosen");
			p = base + ((u64)(p + 1 - base + 3) & ~3UL);
		} else if (tok == FDT_END_NODE) {
			if (depth == 0)
				return -1;
			depth--;
		} else if (tok == FDT_PROP) {
			u32 len, nameoff;

			if (p + 8 > end)
				return -1;
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (len > (u64)(end - p) || nameoff >= (u64)(end - strings))
				return -1;
			if (depth == 2 && chosen && str_eq(strings + nameoff, end, name)) {
				for (u32 i = 0; i < len && i < max; i++)
					out[i] = p[i];
				return (int)len;
			}
			p = base + ((u64)(p + len - base + 3) & ~3UL);
		} else if (tok != FDT_NOP) {
			break;
		}
	}
	return -1;
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

/* The node being looked at by dtb_compatible (children of the root only). */
struct compat_node {
	bool match, has_reg;
	u64 base, size;
};

int dtb_compatible(const void *fdt, const char *compat, u64 *base, u64 *size)
{
	struct dtb_walk w;
	struct compat_node node = { false, false, 0, 0 };
	const u8 *p;
	u32 depth = 0;

	if (!dtb_valid(fdt))
		return -1;
	w.base = fdt;
	w.end = w.base + dtb_total_size(fdt);
	w.strings = w.base + be32(w.base + 12);
	w.strings_end = w.end;
	w.addr_cells = 2;
	w.size_cells = 1;
	p = w.base + be32(w.base + 8);
	while (p + 4 <= w.end) {
		u32 tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			while (p < w.end && *p)
				p++;
			p = w.base + ((u64)(p + 1 - w.base + 3) & ~3UL);
			depth++;
			if (depth == 2)
				node = (struct compat_node){ false, false, 0, 0 };
		} else if (tok == FDT_END_NODE) {
			if (depth == 2 && node.match && node.has_reg) {
				*base = node.base;
				*size = node.size;
				return 0;
			}
			if (depth == 0)
				return -1;
			depth--;
		} else if (tok == FDT_PROP) {
			u32 len, nameoff;
			const u8 *name;

			if (p + 8 > w.end)
				return -1;
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (len > (u64)(w.end - p) || nameoff >= (u64)(w.end - w.strings))
				return -1;
			name = w.strings + nameoff;
			if (depth == 1 && str_eq(name, w.strings_end, "#address-cells") && len == 4)
				w.addr_cells = be32(p);
			else if (depth == 1 && str_eq(name, w.strings_end, "#size-cells") && len == 4)
				w.size_cells = be32(p);
			else if (depth == 2 && str_eq(name, w.strings_end, "compatible"))
				node.match = stringlist_has(p, len, compat);
			else if (depth == 2 && str_eq(name, w.strings_end, "reg") && w.addr_cells <= 2 &&
				 w.size_cells <= 2 && len >= 4 * (w.addr_cells + w.size_cells)) {
				node.has_reg = true;
				node.base = read_cells(p, w.addr_cells);
				node.size = read_cells(p + 4 * w.addr_cells, w.size_cells);
			}
			p = w.base + ((u64)(p + len - w.base + 3) & ~3UL);
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			break;
		}
	}
	return -1;
}
