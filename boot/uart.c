/* KCore's console: the PL011 of QEMU virt at QEMU_UART_BASE. QEMU's model
 * needs no set-up; real hardware would be left configured by its firmware. */
#include <stdarg.h>

#include "boot.h"
#include "fmt.h"
#include "platform.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

static u32 console_lock;

static volatile u32 *uart_reg(u64 off)
{
	return (volatile u32 *)(uintptr_t)(QEMU_UART_BASE + off);
}

void uart_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	while (*uart_reg(UART_FR) & UART_FR_TXFF)
		;
	*uart_reg(UART_DR) = (u8)c;
}

void uart_printf_nolock(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(uart_putc, fmt, ap);
	va_end(ap);
}

void uart_printf(const char *fmt, ...)
{
	va_list ap;

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;
	va_start(ap, fmt);
	fmt_vprint(uart_putc, fmt, ap);
	va_end(ap);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}
