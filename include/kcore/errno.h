/* Refusal codes. Every hypercall returns 0 (or a non-negative value) on
 * success and one of these, negated, when it refuses. A refused call has
 * changed nothing. See docs/deviations.md, "The refusal rule". */
#ifndef KCORE_ERRNO_H
#define KCORE_ERRNO_H

enum kcore_err {
	KE_RANGE = 1,    /* index out of range: vmid, vcpuid, pfn, load_idx, cbndx, smmu index, level, address */
	KE_ALIGN = 2,    /* address or pfn not aligned as the operation needs */
	KE_STATE = 3,    /* VM or vCPU in the wrong state for this operation */
	KE_OWNER = 4,    /* page owned by someone else, or recorded at another gfn */
	KE_NOMEM = 5,    /* the principal's page-table pool is exhausted */
	KE_BLOCK = 6,    /* a 4 KB mapping requested inside an existing 2 MB block */
	KE_FULL = 7,     /* no free VM id, load slot, remap window space, or share count */
	KE_ENTRY = 8,    /* first-run entry point outside every loaded image */
	KE_AUTH = 9,     /* image authentication failed */
	KE_BUSY = 10,    /* page or context still in use (shared, device-mapped, active vCPU) */
	KE_NOTSUPP = 11, /* function not available in this build (e.g. no cipher yet) */
	KE_NOFUNC = 12,  /* unknown hypercall function id */
	KE_EXIST = 13,   /* a device mapping already exists at that iova */
};

#endif
