/* What every EL1 test host image shares (tests/qemu/host/host.c, the
 * scenarios; tests/qemu/bench/bench.c, make bench): the entry points of
 * tests/qemu/host/start.S and the PL011 console. */
#ifndef KCORE_TEST_HOSTLIB_H
#define KCORE_TEST_HOSTLIB_H

#include "kcore/types.h"

#define PSCI_VERSION 0x84000000UL
#define PSCI_SYSTEM_OFF 0x84000008UL

/* start.S: HVC and SMC with the SMCCC registers; it calls host_main, and
 * host_exception for a synchronous exception taken at EL1. */
long host_hvc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 host_smc(u64 fn, u64 a1, u64 a2, u64 a3);
void host_main(void);
void host_exception(u64 kind, u64 *frame);

/* The console: one character (waits while the UART's FIFO is full), and
 * printf over platform/fmt.c. */
void host_putc(char c);
__attribute__((format(printf, 1, 2))) void hprintf(const char *fmt, ...);
/* While set, hprintf prints nothing (vmid-reuse: 120 VMs would flood the
 * console); check() still prints a failure. */
extern bool hprintf_quiet;

#endif
