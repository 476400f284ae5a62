/* Basic fixed-width types for freestanding code (no libc headers beyond the
 * compiler's own <stdint.h>/<stddef.h>/<stdbool.h>). */
#ifndef KCORE_TYPES_H
#define KCORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* Names that say what a number is. They are plain integers (not wrapped
 * structs) so that the spec's arithmetic reads the same in C; the names keep
 * gfn/pfn/vmid apart at every interface. */
typedef u64 phys_addr_t; /* physical address */
typedef u64 ipa_t;       /* intermediate physical (guest physical) address */
typedef u64 pfn_t;       /* physical frame number */
typedef u64 gfn_t;       /* guest frame number */
typedef u32 vmid_t;      /* principal: HOSTVISOR, a VM id, or COREVISOR */

#endif
