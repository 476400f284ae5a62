/* The bare-metal guest of the Linux test bed: checks that the VMM and the
 * host's KVM do their part, then measures what each kind of exit costs.
 *
 * Checks (tests/linux/run.sh matches these lines): console output through
 * the emulated PL011, an HVC PSCI_VERSION answered by the host kernel, an
 * MMIO read answered by the VMM (the PL011's PeriphID0), fresh pages
 * written and read back (each first touch is a stage-2 fault).
 *
 * Measurements ("bench:" lines, make linux-bench): CNTVCT_EL0 around N
 * repetitions of an operation and of a baseline loop of the same shape
 * without it. Under QEMU's -icount shift=0 one instruction is 1 ns of
 * virtual time and the counter runs at 62.5 MHz, so one tick is 16
 * instructions (of the whole emulated machine: guest, host kernel, EL2 and
 * the VMM alike); per operation: (ticks_op - ticks_base) * 16 / N. */
#include <stdint.h>

#define UART_BASE 0x09000000ul
#define UART_DR 0x000
#define UART_PERIPHID0 0xfe0
#define PSCI_VERSION 0x84000000ul
#define PAGE 4096ul
#define CHECK_PAGES 256
#define CHECK_AREA 0x41000000ul /* RAM + 16 MB: never touched before */
#define BENCH_PAGES 2048
#define BENCH_AREA 0x42000000ul /* RAM + 32 MB: 8 MB of fresh pages */
#define BENCH_N 2000
#define TICK_INSNS 16

int main(void);

static inline uint32_t mmio_read32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static void putc_uart(char c)
{
	mmio_write32(UART_BASE + UART_DR, (uint8_t)c);
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_u64(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_uart(b + i);
}

static void put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	puts_uart("0x");
	int started = 0;
	for (int s = 60; s >= 0; s -= 4) {
		unsigned d = (unsigned)(v >> s) & 15;
		if (d || started || s == 0) {
			putc_uart(digits[d]);
			started = 1;
		}
	}
}

static inline uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(v) : : "memory");
	return v;
}

static uint64_t hvc(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	return x0;
}

/* The operations measured, out of line so that each loop has one shape. */
__attribute__((noinline)) static uint64_t op_none(uintptr_t arg)
{
	__asm__ volatile("" : : "r"(arg) : "memory");
	return 0;
}

__attribute__((noinline)) static uint64_t op_hvc(uintptr_t arg)
{
	return hvc(PSCI_VERSION);
}

__attribute__((noinline)) static uint64_t op_mmio(uintptr_t arg)
{
	return mmio_read32(UART_BASE + UART_PERIPHID0);
}

__attribute__((noinline)) static uint64_t op_touch(uintptr_t arg)
{
	*(volatile uint64_t *)arg = arg;
	return 0;
}

static uint64_t time_loop(uint64_t (*op)(uintptr_t), uintptr_t base, uintptr_t stride, unsigned n)
{
	uint64_t t0 = counter();
	for (unsigned i = 0; i < n; i++)
		op(base + i * stride);
	return counter() - t0;
}

static void report(const char *name, uint64_t ticks_op, uint64_t ticks_base, unsigned n)
{
	uint64_t insns = ticks_op > ticks_base ? (ticks_op - ticks_base) * TICK_INSNS / n : 0;
	puts_uart("bench: ");
	puts_uart(name);
	puts_uart(" insns=");
	put_u64(insns);
	puts_uart(" (n=");
	put_u64(n);
	puts_uart(", ticks op=");
	put_u64(ticks_op);
	puts_uart(" base=");
	put_u64(ticks_base);
	puts_uart(")\n");
}

static int check_pages(void)
{
	for (unsigned i = 0; i < CHECK_PAGES; i++)
		for (unsigned w = 0; w < PAGE; w += 512)
			*(volatile uint64_t *)(CHECK_AREA + i * PAGE + w) = CHECK_AREA + i * PAGE + w;
	for (unsigned i = 0; i < CHECK_PAGES; i++)
		for (unsigned w = 0; w < PAGE; w += 512)
			if (*(volatile uint64_t *)(CHECK_AREA + i * PAGE + w) != CHECK_AREA + i * PAGE + w)
				return 0;
	return 1;
}

int main(void)
{
	puts_uart("bare: hello from the bare-metal guest\n");

	uint64_t v = hvc(PSCI_VERSION);
	puts_uart("bare: PSCI_VERSION ");
	put_u64(v >> 16);
	putc_uart('.');
	put_u64(v & 0xffff);
	puts_uart("\n");

	puts_uart("bare: MMIO PL011 PeriphID0 = ");
	put_hex(mmio_read32(UART_BASE + UART_PERIPHID0));
	puts_uart("\n");

	puts_uart(check_pages() ? "bare: 256 fresh pages written and read back: ok\n"
				: "bare: fresh pages read back WRONG\n");

	uint64_t base = time_loop(op_none, 0, 0, BENCH_N);
	report("hvc_psci_version", time_loop(op_hvc, 0, 0, BENCH_N), base, BENCH_N);
	report("mmio_exit_vmm", time_loop(op_mmio, 0, 0, BENCH_N), base, BENCH_N);
	uint64_t first = time_loop(op_touch, BENCH_AREA, PAGE, BENCH_PAGES);
	uint64_t again = time_loop(op_touch, BENCH_AREA, PAGE, BENCH_PAGES);
	report("stage2_fault_page", first, again, BENCH_PAGES);

	puts_uart("bare: done\n");
	return 0;
}
