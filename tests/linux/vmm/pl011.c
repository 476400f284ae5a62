/* PL011 emulation (pl011.h): the registers Linux's amba-pl011 driver and a
 * bare-metal guest touch. Control registers just hold what was written. */
#include "pl011.h"
#include <string.h>
#include <unistd.h>

#define REG_DR 0x000
#define REG_FR 0x018
#define REG_IBRD 0x024
#define REG_FBRD 0x028
#define REG_LCRH 0x02c
#define REG_CR 0x030
#define REG_IFLS 0x034
#define REG_IMSC 0x038
#define REG_RIS 0x03c
#define REG_MIS 0x040
#define REG_ICR 0x044
#define REG_DMACR 0x048
#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)

static struct {
	uint32_t ibrd, fbrd, lcrh, cr, ifls, imsc, dmacr;
	pl011_tx_hook hook;
} uart;

/* The PrimeCell identification registers at 0xfe0..0xffc: part 0x011,
 * designer ARM, revision 1, then the PrimeCell cell id 0xb105f00d. */
static const uint8_t id_regs[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl011_init(pl011_tx_hook hook)
{
	memset(&uart, 0, sizeof(uart));
	uart.cr = 0x300; /* TXE | RXE, the reset value */
	uart.ifls = 0x12;
	uart.hook = hook;
}

static void transmit(uint8_t c)
{
	ssize_t r;
	do
		r = write(STDOUT_FILENO, &c, 1);
	while (r < 0);
	if (uart.hook)
		uart.hook(c);
}

static uint32_t *control_reg(uint64_t off)
{
	switch (off) {
	case REG_IBRD: return &uart.ibrd;
	case REG_FBRD: return &uart.fbrd;
	case REG_LCRH: return &uart.lcrh;
	case REG_CR: return &uart.cr;
	case REG_IFLS: return &uart.ifls;
	case REG_IMSC: return &uart.imsc;
	case REG_DMACR: return &uart.dmacr;
	default: return NULL;
	}
}

void pl011_access(uint64_t off, uint8_t *data, uint32_t len, int is_write)
{
	uint32_t v = 0;
	uint32_t *reg = control_reg(off);
	if (is_write) {
		memcpy(&v, data, len < 4 ? len : 4);
		if (off == REG_DR)
			transmit((uint8_t)v);
		else if (reg)
			*reg = v;
		/* ICR and anything else: no state to change */
		return;
	}
	if (off == REG_FR)
		v = FR_TXFE | FR_RXFE;
	else if (off >= 0xfe0 && off <= 0xffc)
		v = id_regs[(off - 0xfe0) / 4];
	else if (reg)
		v = *reg;
	/* DR (nothing received), RIS, MIS: 0 */
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
}
