/* A minimal flattened device tree writer: enough to describe a VM to Linux
 * (nodes, properties, one strings block, no reservations). */
#ifndef VMM_FDT_H
#define VMM_FDT_H
#include <stddef.h>
#include <stdint.h>

struct fdt {
	uint8_t *buf;      /* the whole blob being built */
	size_t cap;        /* its capacity */
	size_t struct_len; /* bytes of the structure block so far */
	char strings[1024];
	size_t strings_len;
	int depth;
	int overflow;      /* set when anything did not fit */
};

void fdt_begin(struct fdt *f, void *buf, size_t cap);
void fdt_node(struct fdt *f, const char *name);
void fdt_end_node(struct fdt *f);
void fdt_prop(struct fdt *f, const char *name, const void *data, size_t len);
void fdt_prop_str(struct fdt *f, const char *name, const char *s);
/* Several NUL-separated strings in one property (a compatible list). */
void fdt_prop_strs(struct fdt *f, const char *name, const char *const *list, int n);
void fdt_prop_u32(struct fdt *f, const char *name, uint32_t v);
void fdt_prop_u64(struct fdt *f, const char *name, uint64_t v);
void fdt_prop_cells(struct fdt *f, const char *name, const uint32_t *cells, int n);
void fdt_prop_empty(struct fdt *f, const char *name);
/* Finishes the blob; returns its size, or 0 if it did not fit. */
size_t fdt_finish(struct fdt *f);
#endif
