/* The FDT writer (fdt.h). The blob is laid out as header, empty memory
 * reservation map, structure block, strings block: the order the devicetree
 * specification recommends. The structure block is written straight after
 * the header's space; the strings are copied behind it at the end. */
#include "fdt.h"
#include <string.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_END 9u
#define HDR_SIZE 40u
#define RSV_SIZE 16u /* one terminating (0, 0) entry */
#define STRUCT_OFF (HDR_SIZE + RSV_SIZE)

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void emit(struct fdt *f, const void *data, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	if (STRUCT_OFF + f->struct_len + padded > f->cap) {
		f->overflow = 1;
		return;
	}
	uint8_t *p = f->buf + STRUCT_OFF + f->struct_len;
	memcpy(p, data, len);
	memset(p + len, 0, padded - len);
	f->struct_len += padded;
}

static void emit32(struct fdt *f, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	emit(f, b, 4);
}

/* Offset of name in the strings block, added if not there yet. */
static uint32_t string_off(struct fdt *f, const char *name)
{
	size_t len = strlen(name) + 1;
	for (size_t off = 0; off < f->strings_len; off += strlen(f->strings + off) + 1)
		if (strcmp(f->strings + off, name) == 0)
			return (uint32_t)off;
	if (f->strings_len + len > sizeof(f->strings)) {
		f->overflow = 1;
		return 0;
	}
	memcpy(f->strings + f->strings_len, name, len);
	f->strings_len += len;
	return (uint32_t)(f->strings_len - len);
}

void fdt_begin(struct fdt *f, void *buf, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->cap = cap;
	if (cap < STRUCT_OFF)
		f->overflow = 1;
	else
		memset(buf, 0, STRUCT_OFF);
}

void fdt_node(struct fdt *f, const char *name)
{
	emit32(f, FDT_BEGIN_NODE);
	emit(f, name, strlen(name) + 1);
	f->depth++;
}

void fdt_end_node(struct fdt *f)
{
	emit32(f, FDT_END_NODE);
	f->depth--;
}

void fdt_prop(struct fdt *f, const char *name, const void *data, size_t len)
{
	emit32(f, FDT_PROP);
	emit32(f, (uint32_t)len);
	emit32(f, string_off(f, name));
	if (len)
		emit(f, data, len);
}

void fdt_prop_str(struct fdt *f, const char *name, const char *s)
{
	fdt_prop(f, name, s, strlen(s) + 1);
}

void fdt_prop_strs(struct fdt *f, const char *name, const char *const *list, int n)
{
	char buf[256];
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(list[i]) + 1;
		if (len + l > sizeof(buf)) {
			f->overflow = 1;
			return;
		}
		memcpy(buf + len, list[i], l);
		len += l;
	}
	fdt_prop(f, name, buf, len);
}

void fdt_prop_u32(struct fdt *f, const char *name, uint32_t v)
{
	fdt_prop_cells(f, name, &v, 1);
}

void fdt_prop_u64(struct fdt *f, const char *name, uint64_t v)
{
	uint32_t c[2] = { (uint32_t)(v >> 32), (uint32_t)v };
	fdt_prop_cells(f, name, c, 2);
}

void fdt_prop_cells(struct fdt *f, const char *name, const uint32_t *cells, int n)
{
	uint8_t b[4 * 64];
	if (n > 64) {
		f->overflow = 1;
		return;
	}
	for (int i = 0; i < n; i++)
		put_be32(b + 4 * i, cells[i]);
	fdt_prop(f, name, b, 4 * (size_t)n);
}

void fdt_prop_empty(struct fdt *f, const char *name)
{
	fdt_prop(f, name, NULL, 0);
}

size_t fdt_finish(struct fdt *f)
{
	emit32(f, FDT_END);
	size_t strings_off = STRUCT_OFF + f->struct_len;
	size_t total = strings_off + f->strings_len;
	if (f->overflow || f->depth != 0 || total > f->cap)
		return 0;
	memcpy(f->buf + strings_off, f->strings, f->strings_len);
	uint8_t *h = f->buf;
	put_be32(h + 0, FDT_MAGIC);
	put_be32(h + 4, (uint32_t)total);
	put_be32(h + 8, STRUCT_OFF);          /* off_dt_struct */
	put_be32(h + 12, (uint32_t)strings_off); /* off_dt_strings */
	put_be32(h + 16, HDR_SIZE);           /* off_mem_rsvmap */
	put_be32(h + 20, 17);                 /* version */
	put_be32(h + 24, 16);                 /* last_comp_version */
	put_be32(h + 28, 0);                  /* boot_cpuid_phys */
	put_be32(h + 32, (uint32_t)f->strings_len);
	put_be32(h + 36, (uint32_t)f->struct_len);
	return total;
}
