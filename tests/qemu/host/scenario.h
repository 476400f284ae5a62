/* What the scenario files of the test host share with host.c. */
#ifndef KCORE_TEST_SCENARIO_H
#define KCORE_TEST_SCENARIO_H

#include "kcore/types.h"

extern volatile u64 aborts; /* synchronous aborts the host took so far */
/* A "host: [PASS] what" or "host: [FAIL] what" line, counted. */
void check(bool ok, const char *what);
/* A hypercall, printed as "host: name -> result". */
long call(const char *name, u64 fn, u64 a1, u64 a2, u64 a3, u64 a4);

/* tests/qemu/host/images.c: refused images (SCENARIO_IMAGES). */
void images_refused(void);

/* tests/qemu/host/export.c (SCENARIO_EXPORT): a page of READY VM vmid,
 * assigned through a device context at gfn, exported and imported back;
 * returns the imported page (the VM's, at gfn), *assigned the page given
 * through the device context. */
u64 export_page_checks(long vmid, u64 gfn, u64 *assigned);
/* vCPU blobs: exported, tampered, replayed, imported (two new VMs). */
void export_vcpu_checks(void);

#endif
