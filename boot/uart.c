/* KCore's console: the PL011 of QEMU virt at QEMU_UART_BASE. QEMU's model
 * needs no set-up; real hardware would be left configured by its firmware. */
#include <stdarg.h>

#include "boot.h"
#include "fmt.h"
#include "platform.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

/* D55: the host shares this UART (QEMU virt has one) and can stop it
 * (UARTCR.TXE = 0: the FIFO stays full). KCore must never wait for it
 * forever, least of all under the console lock every CPU's message takes:
 * a character is dropped after UART_SPIN_MAX polls of a full FIFO (at
 * 115200 baud a slot frees in about 87 us, far fewer polls), and once one
 * was dropped the next ones are polled once only, until the FIFO takes a
 * character again, so a stuck UART costs each message a few hundred reads. */
#define UART_SPIN_MAX 100000U

static u32 console_lock;
/* The PL011's registers (a variable so that tests/unit/test_uart.c can
 * point it at a fake). */
u64 uart_base = QEMU_UART_BASE;
/* Characters dropped since boot, and whether the last one was. */
u64 uart_dropped;
static u32 uart_stuck;

static volatile u32 *uart_reg(u64 off)
{
	return (volatile u32 *)(uintptr_t)(uart_base + off);
}

static bool uart_tx_ready(u32 polls)
{
	for (u32 i = 0; i < polls; i++)
		if (!(*uart_reg(UART_FR) & UART_FR_TXFF))
			return true;
	return false;
}

void uart_putc(char c)
{
	bool stuck = __atomic_load_n(&uart_stuck, __ATOMIC_RELAXED) != 0;

	if (c == '\n')
		uart_putc('\r');
	if (!uart_tx_ready(stuck ? 1 : UART_SPIN_MAX)) {
		__atomic_store_n(&uart_stuck, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&uart_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	if (stuck)
		__atomic_store_n(&uart_stuck, 0, __ATOMIC_RELAXED);
	*uart_reg(UART_DR) = (u8)c;
}

void console_printf_nolock(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(uart_putc, fmt, ap);
	va_end(ap);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;
	va_start(ap, fmt);
	fmt_vprint(uart_putc, fmt, ap);
	va_end(ap);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}
