/* platform/dtb.c: a small flattened-device-tree reader, shared by both
 * homes (the standalone boot reads the DTB QEMU passes, the Linux home the
 * one the host kernel booted with) and the bare-metal test host. */
#ifndef KCORE_PLATFORM_DTB_H
#define KCORE_PLATFORM_DTB_H

#include "kcore/types.h"

bool dtb_valid(const void *fdt);
u32 dtb_total_size(const void *fdt);
/* The first /memory node's first (base, size). 0, or -1 if none. */
int dtb_memory(const void *fdt, u64 *base, u64 *size);
/* Property `name` of /chosen: up to max bytes into out; its length, or -1. */
int dtb_chosen_prop(const void *fdt, const char *name, u8 *out, u32 max);
/* The first (base, size) of the first child of the root whose compatible
 * list holds `compat`. 0, or -1 if none. */
int dtb_compatible(const void *fdt, const char *compat, u64 *base, u64 *size);
/* Entry i of the /memreserve/ block: 0, or -1 past its end. */
int dtb_memreserve(const void *fdt, u32 i, u64 *base, u64 *size);

/* A node of the DTB as dtb_for_each_node reports it (pointers into the blob). */
struct dtb_node {
	const char *name;
	u32 depth; /* 2: a child of the root */
	const u8 *compat, *reg, *ranges;
	u32 compat_len, reg_len, ranges_len;
	u32 addr_cells, size_cells;             /* the parent's: how reg reads */
	u32 child_addr_cells, child_size_cells; /* its own: how its ranges read */
	bool disabled;     /* status is neither "okay" nor "ok" */
	bool iommu;        /* iommu-map or iommus: its DMA goes through an IOMMU */
	bool translatable; /* its reg is a CPU address (every parent maps 1:1) */
};
/* Calls fn at the end of every node below the root. 0, or -1 if no blob. */
int dtb_for_each_node(const void *fdt, void (*fn)(void *ctx, const struct dtb_node *n), void *ctx);
bool dtb_node_compatible(const struct dtb_node *n, const char *compat);
bool dtb_node_reg(const struct dtb_node *n, u32 i, u64 *base, u64 *size);
bool dtb_node_range(const struct dtb_node *n, u32 i, u64 *base, u64 *size);

#endif
