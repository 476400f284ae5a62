/* The RAM the host receives at boot, zeroed (issue 11 item 3). Every RAM
 * page outside KCore's own goes to the host; whatever it held before this
 * boot (a VM's plaintext left by a reset KCore did not see: a watchdog, a
 * halt, a reset of the whole board, another kernel booted before) must not
 * reach it. The rule, docs/abi.md "Boot payload and RAM zeroing":
 * KCore zeroes every host RAM page except the host's boot payload, which
 * the boot loader put in RAM for it before KCore ran:
 *  - the host image [HOST_IMAGE_BASE, + its header's extent), page-rounded
 *    (the extent at HOST_IMAGE_BASE + 16, at most HOST_IMAGE_MAX_SIZE);
 *  - the DTB KCore hands on in x0 [dtb, + totalsize), page-rounded;
 *  - the initrd /chosen names (linux,initrd-start .. linux,initrd-end);
 *  - every /memreserve/ entry of the DTB (the firmware's memory).
 * On QEMU virt (an ELF -kernel, generic loader) that is the DTB at
 * 0x40000000 and the host image; there is no initrd and no /memreserve/. */
#include "kcore/arch.h"

#include "boot.h"
#include "sysreg.h"

#define KEEP_MAX 16

struct keep {
	u64 base, end; /* page-rounded, clipped to RAM */
};

static struct keep keeps[KEEP_MAX];
static u32 nkeeps;

static void keep_add(u64 base, u64 size, u64 ram_base, u64 ram_end)
{
	u64 b = base & ~(PAGE_SIZE - 1), e = (base + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	u32 i;

	if (size == 0 || base + size < base || e <= ram_base || b >= ram_end)
		return;
	if (nkeeps == KEEP_MAX)
		arch_halt("boot: too many boot payload ranges", base, size);
	b = b < ram_base ? ram_base : b;
	e = e > ram_end ? ram_end : e;
	for (i = nkeeps++; i > 0 && keeps[i - 1].base > b; i--) /* sorted by base */
		keeps[i] = keeps[i - 1];
	keeps[i].base = b;
	keeps[i].end = e;
}

/* /chosen's linux,initrd-start / -end: one or two cells each. */
static bool chosen_u64(const void *dtb, const char *name, u64 *v)
{
	u8 b[8];
	int n = dtb_chosen_prop(dtb, name, b, sizeof(b));

	if (n != 4 && n != 8)
		return false;
	*v = 0;
	for (int i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return true;
}

static u64 host_image_extent(u64 ram_end)
{
	u64 ext = *(volatile u64 *)(uintptr_t)(HOST_IMAGE_BASE + HOST_IMAGE_EXTENT_OFF);

	if (ext < HOST_IMAGE_EXTENT_OFF + 8 || ext > HOST_IMAGE_MAX_SIZE ||
	    HOST_IMAGE_BASE + ext > ram_end) {
		console_printf("kcore: host image extent 0x%lx (at 0x%x) is not in (24 B, %u MB] "
			       "inside RAM: not entering it\n",
			       ext, HOST_IMAGE_BASE + HOST_IMAGE_EXTENT_OFF, HOST_IMAGE_MAX_SIZE >> 20);
		   psci_system_off();
	   }
	   return ext;
   }
   
   static void keep_payload(const void *dtb, u64 ram_base, u64 ram_end, u64 image_ext)
   {
	   u64 a, b;
   
	   keep_add(HOST_IMAGE_BASE, image_ext, ram_base, ram_end);
	   if (!dtb)
		   return;
	   keep_add((u64)(uintptr_t)dtb, dtb_total_size(dtb), ram_base, ram_end);
	   if (chosen_u64(dtb, "linux,initrd-start", &a) && chosen_u64(dtb, "linux,initrd-end", &b) &&
	       b > a)
		   keep_add(a, b - a, ram_base, ram_end);
	   for (u32 i = 0; dtb_memreserve(dtb, i, &a, &b) == 0; i++)
		   keep_add(a, b, ram_base, ram_end);
   }
   
   /* KCore's own memory is COREVISOR's (kcore_init): kept too, not zeroed
    * here (its image is loaded, its BSS zeroed by start.S, its pools by
    * kcore_init). */
   void boot_zero_host_ram(const void *dtb, u64 ram_base, u64 ram_size, u64 core_start,
			   u64 core_end)
   {
	   u64 ram_end = ram_base + ram_size, ext = host_image_extent(ram_end);
	   u64 zeroed = 0, at = ram_base, t0, t1;
   
	   keep_payload(dtb, ram_base, ram_end, ext);
	   keep_add(core_start, core_end - core_start, ram_base, ram_end);
	   for (u32 i = 0; i < nkeeps; i++)
		   console_printf("kcore: boot payload kept: [0x%lx, 0x%lx)\n", keeps[i].base, keeps[i].end);
	t0 = read_sysreg(cntpct_el0);
	for (u32 i = 0; i <= nkeeps; i++) {
		u64 end = i < nkeeps ? keeps[i].base : ram_end;

		if (end > at) {
			zero_clean_poc(at, end - at);
			zeroed += end - at;
		}
		if (i < nkeeps && keeps[i].end > at)
			at = keeps[i].end;
	}
	t1 = read_sysreg(cntpct_el0);
	console_printf("kcore: host RAM zeroed: %lu MB in %lu ms (%s%lu-byte blocks, cleaned to PoC)\n",
		       zeroed >> 20, (t1 - t0) * 1000 / read_sysreg(cntfrq_el0),
		       zero_block_size() ? "DC ZVA, " : "stores, DZP set; ",
		       zero_block_size() ? zero_block_size() : 16);
}
