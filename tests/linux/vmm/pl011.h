/* The guest's console: a PL011 UART emulated on MMIO exits. Transmit goes to
 * the VMM's stdout at once (the FIFO is never full, so Linux's polled and
 * interrupt-less paths both drain); receive is always empty. */
#ifndef VMM_PL011_H
#define VMM_PL011_H
#include <stdint.h>

#define PL011_BASE 0x09000000ull
#define PL011_SIZE 0x1000ull
#define PL011_SPI 1 /* GIC SPI number (INTID 33) in the device tree */

/* Watches the output for a marker string (--mark); called with each byte. */
typedef void (*pl011_tx_hook)(uint8_t byte);

void pl011_init(pl011_tx_hook hook);
/* One guest access at offset off (len bytes): writes take data, reads fill it. */
void pl011_access(uint64_t off, uint8_t *data, uint32_t len, int is_write);
#endif
