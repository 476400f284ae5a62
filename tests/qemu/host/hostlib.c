/* The test hosts' PL011 console (hostlib.h). The host maps the UART through
 * its own stage-2 fault on the first character. */
#include <stdarg.h>

#include "hostlib.h"

#include "fmt.h"
#include "platform.h"

#define UART_FR_TXFF (1U << 5)

void host_putc(char c)
{
	volatile u32 *uart = (volatile u32 *)(uintptr_t)QEMU_UART_BASE;

	if (c == '\n')
		host_putc('\r');
	while (uart[0x18 / 4] & UART_FR_TXFF)
		;
	uart[0] = (u8)c;
}

bool hprintf_quiet;

void hprintf(const char *fmt, ...)
{
	va_list ap;

	if (hprintf_quiet)
		return;
	va_start(ap, fmt);
	fmt_vprint(host_putc, fmt, ap);
	va_end(ap);
}
