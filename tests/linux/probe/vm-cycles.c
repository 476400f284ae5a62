/* vm-cycles IMAGE N: N VMs one after another through KVM and KCore, each
 * created, given the signed IMAGE (KVM_ARM_KCORE_SET_BOOT_INFO), run to its
 * PSCI SYSTEM_OFF and destroyed (its fds closed), in one host boot. KCore
 * has 15 VM ids and a 128 MB image window: a run of more VMs than that, each
 * with a 1 MB image, needs both given back at every destroy (D68). Checks
 * that every cycle ran to the power-off, and that KVM holds as many pages
 * pinned for KCore's VMs after the run as before it (the test device's
 * KCORE_TEST_GUEST_PAGES: 0 with no VM alive), and prints the host's
 * MemFree before and after (it moves with the kernel's own caches).
 * Exit 0 if every check passed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KVM_ARM_KCORE_SET_BOOT_INFO
struct kvm_arm_kcore_boot_info {
	uint64_t ipa, size; /* cppcheck-suppress unusedStructMember ; read by the kernel */
};
#define KVM_ARM_KCORE_SET_BOOT_INFO _IOW(KVMIO, 0xd2, struct kvm_arm_kcore_boot_info)
#endif

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2ull << 20)
#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(x))

static long field(const char *path, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && (line[n] == ' ' || line[n] == ':')) {
			v = strtol(line + n + 1 + (line[n] == ':'), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

#define KCORE_TEST_GUEST_PAGES _IOR('K', 6, uint64_t) /* patches/linux/0008 */

static long pins_held(void)
{
	uint64_t n;
	int fd = open("/dev/kcore_test", O_RDWR);
	long r = fd < 0 ? -1 : ioctl(fd, KCORE_TEST_GUEST_PAGES, &n);
	if (fd >= 0)
		close(fd);
	return r < 0 ? -1 : (long)n;
}

/* One VM's life; 0, or a message on stderr and -1. */
static int cycle(int kvm, const uint8_t *image, size_t size, long i)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu = -1, ret = -1;
	uint8_t *ram = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;
	size_t run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	const char *what = "KVM_CREATE_VM";

	if (vm < 0)
		goto out;
	what = "guest memory";
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		goto out;
	memcpy(ram, image, size);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)ram,
	};
	what = "KVM_SET_USER_MEMORY_REGION";
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	struct kvm_arm_kcore_boot_info info = { RAM_BASE, size };
	what = "KVM_ARM_KCORE_SET_BOOT_INFO";
	if (ioctl(vm, KVM_ARM_KCORE_SET_BOOT_INFO, &info) < 0)
		goto out;
	what = "KVM_CREATE_VCPU";
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		goto out;
	struct kvm_vcpu_init init;
	what = "KVM_ARM_VCPU_INIT";
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		goto out;
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		goto out;
	uint64_t pc = RAM_BASE;
	struct kvm_one_reg reg = { .id = CORE_REG(regs.pc), .addr = (uint64_t)(uintptr_t)&pc };
	what = "set PC";
	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
		goto out;
	what = "mmap kvm_run";
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		goto out;
	what = "KVM_RUN";
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		goto out;
	if (run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
	    run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN) {
		errno = 0;
		what = "KVM_RUN did not end with the guest's SYSTEM_OFF";
		goto out;
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "vm-cycles: cycle %ld: %s: %s\n", i, what, errno ? strerror(errno) : "");
	if (run != MAP_FAILED)
		munmap(run, run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm); /* the last reference: KVM destroys the VM */
	if (ram != MAP_FAILED)
		munmap(ram, RAM_SIZE);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vm-cycles SIGNED_IMAGE N\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > RAM_SIZE) {
		fprintf(stderr, "vm-cycles: %s: not an image that fits in %llu MB\n", argv[1],
			RAM_SIZE >> 20);
		return 2;
	}
	uint8_t *image = malloc((size_t)st.st_size);
	if (!image || read(fd, image, (size_t)st.st_size) != st.st_size) {
		fprintf(stderr, "vm-cycles: %s: cannot read it\n", argv[1]);
		return 2;
	}
	close(fd);
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "vm-cycles: /dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	long pins0 = pins_held(), free0 = field("/proc/meminfo", "MemFree"), done = 0;
	for (long i = 0; i < n; i++) {
		if (cycle(kvm, image, (size_t)st.st_size, i))
			break;
		done++;
	}
	long pins1 = pins_held(), free1 = field("/proc/meminfo", "MemFree");
	printf("vm-cycles: %ld of %ld VMs created, run to their SYSTEM_OFF and destroyed\n", done, n);
	const char *verdict = ": LEAKED";
	if (pins0 < 0 || pins1 < 0)
		verdict = ": /dev/kcore_test cannot say";
	else if (pins0 == pins1)
		verdict = ": every page KVM pinned was released";
	printf("vm-cycles: pages pinned for KCore's VMs before %ld, after %ld%s\n", pins0, pins1, verdict);
	printf("vm-cycles: MemFree before %ld kB, after %ld kB (%+ld kB)\n", free0, free1, free1 - free0);
	return done == n && pins0 == pins1 && pins0 >= 0 ? 0 : 1;
}
