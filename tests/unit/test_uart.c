/* D55: KCore's console (boot/uart.c, built here for the host over a fake
 * PL011) never waits for a stuck UART forever: a character is dropped after
 * a bounded number of polls of a full FIFO and counted, the next ones are
 * dropped after one poll, and the console works again once the FIFO drains.
 * An alarm ends the test (a crash: a failure) if uart_putc spins. */
#include <unistd.h>

#include "ut.h"

#include "../../platform/fmt.c"
#include "../../boot/uart.c"

static u32 fake_pl011[0x1000 / 4];

#define FR (UART_FR / 4)
#define DR (UART_DR / 4)

static void test_stuck_uart_drops(void)
{
	uart_base = (u64)(uintptr_t)fake_pl011;
	alarm(10);
	fake_pl011[FR] = UART_FR_TXFF; /* the host stopped the UART: full for ever */
	fake_pl011[DR] = 0;
	uart_putc('a');
	CHECK_EQ(uart_dropped, 1);
	uart_putc('\n'); /* '\r' and '\n': both dropped at once */
	CHECK_EQ(uart_dropped, 3);
	for (u32 i = 0; i < 1000; i++) /* a long message: bounded too */
		uart_putc('x');
	CHECK_EQ(uart_dropped, 1003);
	CHECK_EQ(fake_pl011[DR], 0);
	fake_pl011[FR] = 0; /* the FIFO drains: characters go out again */
	uart_putc('b');
	CHECK_EQ(fake_pl011[DR], 'b');
	CHECK_EQ(uart_dropped, 1003);
	uart_putc('\n');
	CHECK_EQ(fake_pl011[DR], '\n');
	alarm(0);
}

UT_MAIN(UT(test_stuck_uart_drops))
