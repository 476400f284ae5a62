/* What arch/arm64/ and the SMMUv3 driver need from the home KCore runs in:
 * today the standalone EL2 boot (boot/), inside Linux the nVHE glue. Each
 * home implements all of it, and arch/ includes nothing of a home's own:
 * the layers point one way (core <- arch <- home). */
#ifndef KCORE_ARCH_HOME_H
#define KCORE_ARCH_HOME_H

#include "kcore/types.h"

/* The console. console_printf takes a lock so that the lines of several
 * CPUs do not interleave; the _nolock form is arch_halt's (the holder may
 * be the halting CPU). Formats: platform/fmt.c's (%s %c %d %u %x %lx %lu %ld). */
__attribute__((format(printf, 1, 2))) void console_printf(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void console_printf_nolock(const char *fmt, ...);

/* The platform's facts arch/ needs, as the home found them (standalone:
 * the DTB, platform/devices.c). 0: the machine has none. */
struct home_platform {
	u64 gicr_base, gicr_size; /* the GICv3 redistributors */
	u64 its_base, its_size;   /* the GICv3 ITS */
	u64 gich_base;            /* a GICv2's virtual interface control (GICH) */
};
extern struct home_platform home;

/* Where KCore reaches a device register at EL2 (standalone: its own map,
 * VA = PA; inside Linux: a hyp device mapping made at init), and the
 * physical address of KCore's own memory a device is given (the ITS's
 * tables and command queue). */
uintptr_t home_device_va(u64 pa);
u64 home_virt_to_phys(const void *va);

/* The host's first entry at EL1 (with sp_el2 as this CPU's EL2 stack), a
 * secondary CPU's entry for PSCI CPU_ON (at EL2, MMU off, x0 = its index,
 * then secondary_main), and each CPU's EL2 stack. */
__attribute__((noreturn)) void enter_host(u64 entry, u64 arg, u64 sp_el2);
extern char secondary_entry[];
u64 home_el2_stack_top(u32 cpu);

#endif
