/* PSCI calls to the firmware. On QEMU virt with virtualization=on the
 * conduit is SMC (QEMU emulates the firmware). */
#include "boot.h"
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
