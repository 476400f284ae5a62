/* A VM driven through KCore directly from the host, inside Linux
 * (tests/linux/run.sh, modes kcore and kcore-vm): through the test-only
 * /dev/kcore_test (CONFIG_KVM_ARM_KCORE_TEST) this program does what KVM
 * will do for a KCore VM, so that KCore's own part inside Linux (its world
 * switch, its exits, its stage-2 mappings, VERIFY_VM through the image
 * remap window) is tested before KVM drives VMs through it:
 *   GEN_VMID, REGISTER_KVM, REGISTER_VCPU; the signed image copied into
 *   host pages, SET_BOOT_INFO, REMAP_VM_IMAGE page by page; VERIFY_VM;
 *   REGISTER_RUN_PAGE; VCPU_RUN until the guest powers off, answering its
 *   exits: the PL011 (its output to stdout), PSCI_VERSION, a fresh host
 *   page for each stage-2 fault;
 *   while the VM runs, the host's reads and writes of the VM's image page
 *   and of a page it was given: refused (SIGBUS), the guest running on;
 *   after it powered off, CLEAR_VM_PAGE of every page: each back zeroed.
 * `--expect-refused`: a KCore without an SMMU it controls and without the
 * named opt-in (KCORE_INSECURE_DMA=1) must refuse VERIFY_VM (D45) and so
 * every run, with the image pages still the host's.
 * Prints one "kcore-vm: ok|FAIL ..." line per check and a summary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcore/abi.h"
#include "kcore/errno.h"
#include "kcore/vcpu.h"

#include "probe.h"

struct kcore_test_kcall {
	uint64_t x[6];
};

#define KCORE_TEST_KCALL _IOWR('K', 4, struct kcore_test_kcall)
#define KCORE_TEST_ALLOC _IOWR('K', 5, uint64_t)

#define PAGE 4096UL
#define LOAD_ADDR 0x40000000UL /* the bare guest's (tests/linux/guests/guest.ld) */
#define UART_BASE 0x09000000UL
#define UART_DR 0x000
#define UART_PERIPHID0 0xfe0
#define PSCI_VERSION 0x84000000UL
#define PSCI_1_1 0x10001UL
#define PSTATE_EL1H_DAIF 0x3C5UL
#define CHUNK_PAGES 1024UL /* a KCORE_TEST_ALLOC at most */
#define MAX_PAGES 8192UL   /* the pages a guest may be given */
#define MAX_RUNS 100000UL

static long kcall(uint64_t n, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct kcore_test_kcall c = { { n - KCORE_HC_BASE, a1, a2, a3, 0, 0 } };

	if (ioctl(probe_dev, KCORE_TEST_KCALL, &c) != 0) {
		printf("kcore-vm: FAIL KCORE_TEST_KCALL: %s\n", strerror(errno));
		exit(1);
	}
	return (long)c.x[0];
}

/* Host pages, handed out one at a time from contiguous chunks. */
static uint64_t chunk_pa, chunk_left;

static uint64_t host_page(void)
{
	if (chunk_left == 0) {
		uint64_t n = CHUNK_PAGES;

		if (ioctl(probe_dev, KCORE_TEST_ALLOC, &n) != 0) {
			printf("kcore-vm: FAIL KCORE_TEST_ALLOC: %s\n", strerror(errno));
			exit(1);
		}
		chunk_pa = n;
		chunk_left = CHUNK_PAGES;
	}
	chunk_left--;
	return chunk_pa + (CHUNK_PAGES - 1 - chunk_left) * PAGE;
}

static void *map_pa(uint64_t pa, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, probe_dev, (off_t)pa);

	if (p == MAP_FAILED) {
		printf("kcore-vm: FAIL mmap of 0x%llx: %s\n", (unsigned long long)pa, strerror(errno));
		exit(1);
	}
	return p;
}

static void expect_sigbus(const char *what, uint64_t pa, enum probe_access how)
{
	int r = probe_touch(pa, how, NULL);

	probe_result(r == 128 + SIGBUS, "the host's %s of %s [0x%llx]: %s",
		     how == PROBE_WRITE ? "write" : "read", what, (unsigned long long)pa,
		     r == 128 + SIGBUS ? "SIGBUS (refused by KCore)" :
		     r == 0		? "the access went through" :
					  "unexpected end of the probe");
}

static uint64_t pages[MAX_PAGES]; /* every page the VM was given: the image's, then faults' */
static uint64_t npages, image_pages;

static long load_image(uint32_t vmid, const char *path)
{
	struct stat st;
	uint8_t *img;
	long idx;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
		printf("kcore-vm: FAIL %s: %s\n", path, strerror(errno));
		exit(1);
	}
	img = malloc((size_t)st.st_size);
	if (!img || read(fd, img, (size_t)st.st_size) != st.st_size) {
		printf("kcore-vm: FAIL reading %s\n", path);
		exit(1);
	}
	close(fd);
	idx = kcall(KCORE_HC_SET_BOOT_INFO, vmid, LOAD_ADDR, (uint64_t)st.st_size);
	probe_result(idx >= 0, "SET_BOOT_INFO(%u, 0x%lx, %lld bytes) -> slot %ld", vmid, LOAD_ADDR,
	       (long long)st.st_size, idx);
	image_pages = ((uint64_t)st.st_size + PAGE - 1) / PAGE;
	for (uint64_t i = 0; i < image_pages; i++) {
		uint64_t pa = host_page(), n = (uint64_t)st.st_size - i * PAGE;
		uint8_t *dst = map_pa(pa, PAGE);
		long r;

		memcpy(dst, img + i * PAGE, n < PAGE ? n : PAGE);
		munmap(dst, PAGE);
		r = kcall(KCORE_HC_REMAP_VM_IMAGE, vmid, pa / PAGE, (uint64_t)idx);
		if (r != 0) {
			probe_result(0, "REMAP_VM_IMAGE page %llu: %ld", (unsigned long long)i, r);
			exit(1);
		}
		pages[npages++] = pa;
	}
	free(img);
	probe_result(1, "the image's %llu pages handed to KCore (REMAP_VM_IMAGE)",
	       (unsigned long long)image_pages);
	return idx;
}

/* The guest's MMIO: the PL011's data register (output) and its PeriphID0.
 * True at the end of a line of output. */
static int mmio(struct kcore_run_page *rp)
{
	uint64_t ipa = rp->exit_fault_ipa;
	int is_write = (rp->exit_esr >> 6) & 1;

	if (is_write && ipa == UART_BASE + UART_DR) {
		putchar((int)(rp->exit_mmio_data & 0xff));
		if ((rp->exit_mmio_data & 0xff) == '\n') {
			fflush(stdout);
			return 1;
		}
	} else if (!is_write && rp->exit_rd < 31) {
		rp->regs[rp->exit_rd] = ipa == UART_BASE + UART_PERIPHID0 ? 0x11 : 0;
	}
	return 0;
}

/* Runs the vCPU until it powers off; the isolation probes after its first
 * line of output (the VM running, between two runs). 0 if it powered off. */
static int run(uint32_t vmid, struct kcore_run_page *rp, uint64_t *runs)
{
	int probed = 0;

	rp->entry_pc = LOAD_ADDR;
	rp->entry_pstate = PSTATE_EL1H_DAIF;
	for (*runs = 0; *runs < MAX_RUNS; (*runs)++) {
		long reason = kcall(KCORE_HC_VCPU_RUN, vmid, 0, 0);

		rp->map_addr = 0;
		switch (reason) {
		case KCORE_EXIT_POWEROFF:
			return 0;
		case KCORE_EXIT_MMIO:
			if (mmio(rp) && !probed && npages > image_pages) {
				probed = 1;
				expect_sigbus("the running VM's image page", pages[0], PROBE_READ);
				expect_sigbus("the running VM's image page", pages[0], PROBE_WRITE);
				expect_sigbus("a page the running VM was given", pages[image_pages], PROBE_READ);
				expect_sigbus("a page the running VM was given", pages[image_pages], PROBE_WRITE);
			}
			break;
		case KCORE_EXIT_HVC:
			rp->regs[0] = rp->exit_hvc_args[0] == PSCI_VERSION ? PSCI_1_1 : (uint64_t)-1;
			break;
		case KCORE_EXIT_S2FAULT:
			if (npages == MAX_PAGES) {
				probe_result(0, "the guest wants more than %lu pages", MAX_PAGES);
				return -1;
			}
			pages[npages] = host_page();
			rp->map_addr = rp->exit_fault_ipa & ~(PAGE - 1);
			rp->map_pte = pages[npages++];
			rp->map_level = 3;
			break;
		case KCORE_EXIT_IRQ:
		case KCORE_EXIT_WFX:
			break;
		default:
			probe_result(0, "VCPU_RUN: %ld (ESR 0x%llx, IPA 0x%llx)", reason,
			       (unsigned long long)rp->exit_esr, (unsigned long long)rp->exit_fault_ipa);
			return -1;
		}
	}
	probe_result(0, "the guest did not power off in %lu runs", MAX_RUNS);
	return -1;
}

/* The verified VM run to its end, then every page it had taken back. */
static void run_and_clear(uint32_t vmid, struct kcore_run_page *rp)
{
	uint64_t runs = 0, v, not_zero = 0;
	long r = run(vmid, rp, &runs);

	probe_result(r == 0, "the guest ran to its PSCI SYSTEM_OFF: %llu runs, %llu pages given",
	       (unsigned long long)runs, (unsigned long long)(npages - image_pages));
	r = kcall(KCORE_HC_VCPU_RUN, vmid, 0, 0);
	probe_result(r == -KE_STATE, "VCPU_RUN of the powered-off VM: %ld (-KE_STATE)", r);
	for (uint64_t i = 0; i < npages; i++) {
		r = kcall(KCORE_HC_CLEAR_VM_PAGE, vmid, pages[i] / PAGE, 0);
		if (r != 0) {
			probe_result(0, "CLEAR_VM_PAGE(0x%llx): %ld", (unsigned long long)pages[i], r);
			break;
		}
	}
	for (uint64_t i = 0; i < npages && !not_zero; i++)
		if (probe_touch(pages[i], PROBE_READ, &v) != 0 || v != 0)
			not_zero = i + 1;
	probe_result(not_zero == 0, "CLEAR_VM_PAGE of all %llu pages: each back to the host, zeroed%s",
	       (unsigned long long)npages, not_zero ? " (one is not)" : "");
}

int main(int argc, char **argv)
{
	int expect_refused = argc == 3 && strcmp(argv[2], "--expect-refused") == 0;
	struct kcore_run_page *rp;
	uint64_t run_pa, v;
	long vmid, r;

	if (argc < 2 || (argc == 3 && !expect_refused) || argc > 3) {
		printf("usage: kcore-vm IMAGE.signed [--expect-refused]\n");
		return 2;
	}
	if (probe_init("kcore-vm") != 0)
		return 1;
	vmid = kcall(KCORE_HC_GEN_VMID, 0, 0, 0);
	probe_result(vmid > 0, "GEN_VMID -> %ld", vmid);
	if (vmid <= 0)
		return 1;
	r = kcall(KCORE_HC_REGISTER_KVM, (uint64_t)vmid, 0, 0);
	probe_result(r == 0, "REGISTER_KVM(%ld) -> %ld", vmid, r);
	r = kcall(KCORE_HC_REGISTER_VCPU, (uint64_t)vmid, 0, 0);
	probe_result(r == 0, "REGISTER_VCPU(%ld, 0) -> %ld", vmid, r);
	load_image((uint32_t)vmid, argv[1]);

	run_pa = host_page();
	rp = map_pa(run_pa, PAGE);
	r = kcall(KCORE_HC_REGISTER_RUN_PAGE, (uint64_t)vmid, 0, run_pa);
	probe_result(r == 0, "REGISTER_RUN_PAGE(%ld, 0, 0x%llx) -> %ld", vmid, (unsigned long long)run_pa, r);

	r = kcall(KCORE_HC_VERIFY_VM, (uint64_t)vmid, 0, 0);
	if (expect_refused) {
		probe_result(r == -KE_NOTSUPP, "VERIFY_VM without an SMMU KCore controls: %ld (-KE_NOTSUPP, D45)", r);
		r = kcall(KCORE_HC_VCPU_RUN, (uint64_t)vmid, 0, 0);
		probe_result(r == -KE_STATE, "VCPU_RUN of the unverified VM: %ld (-KE_STATE)", r);
		r = probe_touch(pages[0], PROBE_READ, &v);
		probe_result(r == 0, "the image page is still the host's: read 0x%llx", (unsigned long long)v);
	} else {
		probe_result(r == 0, "VERIFY_VM(%ld) -> %ld: the signed image verified through the remap window",
		       vmid, r);
		run_and_clear((uint32_t)vmid, rp);
	}
	r = kcall(KCORE_HC_NOP, 0, 0, 0);
	probe_result(r == 0, "the host and KCore still run");
	printf("kcore-vm: %d passed, %d failed\n", probe_passed, probe_failed);
	return probe_failed != 0;
}
