/* PSCI calls to the firmware. On QEMU virt with virtualization=on the
 * conduit is SMC (QEMU emulates the firmware). */
#include "el2.h"
#include "home.h"
#include "sysreg.h"

#define PSCI_SYSTEM_OFF 0x84000008UL

u64 psci_smc(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;

	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return x0;
}

void psci_system_off(void)
{
	psci_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;) /* SYSTEM_OFF does not return; if the firmware refuses, stop here */
		__asm__ volatile("wfe");
}

#define PSCI_FEATURES 0x8400000AUL
#define PSCI_MEM_PROTECT 0x84000013UL

/* PSCI 1.1 MEM_PROTECT(1): the firmware overwrites RAM on the next boot
 * unless the OS turned the protection off before a clean reset, so a reset
 * KCore never sees (a watchdog, a crash of EL2) leaves nothing behind
 * either. Asked of PSCI_FEATURES first (NOT_SUPPORTED on PSCI < 1.1 and on
 * QEMU's built-in PSCI). The host can neither call it nor ask about it
 * (arch/arm64/traps.c lists what it may call), so it cannot turn it off. */
void psci_mem_protect_init(void)
{
	long f = (long)psci_smc(PSCI_FEATURES, PSCI_MEM_PROTECT, 0, 0);
	long r;

	if (f < 0) {
		console_printf("kcore: PSCI MEM_PROTECT: not offered by the firmware (PSCI_FEATURES "
			       "-> %ld): only KCore's boot zeroing and reset scrub hold\n", f);
		return;
	}
	r = (long)psci_smc(PSCI_MEM_PROTECT, 1, 0, 0);
	console_printf("kcore: PSCI MEM_PROTECT on (was %s): the firmware scrubs RAM after an "
		       "unclean reset\n", r == 0 ? "off" : r == 1 ? "on" : "refused");
}
