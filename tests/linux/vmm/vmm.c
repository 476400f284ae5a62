/* vmm: a small VMM over /dev/kvm for the Linux test bed (tests/linux).
 *
 *   vmm --kernel Image [--initrd initrd.cpio] [--cmdline '...'] [--mem 256M] [--cpus 1]
 *   vmm --bare guest.bin [--mem 64M]
 *   options: --gic 3|2|auto (auto: v3, else v2), --mark STRING (print how many
 *   counter ticks after the start the guest printed STRING), --kcore (the
 *   host runs kvm-arm.mode=kcore: the image is a signed one, scripts/sign-image,
 *   handed to KCore with KVM_ARM_KCORE_SET_BOOT_INFO; KCore verifies it at
 *   the first KVM_RUN and refuses to run a VM whose image it does not trust;
 *   an --initrd is then a signed one too, its own slot, loaded at the IPA it
 *   was signed for), --probe-regs (at vCPU 0's first MMIO exit, try
 *   KVM_SET_ONE_REG and KVM_GET_ONE_REG on its PC and say what they gave:
 *   in KCore mode both must fail with EPERM, and the guest must go on),
 *   --probe-mem (at the same point, the host's ways into a page of the running
 *   guest through this process: /proc/self/mem, process_vm_readv, a write(2)
 *   from it, fork, a core dump of this address space; each must be refused
 *   or get no guest data, and the host and the guest must go on),
 *   --reboot (a guest's PSCI SYSTEM_RESET starts the VM again, up to 4
 *   times: this process executes itself again, so the old VM is destroyed
 *   and a new one built and, with --kcore, verified again; a kernel's
 *   command line starts with vmm.boot=N, its boot's number from 1)
 *
 * The guest: RAM at 0x40000000, an in-kernel vGIC at 0x08000000, the arch
 * timer, PSCI 0.2+ by HVC (handled in the host kernel), a PL011 at 0x09000000
 * emulated here on MMIO exits, a device tree generated here. A Linux Image
 * is loaded at RAM + text_offset with the device tree at the top of RAM and
 * the initrd below it; a bare binary is loaded at the RAM base and entered
 * there with x0 = the device tree. PSCI SYSTEM_OFF (or RESET) ends the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdt.h"
#include "pl011.h"

#define RAM_BASE 0x40000000ull
#define GIC_DIST 0x08000000ull
#define GIC_DIST_SIZE 0x10000ull
#define GICV2_CPU 0x08010000ull
#define GICV2_CPU_SIZE 0x2000ull
#define GICV3_REDIST 0x080a0000ull
#define GICV3_REDIST_SIZE 0x20000ull /* per vCPU: RD_base + SGI_base frames */
#define MAX_CPUS 8
#define DTB_MAX 0x10000ull
#define MB (1024ull * 1024ull)

struct opts {
	const char *kernel, *bare, *initrd, *cmdline, *mark;
	uint64_t mem;
	int cpus, gic; /* gic: 2, 3, 0 = auto */
	int kcore;     /* signed images, through KCore */
	int probe_regs, probe_mem, reboot;
};

/* kvm-arm.mode=kcore's VM ioctl (patches/linux, arch/arm64/include/uapi/asm/kvm.h),
 * for a toolchain whose kernel headers do not have it. */
#ifndef KVM_ARM_KCORE_SET_BOOT_INFO
struct kvm_arm_kcore_boot_info {
	uint64_t ipa, size; /* cppcheck-suppress unusedStructMember ; read by the kernel */
};
#define KVM_ARM_KCORE_SET_BOOT_INFO _IOW(KVMIO, 0xd2, struct kvm_arm_kcore_boot_info)
#endif

static struct {
	int kvm, vm;
	uint8_t *ram;
	uint64_t ram_size;
	int gic_version;
	int ncpus;
	const char *slot_path[2]; /* --kcore: the signed images (slots 0, 1), for KCore's refusal */
	int nr_slots;
	size_t run_size;
	const char *mark;
	int probe_regs, probe_mem, vcpu0_fd;
	int reboot;    /* --reboot */
	char **argv;   /* this process's, for --reboot */
	size_t mark_matched;
	uint64_t start_ticks;
	int marked; /* 1: mark seen, 2: reported */
} vm;

/* The VM's end (its power-off, a reset, an error): the first vCPU thread
 * to get there ends the process, once. Another vCPU's KVM_RUN may fail
 * right after the guest powered off (KCore refuses to run a powered-off
 * VM), and two threads in exit() at once can hang in the C library. */
static _Atomic int vm_ending;

static _Noreturn void end_vm(int code)
{
	if (vm_ending++)
		for (;;)
			pause(); /* the other thread ends the process */
	fflush(stdout);
	_exit(code);
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	if (vm_ending)
		end_vm(2); /* the VM ended already: nothing to say */
	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	end_vm(2);
}

static uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static void usage(void)
{
	fputs("usage: vmm (--kernel Image | --bare flat.bin) [--initrd file] [--cmdline str]\n"
	      "           [--mem 256M] [--cpus n] [--gic 3|2|auto] [--mark string] [--kcore]\n"
	      "           [--probe-regs] [--probe-mem] [--reboot]\n",
	      stderr);
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	switch (*end) {
	case 'G': case 'g': v *= 1024; /* fall through */
	case 'M': case 'm': v *= 1024; /* fall through */
	case 'K': case 'k': v *= 1024; end++; break;
	case 0: break;
	default: die("bad size '%s' (e.g. 256M)", s);
	}
	if (*end)
		die("bad size '%s' (e.g. 256M)", s);
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mem = 256 * MB;
	o->cpus = 1;
	o->cmdline = "console=ttyAMA0";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--kcore")) {
			o->kcore = 1;
			continue;
		}
		if (!strcmp(a, "--probe-regs")) {
			o->probe_regs = 1;
			continue;
		}
		if (!strcmp(a, "--probe-mem")) {
			o->probe_mem = 1;
			continue;
		}
		if (!strcmp(a, "--reboot")) {
			o->reboot = 1;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--kernel")) o->kernel = v;
		else if (!strcmp(a, "--bare")) o->bare = v;
		else if (!strcmp(a, "--initrd")) o->initrd = v;
		else if (!strcmp(a, "--cmdline")) o->cmdline = v;
		else if (!strcmp(a, "--mark")) o->mark = v;
		else if (!strcmp(a, "--mem")) o->mem = parse_size(v);
		else if (!strcmp(a, "--cpus")) o->cpus = atoi(v);
		else if (!strcmp(a, "--gic")) o->gic = !strcmp(v, "auto") ? 0 : atoi(v);
		else usage();
		i++;
	}
	if (!o->kernel == !o->bare)
		die("give exactly one of --kernel (a Linux Image) or --bare (a flat binary)");
	if (o->cpus < 1 || o->cpus > MAX_CPUS)
		die("--cpus must be 1..%d", MAX_CPUS);
	if (o->gic != 0 && o->gic != 2 && o->gic != 3)
		die("--gic must be 2, 3 or auto");
	if (o->mem < 2 * MB || (o->mem & (2 * MB - 1)))
		die("--mem %llu: must be a multiple of 2M, at least 2M", (unsigned long long)o->mem);
}

/* Reads a whole file into guest RAM at off, refusing one that would not fit. */
static uint64_t load_file(const char *path, uint64_t off, uint64_t limit, const char *what)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	uint64_t size = (uint64_t)st.st_size;
	if (off > limit || size > limit - off)
		die("--mem %lluM is too small: the %s %s (%llu bytes) does not fit below 0x%llx",
		    (unsigned long long)(vm.ram_size / MB), what, path, (unsigned long long)size,
		    (unsigned long long)(RAM_BASE + limit));
	for (uint64_t done = 0; done < size;) {
		ssize_t r = read(fd, vm.ram + off + done, size - done);
		if (r <= 0)
			die("%s: read failed: %s", path, r < 0 ? strerror(errno) : "short file");
		done += (uint64_t)r;
	}
	close(fd);
	return size;
}

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);
	if (r < 0)
		die("%s: %s", what, strerror(errno));
	return r;
}

static void open_kvm(void)
{
	vm.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm.kvm < 0)
		die("/dev/kvm: %s (the host kernel has no KVM, or KVM did not initialise: "
		    "see `dmesg | grep kvm`)", strerror(errno));
	int api = ioctl(vm.kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		die("/dev/kvm: API version %d, expected %d", api, KVM_API_VERSION);
	vm.vm = kvm_ioctl(vm.kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	vm.run_size = (size_t)kvm_ioctl(vm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
}

static void setup_ram(uint64_t size)
{
	vm.ram_size = size;
	vm.ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	if (vm.ram == MAP_FAILED)
		die("cannot map %llu MB of guest memory: %s", (unsigned long long)(size / MB),
		    strerror(errno));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)vm.ram,
	};
	kvm_ioctl(vm.vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");
}

static void set_reg(int vcpu, uint64_t id, uint64_t value, const char *what)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
	kvm_ioctl(vcpu, KVM_SET_ONE_REG, &reg, what);
}

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(x))

static int create_vcpu(int index, uint64_t entry, uint64_t dtb)
{
	int fd = kvm_ioctl(vm.vm, KVM_CREATE_VCPU, (void *)(uintptr_t)index, "KVM_CREATE_VCPU");
	struct kvm_vcpu_init init;
	kvm_ioctl(vm.vm, KVM_ARM_PREFERRED_TARGET, &init, "KVM_ARM_PREFERRED_TARGET");
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (index > 0) /* secondaries wait for PSCI CPU_ON */
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	kvm_ioctl(fd, KVM_ARM_VCPU_INIT, &init, "KVM_ARM_VCPU_INIT");
	if (index == 0) {
		set_reg(fd, CORE_REG(regs.pc), entry, "set PC");
		set_reg(fd, CORE_REG(regs.regs[0]), dtb, "set X0");
	}
	return fd;
}

static int vgic_create(int version, int test_only)
{
	struct kvm_create_device dev = {
		.type = version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2,
		.flags = test_only ? KVM_CREATE_DEVICE_TEST : 0,
	};
	if (ioctl(vm.vm, KVM_CREATE_DEVICE, &dev) < 0)
		return -errno;
	return (int)dev.fd;
}

static void vgic_attr(int fd, uint32_t group, uint64_t attr, void *addr, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr };
	kvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &a, what);
}

/* The in-kernel GIC; after the vCPUs exist, as KVM wants. */
static void setup_vgic(int want)
{
	if (want == 0)
		want = vgic_create(3, 1) >= 0 ? 3 : 2;
	int fd = vgic_create(want, 0);
	if (fd < 0)
		die("KVM_CREATE_DEVICE (vGICv%d): %s%s", want, strerror(-fd),
		    want == 2 ? " (a GICv3 host without GICv2 compatibility has no vGICv2)" : "");
	vm.gic_version = want;
	uint64_t dist = GIC_DIST, other = want == 3 ? GICV3_REDIST : GICV2_CPU;
	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
		  want == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST, &dist, "vGIC distributor");
	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
		  want == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU, &other,
		  want == 3 ? "vGIC redistributors" : "vGIC CPU interface");
	uint32_t nr_irqs = 64;
	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "vGIC number of IRQs");
	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "vGIC init");
}

/* The guest's device tree, written into RAM at dtb_off. */
static void build_dtb(uint64_t dtb_off, const char *cmdline, uint64_t initrd_start, uint64_t initrd_size)
{
	struct fdt f;
	enum { PH_GIC = 1, PH_CLK = 2 };
	fdt_begin(&f, vm.ram + dtb_off, DTB_MAX);
	fdt_node(&f, "");
	fdt_prop_u32(&f, "#address-cells", 2);
	fdt_prop_u32(&f, "#size-cells", 2);
	fdt_prop_str(&f, "compatible", "linux,dummy-virt");
	fdt_prop_u32(&f, "interrupt-parent", PH_GIC);

	fdt_node(&f, "chosen");
	fdt_prop_str(&f, "bootargs", cmdline);
	fdt_prop_str(&f, "stdout-path", "/pl011@9000000");
	if (initrd_size) {
		fdt_prop_u64(&f, "linux,initrd-start", RAM_BASE + initrd_start);
		fdt_prop_u64(&f, "linux,initrd-end", RAM_BASE + initrd_start + initrd_size);
	}
	fdt_end_node(&f);

	fdt_node(&f, "memory@40000000");
	fdt_prop_str(&f, "device_type", "memory");
	uint32_t mem_reg[4] = { 0, (uint32_t)RAM_BASE, (uint32_t)(vm.ram_size >> 32), (uint32_t)vm.ram_size };
	fdt_prop_cells(&f, "reg", mem_reg, 4);
	fdt_end_node(&f);

	fdt_node(&f, "cpus");
	fdt_prop_u32(&f, "#address-cells", 1);
	fdt_prop_u32(&f, "#size-cells", 0);
	for (int i = 0; i < vm.ncpus; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu@%d", i);
		fdt_node(&f, name);
		fdt_prop_str(&f, "device_type", "cpu");
		fdt_prop_str(&f, "compatible", "arm,arm-v8");
		fdt_prop_str(&f, "enable-method", "psci");
		fdt_prop_u32(&f, "reg", (uint32_t)i);
		fdt_end_node(&f);
	}
	fdt_end_node(&f);

	fdt_node(&f, "psci");
	static const char *const psci_compat[] = { "arm,psci-1.0", "arm,psci-0.2" };
	fdt_prop_strs(&f, "compatible", psci_compat, 2);
	fdt_prop_str(&f, "method", "hvc");
	fdt_end_node(&f);

	fdt_node(&f, "intc@8000000");
	if (vm.gic_version == 3) {
		fdt_prop_str(&f, "compatible", "arm,gic-v3");
		uint32_t reg[8] = { 0, (uint32_t)GIC_DIST, 0, (uint32_t)GIC_DIST_SIZE,
				    0, (uint32_t)GICV3_REDIST, 0, (uint32_t)(GICV3_REDIST_SIZE * (uint64_t)vm.ncpus) };
		fdt_prop_cells(&f, "reg", reg, 8);
	} else {
		fdt_prop_str(&f, "compatible", "arm,cortex-a15-gic");
		uint32_t reg[8] = { 0, (uint32_t)GIC_DIST, 0, 0x1000, 0, (uint32_t)GICV2_CPU, 0, (uint32_t)GICV2_CPU_SIZE };
		fdt_prop_cells(&f, "reg", reg, 8);
	}
	fdt_prop_u32(&f, "#interrupt-cells", 3);
	fdt_prop_empty(&f, "interrupt-controller");
	fdt_prop_u32(&f, "phandle", PH_GIC);
	fdt_end_node(&f);

	/* PPI flags: level-high, and for GICv2 the mask of CPUs it goes to. */
	uint32_t ppi = 4 | (vm.gic_version == 2 ? ((1u << vm.ncpus) - 1) << 8 : 0);
	fdt_node(&f, "timer");
	fdt_prop_str(&f, "compatible", "arm,armv8-timer");
	uint32_t irqs[12] = { 1, 13, ppi, 1, 14, ppi, 1, 11, ppi, 1, 10, ppi };
	fdt_prop_cells(&f, "interrupts", irqs, 12);
	fdt_prop_empty(&f, "always-on");
	fdt_end_node(&f);

	fdt_node(&f, "apb-pclk");
	fdt_prop_str(&f, "compatible", "fixed-clock");
	fdt_prop_u32(&f, "#clock-cells", 0);
	fdt_prop_u32(&f, "clock-frequency", 24000000);
	fdt_prop_str(&f, "clock-output-names", "clk24mhz");
	fdt_prop_u32(&f, "phandle", PH_CLK);
	fdt_end_node(&f);

	fdt_node(&f, "pl011@9000000");
	static const char *const uart_compat[] = { "arm,pl011", "arm,primecell" };
	fdt_prop_strs(&f, "compatible", uart_compat, 2);
	uint32_t uart_reg[4] = { 0, (uint32_t)PL011_BASE, 0, (uint32_t)PL011_SIZE };
	fdt_prop_cells(&f, "reg", uart_reg, 4);
	uint32_t uart_irq[3] = { 0, PL011_SPI, 4 };
	fdt_prop_cells(&f, "interrupts", uart_irq, 3);
	uint32_t clocks[2] = { PH_CLK, PH_CLK };
	fdt_prop_cells(&f, "clocks", clocks, 2);
	static const char *const clock_names[] = { "uartclk", "apb_pclk" };
	fdt_prop_strs(&f, "clock-names", clock_names, 2);
	fdt_end_node(&f);

	fdt_end_node(&f);
	if (!fdt_finish(&f))
		die("device tree does not fit in %llu bytes", (unsigned long long)DTB_MAX);
}

/* Watches the console for --mark: the counter is read when the mark is
 * complete, the report waits for the end of that line of output. */
static void on_tx(uint8_t c)
{
	static uint64_t ticks;
	if (!vm.mark || vm.marked == 2)
		return;
	if (vm.marked == 1) {
		if (c == '\n') {
			vm.marked = 2;
			fprintf(stderr, "vmm: mark '%s' after %llu counter ticks\n", vm.mark,
				(unsigned long long)ticks);
		}
		return;
	}
	if (c == (uint8_t)vm.mark[vm.mark_matched]) {
		if (!vm.mark[++vm.mark_matched]) {
			ticks = counter() - vm.start_ticks;
			vm.marked = 1;
		}
	} else {
		vm.mark_matched = c == (uint8_t)vm.mark[0];
	}
}

static pthread_mutex_t uart_lock = PTHREAD_MUTEX_INITIALIZER;

/* This boot's number (1 for the first), from the environment --reboot sets. */
static int boot_number(void)
{
	const char *n = getenv("VMM_BOOT");
	return n ? atoi(n) : 1;
}

/* --reboot: the guest asked for a reset. The VM starts again from nothing:
 * this program executes itself again (every fd it has is close-on-exec, so
 * the VM is destroyed and its pages go back), at most 4 times. */
static void reboot_vm(void)
{
	int next = boot_number() + 1;
	char n[16];
	if (next > 5)
		die("the guest reset itself 4 times: stopping");
	fprintf(stderr, "\nvmm: guest reset: starting it again (boot %d)\n", next);
	snprintf(n, sizeof(n), "%d", next);
	setenv("VMM_BOOT", n, 1);
	execv("/proc/self/exe", vm.argv);
	die("cannot execute myself again: %s", strerror(errno));
}

static const char *result(long r, int err)
{
	return r < 0 ? strerror(err) : "accepted";
}

/* A process sharing this one's memory (CLONE_VM), which dumps core. */
static int dump_core(void *arg)
{
	(void)arg;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_CORE, &unlimited);
	if (chdir("/tmp") < 0)
		_exit(3);
	signal(SIGABRT, SIG_DFL);
	kill(getpid(), SIGABRT);
	_exit(4);
}

/* --probe-mem: the host's ways into the running guest's first page (the
 * kernel's or the bare guest's image, KCore's since VERIFY_VM). */
static void probe_mem(void)
{
	char buf[64];
	uint8_t *page = vm.ram;
	int fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0)
		die("/proc/self/mem: %s", strerror(errno));
	long r = pread(fd, buf, sizeof(buf), (off_t)(uintptr_t)page);
	fprintf(stderr, "vmm: probe: /proc/self/mem read of a guest page: %s\n", result(r, errno));
	r = pwrite(fd, buf, sizeof(buf), (off_t)(uintptr_t)page);
	fprintf(stderr, "vmm: probe: /proc/self/mem write of a guest page: %s\n", result(r, errno));
	close(fd);

	struct iovec local = { buf, sizeof(buf) }, remote = { page, sizeof(buf) };
	r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	fprintf(stderr, "vmm: probe: process_vm_readv of a guest page: %s\n", result(r, errno));

	int p[2];
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	r = write(p[1], page, sizeof(buf));
	fprintf(stderr, "vmm: probe: write(2) from a guest page: %s\n", result(r, errno));
	close(p[0]);
	close(p[1]);

	/* fork: the child's copy of the page must hold none of the guest's bytes. */
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < 4096; i++)
			if (page[i])
				_exit(1);
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		die("fork: %s", strerror(errno));
	fprintf(stderr, "vmm: probe: fork: the child's copy of a guest page %s\n",
		WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "reads zero" : "holds data, or the child died");

	/* A core dump of this address space (the guest's RAM in it). */
	static char stack[64 * 1024] __attribute__((aligned(16)));
	unlink("/tmp/core");
	pid = clone(dump_core, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		die("clone: %s", strerror(errno));
	struct stat cs;
	fprintf(stderr, "vmm: probe: core dump of the VMM's memory: %s, %lld bytes\n",
		WIFSIGNALED(st) && WCOREDUMP(st) ? "dumped" : "not dumped",
		stat("/tmp/core", &cs) == 0 ? (long long)cs.st_size : -1LL);
}

/* --probe-regs: the VMM's reach into a vCPU that has run. */
static void probe_regs(int fd)
{
	uint64_t pc = 0;
	struct kvm_one_reg reg = { .id = CORE_REG(regs.pc), .addr = (uint64_t)(uintptr_t)&pc };
	int set = ioctl(fd, KVM_SET_ONE_REG, &reg) < 0 ? errno : 0;
	int get = ioctl(fd, KVM_GET_ONE_REG, &reg) < 0 ? errno : 0;
	fprintf(stderr, "vmm: probe: KVM_SET_ONE_REG(pc) after the first run: %s\n",
		set ? strerror(set) : "accepted");
	fprintf(stderr, "vmm: probe: KVM_GET_ONE_REG(pc) after the first run: %s\n",
		get ? strerror(get) : "accepted");
}

static void *run_vcpu(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct kvm_run *run = mmap(NULL, vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	static _Atomic int unhandled_reported;
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EACCES && vm.nr_slots == 1)
				die("KVM_RUN: KCore refused the VM's image (slot 0: %s): not signed by a key "
				    "KCore trusts, or altered since", vm.slot_path[0]);
			if (errno == EACCES && vm.nr_slots == 2)
				die("KVM_RUN: KCore refused the VM's images (slot 0: %s, slot 1: %s): one is "
				    "not signed by a key KCore trusts, or altered since", vm.slot_path[0],
				    vm.slot_path[1]);
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO: {
			uint64_t a = run->mmio.phys_addr;
			if (vm.probe_regs && fd == vm.vcpu0_fd) {
				vm.probe_regs = 0;
				probe_regs(fd);
			}
			if (vm.probe_mem && fd == vm.vcpu0_fd) {
				vm.probe_mem = 0;
				probe_mem();
			}
			if (a >= PL011_BASE && a < PL011_BASE + PL011_SIZE) {
				/* one UART for all vCPUs: their accesses (and the
				 * --mark watch) one at a time */
				pthread_mutex_lock(&uart_lock);
				pl011_access(a - PL011_BASE, run->mmio.data, run->mmio.len, run->mmio.is_write);
				pthread_mutex_unlock(&uart_lock);
			} else {
				if (!run->mmio.is_write)
					memset(run->mmio.data, 0, sizeof(run->mmio.data));
				if (!unhandled_reported++)
					fprintf(stderr, "vmm: unhandled MMIO %s at 0x%llx (reads 0, writes ignored)\n",
						run->mmio.is_write ? "write" : "read", (unsigned long long)a);
			}
			break;
		}
		case KVM_EXIT_SYSTEM_EVENT:
			fflush(stdout);
			if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
				if (!vm_ending)
					fprintf(stderr, "\nvmm: guest powered off\n");
				end_vm(0);
			}
			if (run->system_event.type == KVM_SYSTEM_EVENT_RESET && vm.reboot)
				reboot_vm();
			fprintf(stderr, "\nvmm: guest system event %u (reset/crash): stopping\n",
				run->system_event.type);
			end_vm(run->system_event.type == KVM_SYSTEM_EVENT_RESET ? 0 : 1);
		case KVM_EXIT_FAIL_ENTRY:
			die("KVM_RUN: entry failed, reason 0x%llx",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			die("KVM_RUN: internal error %u", run->internal.suberror);
			break;
		default:
			die("KVM_RUN: unexpected exit reason %u", run->exit_reason);
		}
	}
	return NULL;
}

/* The arm64 Image header (Documentation/arm64/booting.rst). */
struct image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags;
	uint64_t res2, res3, res4;
	uint32_t magic, res5;
};
#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" */

/* The trailer scripts/sign-image appends (docs/image-format.md). */
struct sig_trailer {
	char magic[8];
	uint32_t version, size;
	uint64_t payload_size, load_addr;
	uint8_t rest[96]; /* cppcheck-suppress unusedStructMember ; key id, signature: KCore's */
};

/* --kcore --initrd: where the signed initrd must lie (its load address) and
 * how much of it is the cpio (the payload, before the trailer). */
static void signed_initrd_place(const char *path, uint64_t *off, uint64_t *payload)
{
	struct sig_trailer t;
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (st.st_size < (off_t)sizeof(t) ||
	    pread(fd, &t, sizeof(t), st.st_size - (off_t)sizeof(t)) != (ssize_t)sizeof(t) ||
	    memcmp(t.magic, "KCORESIG", 8) || t.size != sizeof(t) ||
	    t.payload_size != (uint64_t)st.st_size - sizeof(t))
		die("%s: not a signed image (scripts/sign-image), which --kcore needs for the initrd", path);
	close(fd);
	if (t.load_addr < RAM_BASE || t.load_addr - RAM_BASE > vm.ram_size ||
	    (uint64_t)st.st_size > vm.ram_size - (t.load_addr - RAM_BASE))
		die("%s: signed for IPA 0x%llx, outside the guest's RAM (--mem %lluM)", path,
		    (unsigned long long)t.load_addr, (unsigned long long)(vm.ram_size / MB));
	*off = t.load_addr - RAM_BASE;
	*payload = t.payload_size;
}

static void kcore_slot(uint64_t off, uint64_t size, const char *path)
{
	struct kvm_arm_kcore_boot_info info = { RAM_BASE + off, size };
	if (ioctl(vm.vm, KVM_ARM_KCORE_SET_BOOT_INFO, &info) < 0)
		die("KVM_ARM_KCORE_SET_BOOT_INFO (slot %d: %s): %s", vm.nr_slots, path, strerror(errno));
	vm.slot_path[vm.nr_slots++] = path;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_args(argc, argv, &o);
	vm.argv = argv;
	vm.reboot = o.reboot;
	setvbuf(stdout, NULL, _IONBF, 0);
	vm.ncpus = o.cpus;
	vm.mark = o.mark;

	/* Check the image before anything else, so a bad one says so plainly. */
	struct image_header h;
	if (o.kernel) {
		int fd = open(o.kernel, O_RDONLY);
		if (fd < 0)
			die("%s: %s", o.kernel, strerror(errno));
		ssize_t n = read(fd, &h, sizeof(h));
		close(fd);
		if (n >= 2 && (uint8_t)((char *)&h)[0] == 0x1f && (uint8_t)((char *)&h)[1] == 0x8b)
			die("%s: gzip-compressed; give the raw Image (zcat it first)", o.kernel);
		if (n != (ssize_t)sizeof(h) || h.magic != IMAGE_MAGIC)
			die("%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 56)", o.kernel);
		if (h.image_size == 0) /* pre-3.17 kernels: text_offset 0x80000 and no size */
			h.text_offset = 0x80000;
	}

	open_kvm();
	setup_ram(o.mem);

	uint64_t entry_off, image_end, image_size;
	if (o.kernel) {
		entry_off = h.text_offset;
		image_size = load_file(o.kernel, entry_off, vm.ram_size, "kernel");
		image_end = entry_off + (h.image_size > image_size ? h.image_size : image_size);
	} else {
		entry_off = 0;
		image_size = load_file(o.bare, 0, vm.ram_size, "guest");
		image_end = image_size;
	}
	/* The device tree in the top 2 MB (below 512 MB is not required on arm64);
	 * the initrd page-aligned below it, above the kernel's image_size (its BSS). */
	if (vm.ram_size < 2 * MB + ((image_end + 2 * MB - 1) & ~(2 * MB - 1)))
		die("--mem %lluM is too small: the image needs %llu KB plus 2 MB for the device tree",
		    (unsigned long long)(vm.ram_size / MB), (unsigned long long)(image_end / 1024));
	uint64_t dtb_off = vm.ram_size - 2 * MB;
	uint64_t initrd_off = 0, initrd_size = 0;
	if (o.initrd) {
		struct stat st;
		if (stat(o.initrd, &st) < 0)
			die("%s: %s", o.initrd, strerror(errno));
		initrd_size = (uint64_t)st.st_size;
		if (initrd_size + image_end + 2 * MB > dtb_off)
			die("--mem %lluM is too small: kernel (%llu KB) + initrd (%llu KB) + device tree "
			    "need more", (unsigned long long)(vm.ram_size / MB),
			    (unsigned long long)(image_end / 1024), (unsigned long long)(initrd_size / 1024));
		initrd_off = (dtb_off - initrd_size) & ~0xfffull;
		uint64_t payload = initrd_size;
		if (o.kcore) /* where it was signed for: KCore checks that IPA */
			signed_initrd_place(o.initrd, &initrd_off, &payload);
		if (initrd_off < image_end || initrd_off + initrd_size > dtb_off)
			die("%s: at 0x%llx it overlaps the kernel (to 0x%llx) or the device tree (0x%llx)",
			    o.initrd, (unsigned long long)(RAM_BASE + initrd_off),
			    (unsigned long long)(RAM_BASE + image_end), (unsigned long long)(RAM_BASE + dtb_off));
		load_file(o.initrd, initrd_off, dtb_off, "initrd");
		initrd_size = payload; /* the guest sees the cpio, not the trailer */
	}

	/* KCore: the signed image as it lies in guest memory (payload and
	 * trailer, scripts/sign-image), checked by KCore at the first KVM_RUN. */
	if (o.kcore) {
		kcore_slot(entry_off, image_size, o.kernel ? o.kernel : o.bare);
		if (o.initrd)
			kcore_slot(initrd_off, initrd_size + sizeof(struct sig_trailer), o.initrd);
	}

	int fds[MAX_CPUS] = { 0 };
	for (int i = 0; i < vm.ncpus; i++)
		fds[i] = create_vcpu(i, RAM_BASE + entry_off, RAM_BASE + dtb_off);
	vm.vcpu0_fd = fds[0];
	vm.probe_regs = o.probe_regs;
	vm.probe_mem = o.probe_mem;
	setup_vgic(o.gic);
	char cmdline[4096];
	if (o.kernel) /* the boot's number, before anything init would take as its own */
		snprintf(cmdline, sizeof(cmdline), "vmm.boot=%d %s", boot_number(), o.cmdline);
	else
		snprintf(cmdline, sizeof(cmdline), "%s", o.cmdline);
	build_dtb(dtb_off, cmdline, initrd_off, initrd_size);
	pl011_init(on_tx);

	fprintf(stderr, "vmm: %s %s, %llu MB, %d vCPU(s), vGICv%d%s\n", o.kernel ? "kernel" : "bare",
		o.kernel ? o.kernel : o.bare, (unsigned long long)(vm.ram_size / MB), vm.ncpus,
		vm.gic_version, !o.kcore ? "" : vm.nr_slots == 2 ? ", through KCore (signed kernel and initrd)"
		: ", through KCore (signed image)");
	vm.start_ticks = counter();
	for (int i = 1; i < vm.ncpus; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, run_vcpu, (void *)(intptr_t)fds[i]))
			die("pthread_create failed");
	}
	run_vcpu((void *)(intptr_t)fds[0]);
	return 0;
}
