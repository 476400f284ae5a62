/* The `reset` scenario's two boots (SCENARIO_RESET; the VM is host.c's).
 * QEMU's system reset reloads the ROM blobs (KCore's ELF, this image, the
 * DTB) but not the rest of RAM, and keeps the PL031 RTC's counter: the
 * first boot sets the RTC far in the future, so the second boot knows it is
 * the second (nothing in RAM could tell it: that is what is being tested).
 * run.sh runs this scenario without -no-reboot. */
#include "kcore/types.h"

#include "hostlib.h"
#include "platform.h"
#include "reset.h"
#include "scenario.h"

#define RTC_BASE 0x09010000UL /* QEMU virt's PL031: DR at +0, LR at +8 */
#define RTC_MARK 0xF0000000U  /* year 2097: never the real time */
#define PATTERN 0x5EC2E75EC2E75EC2UL

static u32 rtc_read(void)
{
	u32 v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(RTC_BASE) : "memory");
	return v;
}

static void rtc_load(u32 v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(RTC_BASE + 8) : "memory");
}

bool reset_second_boot(void)
{
	return rtc_read() >= RTC_MARK;
}

/* First boot: the mark, and host pages outside the payload filled. */
void reset_first_boot_prepare(void)
{
	rtc_load(RTC_MARK);
	for (u64 pa = 0; pa < 4096; pa += 8) {
		poke((u64)RESET_HOST_PAGE0 + pa, PATTERN);
		poke((u64)RESET_HOST_PAGE1 + pa, PATTERN);
	}
	check(peek(RESET_HOST_PAGE0) == PATTERN && rtc_read() >= RTC_MARK,
	      "first boot: the RTC marked, host pages outside the payload written");
}

static u64 nonzero_words(u64 base, u64 size, u64 step)
{
	u64 n = 0;

	for (u64 pa = base; pa < base + size; pa += step)
		if (peek(pa) != 0) {
			if (n++ < 4)
				hprintf("host: word at 0x%lx is 0x%lx\n", pa, peek(pa));
		}
	return n;
}

/* Second boot: the former VM's pages (in the kept payload: only the scrub
 * before the reset can have cleared them) and the host pages written
 * before the reset (outside it: KCore's boot zeroing) are zero, and so is
 * every sampled word of host RAM outside the payload. */
void reset_second_boot_checks(void)
{
	u64 n;

	hprintf("host: reset: second boot (the RTC still carries the mark)\n");
	n = nonzero_words((u64)RESET_VM_BASE, (u64)RESET_VM_SIZE, 8);
	hprintf("host: former VM pages [0x%x, 0x%x): %lu words not zero\n", RESET_VM_BASE,
		RESET_VM_BASE + RESET_VM_SIZE, n);
	check(n == 0, "the former VM's pages are zero after the reset (scrubbed before it)");
	n = nonzero_words((u64)RESET_HOST_PAGE0, 4096, 8) +
	    nonzero_words((u64)RESET_HOST_PAGE1, 4096, 8);
	check(n == 0, "host pages written before the reset are zero (boot zeroing)");
	n = nonzero_words(0x43000000UL, (u64)HOST_IMAGE_BASE - 0x43000000UL, 0x10000) +
	    nonzero_words((u64)RESET_KEEP_END, (u64)RESET_RAM_END - (u64)RESET_KEEP_END, 0x10000);
	check(n == 0, "every sampled word of host RAM outside the payload is zero");
	check(aborts == 0, "no abort taken");
}
