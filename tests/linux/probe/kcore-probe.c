/* The host's isolation probes in KCore mode (tests/linux/run.sh, mode
 * kcore): through the test-only /dev/kcore_test (CONFIG_KVM_ARM_KCORE_TEST)
 * the host tries what KCore must refuse, each in a child process so that a
 * refusal (SIGBUS) ends only the child:
 *   - reading and writing KCore's pages: the nVHE text, rodata and bss, the
 *     ownership table (KCore's `kc`), KCore's page-table pool, pKVM's pool,
 *     CPU 0's hyp per-CPU area and hyp stack;
 *   - every one of KVM's own host hypercalls (0xC6000000 + n) after the
 *     host was deprivileged: -EPERM;
 *   - KVM_CREATE_VM: a VM of KCore's (KVM asks KCore for it).
 * A host page filled with a known pattern is read through the same path
 * first, so a SIGBUS is KCore's refusal, not a broken probe. Prints one
 * "kcore-probe: ok|FAIL ..." line per check and a summary. `--cpu N` runs
 * every probe on CPU N (after the host took it off and back on). */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "probe.h"

struct kcore_test_info {
	uint64_t hyp_text_pa, hyp_rodata_pa, hyp_bss_pa, hyp_bss_size;
	uint64_t owner_table_pa, pool_pa, pool_size;
	uint64_t host_page_pa, host_page_pattern;
	uint64_t pkvm_pool_pa, hyp_percpu_pa, hyp_stack_pa;
};

#define KCORE_TEST_INFO _IOR('K', 1, struct kcore_test_info)
#define KCORE_TEST_NOP _IO('K', 2)
#define KCORE_TEST_HCALL _IOW('K', 3, uint64_t)

/* Linux 6.1's enum __kvm_host_smccc_func (arch/arm64/include/asm/kvm_asm.h). */
static const char *const stock_hcalls[] = {
	"__kvm_hyp_init", "__kvm_get_mdcr_el2", "__pkvm_init",
	"__pkvm_create_private_mapping", "__pkvm_cpu_set_vector", "__kvm_enable_ssbs",
	"__vgic_v3_init_lrs", "__vgic_v3_get_gic_config", "__pkvm_prot_finalize",
	"__pkvm_host_share_hyp", "__pkvm_host_unshare_hyp", "__kvm_adjust_pc",
	"__kvm_vcpu_run", "__kvm_flush_vm_context", "__kvm_tlb_flush_vmid_ipa",
	"__kvm_tlb_flush_vmid", "__kvm_flush_cpu_context", "__kvm_timer_set_cntvoff",
	"__vgic_v3_read_vmcr", "__vgic_v3_write_vmcr", "__vgic_v3_save_aprs",
	"__vgic_v3_restore_aprs", "__pkvm_vcpu_init_traps",
};

static void expect_refused(const char *what, uint64_t pa, enum probe_access how)
{
	int r = probe_touch(pa, how, NULL);

	probe_result(r == 128 + SIGBUS, "%s %s [0x%llx]: %s", how == PROBE_READ ? "read" : "write", what,
	       (unsigned long long)pa,
	       r == 128 + SIGBUS ? "SIGBUS (refused by KCore)" :
	       r == 0		  ? "the access went through" :
				    "unexpected end of the probe");
}

int main(int argc, char **argv)
{
	struct kcore_test_info info;
	uint64_t v = 0;
	long r;
	int kvm;

	/* --cpu N: every probe (the children inherit it) on CPU N only. */
	if (argc == 3 && strcmp(argv[1], "--cpu") == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[2]), &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			printf("kcore-probe: FAIL sched_setaffinity(CPU %s): %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("kcore-probe: on CPU %d\n", sched_getcpu());
	}
	if (probe_init("kcore-probe") != 0)
		return 1;
	r = ioctl(probe_dev, KCORE_TEST_NOP);
	probe_result(r == 0, "KCore's no-op hypercall answered %ld", r);
	if (ioctl(probe_dev, KCORE_TEST_INFO, &info) != 0) {
		printf("kcore-probe: FAIL KCORE_TEST_INFO: %s\n", strerror(errno));
		return 1;
	}
	r = probe_touch(info.host_page_pa, PROBE_READ, &v);
	probe_result(r == 0 && v == info.host_page_pattern,
	       "read a host page [0x%llx] through the probe: 0x%llx", (unsigned long long)info.host_page_pa,
	       (unsigned long long)v);

	expect_refused("the nVHE text", info.hyp_text_pa, PROBE_READ);
	expect_refused("the nVHE text", info.hyp_text_pa, PROBE_WRITE);
	expect_refused("the nVHE rodata", info.hyp_rodata_pa, PROBE_READ);
	expect_refused("the nVHE bss", info.hyp_bss_pa, PROBE_READ);
	expect_refused("the nVHE bss", info.hyp_bss_pa + info.hyp_bss_size - 8, PROBE_WRITE);
	expect_refused("KCore's ownership table", info.owner_table_pa, PROBE_READ);
	expect_refused("KCore's ownership table", info.owner_table_pa, PROBE_WRITE);
	expect_refused("KCore's pool", info.pool_pa, PROBE_READ);
	expect_refused("KCore's pool", info.pool_pa + info.pool_size - 8, PROBE_WRITE);
	expect_refused("pKVM's pool", info.pkvm_pool_pa, PROBE_READ);
	expect_refused("pKVM's pool", info.pkvm_pool_pa, PROBE_WRITE);
	expect_refused("CPU 0's hyp per-CPU area", info.hyp_percpu_pa, PROBE_READ);
	expect_refused("CPU 0's hyp per-CPU area", info.hyp_percpu_pa, PROBE_WRITE);
	expect_refused("CPU 0's hyp stack", info.hyp_stack_pa, PROBE_READ);
	expect_refused("CPU 0's hyp stack", info.hyp_stack_pa + 4096 - 8, PROBE_WRITE);

	for (unsigned n = 0; n < sizeof(stock_hcalls) / sizeof(stock_hcalls[0]); n++) {
		r = ioctl(probe_dev, KCORE_TEST_HCALL, (unsigned long)n);
		probe_result(r < 0 && errno == EPERM, "KVM hypercall %u (%s): %s", n, stock_hcalls[n],
		       r < 0 ? strerror(errno) : "accepted");
	}

	/* A VM of KCore's (its id from KCore), with no stage 2 in the host;
	 * closed at once: KCore powers it off. */
	kvm = open("/dev/kvm", O_RDWR);
	r = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	probe_result(r >= 0, "KVM_CREATE_VM: %s", r >= 0 ? "a VM of KCore's" : strerror(errno));
	if (r >= 0)
		close((int)r);

	/* After all of it the host still runs, and so does KCore. */
	r = probe_touch(info.host_page_pa, PROBE_READ, &v);
	probe_result(r == 0 && v == info.host_page_pattern && ioctl(probe_dev, KCORE_TEST_NOP) == 0,
	       "the host and KCore still run after the probes");
	printf("kcore-probe: %d passed, %d failed\n", probe_passed, probe_failed);
	return probe_failed != 0;
}
