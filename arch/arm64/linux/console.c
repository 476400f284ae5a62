/* home.h's console inside Linux: the nVHE image has no UART of its own (the
 * host owns the PL011), so KCore's lines go to a ring in EL2's memory. The
 * host's KVM glue copies it into the kernel log at init, while EL2's memory
 * is still readable to it; later lines stay for whoever reads EL2's memory
 * (a debugger, or a future hypercall). */
#include <stdarg.h>

#include "fmt.h"
#include "home.h"
#include "kcore_linux.h"

char kcore_log[KCORE_LOG_SIZE];
u64 kcore_log_len;
static u32 console_lock;

static void log_putc(char c)
{
	kcore_log[kcore_log_len % KCORE_LOG_SIZE] = c;
	kcore_log_len++;
}

void console_printf_nolock(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(log_putc, fmt, ap);
	va_end(ap);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;
	va_start(ap, fmt);
	fmt_vprint(log_putc, fmt, ap);
	va_end(ap);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}
