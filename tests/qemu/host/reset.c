/* The `reset` scenario's two boots (SCENARIO_RESET; the VM is host.c's).
 * QEMU's system reset reloads the ROM blobs (KCore's ELF, this image, the
 * DTB) but not the rest of RAM, and keeps the PL031 RTC's counter: the
 * first boot sets the RTC far in the future, so the second boot knows it is
 * the second (nothing in RAM could tell it: that is what is being tested).
 * run.sh runs this scenario without -no-reboot. While CPU 0 resets, CPU 1
 * keeps running a VM of its own (the spin guest): its page must be
 * scrubbed too, and KCore must stop it first (D64). */
#ifdef SCENARIO_RESET
#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/types.h"
#include "kcore/vcpu.h"

#include "hostlib.h"
#include "platform.h"
#include "reset.h"
#include "scenario.h"

#define RTC_BASE 0x09010000UL /* QEMU virt's PL031: DR at +0, LR at +8 */
#define RTC_MARK 0xF0000000U  /* year 2097: never the real time */
#define PATTERN 0x5EC2E75EC2E75EC2UL
#define PSCI_CPU_ON_64 0xC4000003UL
#define GUEST_LOAD 0x40080000UL
#define SPIN_RUNS 2000 /* CPU 1's runs before CPU 0 resets */

extern const u8 spin_image[], spin_image_end[];
void smp_secondary_entry(void);
void smp_secondary_main(u64 cpu);

static volatile u64 spin_runs;  /* CPU 1's VCPU_RUNs that entered the guest */
static volatile u64 spin_busy;  /* ... refused with -KE_BUSY (a reset under way) */
static volatile long spin_error; /* a VCPU_RUN result that is neither */

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

/* CPU 1: a spin VM (one image page, one vCPU), run over and over until
 * the machine resets under it. */
void smp_secondary_main(u64 cpu)
{
	u64 size = (u64)(uintptr_t)spin_image_end - (u64)(uintptr_t)spin_image;
	struct kcore_run_page *rp = (struct kcore_run_page *)(uintptr_t)RESET_SPIN_RUN;
	long vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0), x;

	(void)cpu;
	for (u64 i = 0; i < 4096; i++)
		((volatile u8 *)(uintptr_t)RESET_SPIN_IMG)[i] = i < size ? spin_image[i] : 0;
	for (u32 j = 0; j < 4096 / 8; j++)
		((volatile u64 *)rp)[j] = 0;
	rp->entry_pc = GUEST_LOAD;
	rp->entry_pstate = 0x3C5;
	x = host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_SET_BOOT_INFO, (u64)vmid, GUEST_LOAD, size, 0, 0);
	x |= host_hvc(KCORE_HC_REMAP_VM_IMAGE, (u64)vmid, (u64)RESET_SPIN_IMG >> 12, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid, 0, 0, 0, 0);
	x |= host_hvc(KCORE_HC_REGISTER_RUN_PAGE, (u64)vmid, 0, (u64)RESET_SPIN_RUN, 0, 0);
	x |= host_hvc(KCORE_HC_VERIFY_VM, (u64)vmid, 0, 0, 0, 0);
	if (vmid <= 0 || x != 0) {
		spin_error = vmid <= 0 ? vmid : x;
		return;
	}
	for (;;) {
		long r = host_hvc(KCORE_HC_VCPU_RUN, (u64)vmid, 0, 0, 0, 0);

		if (r == KCORE_EXIT_HVC)
			spin_runs++;
		else if (r == -KE_BUSY)
			spin_busy++;
		else if (!spin_error)
			spin_error = r;
	}
}

/* First boot, before the reset: CPU 1 started, running its VM. */
void reset_start_spinner(void)
{
	long r = (long)host_smc(PSCI_CPU_ON_64, 1, (u64)(uintptr_t)smp_secondary_entry, 1);
	u64 wait = 0;

	while (spin_runs < SPIN_RUNS && !spin_error && wait++ < 2000000000UL)
		__asm__ volatile("yield");
	hprintf("host: cpu 1: CPU_ON -> %ld, %lu runs of its VM, error %ld\n", r, spin_runs,
		spin_error);
	check(r == 0 && spin_runs >= SPIN_RUNS && spin_error == 0 && spin_busy == 0,
	      "cpu 1 keeps running a VM of its own (the spin guest) into the reset");
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
	n = nonzero_words((u64)RESET_SPIN_IMG, 4096, 8);
	check(n == 0, "the page of the VM cpu 1 was running at the reset is zero");
	n = nonzero_words((u64)RESET_HOST_PAGE0, 4096, 8) +
	    nonzero_words((u64)RESET_HOST_PAGE1, 4096, 8);
	check(n == 0, "host pages written before the reset are zero (boot zeroing)");
	n = nonzero_words(0x43000000UL, (u64)HOST_IMAGE_BASE - 0x43000000UL, 0x10000) +
	    nonzero_words((u64)RESET_KEEP_END, (u64)RESET_RAM_END - (u64)RESET_KEEP_END, 0x10000);
	check(n == 0, "every sampled word of host RAM outside the payload is zero");
	check(aborts == 0, "no abort taken");
}
#endif
