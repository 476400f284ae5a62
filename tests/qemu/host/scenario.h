/* What host.c gives the scenarios kept in files of their own (smp.c,
 * images.c, export.c). */
#ifndef KCORE_TEST_SCENARIO_H
#define KCORE_TEST_SCENARIO_H

#include "kcore/types.h"

#define HOST_MAX_CPUS 4

extern volatile u64 aborts;                     /* synchronous aborts taken, all CPUs */
extern volatile u64 aborts_on[HOST_MAX_CPUS]; /* per CPU */
extern volatile bool aborts_quiet;            /* count them without printing */

u32 host_cpu(void); /* this CPU's index (MPIDR Aff0 + 16 * Aff1) */
/* "host: [PASS] what" or "host: [FAIL] what", counted. Primary CPU only. */
void check(bool ok, const char *what);
/* A hypercall, its result printed. Primary CPU only. */
long call(const char *name, u64 fn, u64 a1, u64 a2, u64 a3, u64 a4);
/* The scenario this image was built for (-DSCENARIO_...). */
void scenario(void);

/* One 64-bit load or store of host memory (a stage-2 fault, or an abort
 * the host takes, the first time). */
static inline u64 peek(u64 pa)
{
	return *(volatile u64 *)(uintptr_t)pa;
}

static inline void poke(u64 pa, u64 v)
{
	*(volatile u64 *)(uintptr_t)pa = v;
}

/* tests/qemu/host/images.c: refused images (SCENARIO_IMAGES). */
void images_refused(void);

/* tests/qemu/host/lpi.c (SCENARIO_DEVICES, GICv3): the LPI tables and the
 * ITS, mediated by KCore (D60). */
void lpi_checks(void);

/* tests/qemu/host/export.c (SCENARIO_EXPORT): a page of READY VM vmid,
 * assigned through a device context at gfn, exported and imported back;
 * returns the imported page (the VM's, at gfn), *assigned the page given
 * through the device context. */
u64 export_page_checks(long vmid, u64 gfn, u64 *assigned);
/* vCPU blobs: exported, tampered, replayed, imported (two new VMs). */
void export_vcpu_checks(void);

/* tests/qemu/host/reset.c (SCENARIO_RESET): which boot this is (the
 * RTC's mark), the first boot's host pages, CPU 1 running a VM into the
 * reset, the second boot's checks. */
bool reset_second_boot(void);
void reset_first_boot_prepare(void);
void reset_start_spinner(void);
void reset_second_boot_checks(void);

#endif
