#!/usr/bin/env bash
# The Linux test bed's test (make linux-test): boots Debian's Linux 6.1
# (scripts/linux/build) as an arm64 KVM host in QEMU, once with stock KVM
# (kvm-arm.mode=nvhe) and once with pKVM (kvm-arm.mode=protected) on a GICv3
# virt board, then with stock KVM on a GICv2 board (the VMM's vGICv2), then
# with Debian's own arm64 kernel as the Linux guest (mode debian), and in
# each checks that KVM initialised in that mode, that the VMM's errors are
# clear, that the bare-metal guest and the Linux guest print what they
# should, and that everything powers off in time. Mode kcore boots the same
# Image with kvm-arm.mode=kcore (KCore owns the host's stage 2) and runs
# KCore's isolation probes (tests/linux/probe) instead of guests. Modes
# kcore-vm and kcore-debian need the KCore object built with D45's opt-in
# linked in (make linux-test: scripts/linux/with-kcore-object): KVM's VMs
# through KCore (the bare guest, the Linux guest on 1 and 2 vCPUs, refused
# images; Debian's kernel as the guest on 2 vCPUs).
#   tests/linux/run.sh [nvhe|protected|gicv2|debian|kcore|kcore-vm|kcore-debian ...]
#   (default: the first five)
# Needs build/linux/Image and build/linux/host-initrd.cpio (make linux-initramfs).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=build/linux
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${LINUX_TEST_TIMEOUT:-900}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(nvhe protected gicv2 debian kcore)
for f in "$OUT/Image" "$OUT/host-initrd.cpio" "$OUT/host-initrd-debian.cpio"; do
	[ -f "$f" ] || { echo "linux-test: $f missing (make linux-initramfs)" >&2; exit 1; }
done

pass=0 fail=0
check() { # check LOG DESCRIPTION FIXED-STRING [COUNT]
	local n
	n=$(grep -cF -- "$3" "$1")
	if [ "$n" -ge "${4:-1}" ]; then
		pass=$((pass + 1)); echo "  ok   $2"
	else
		fail=$((fail + 1)); echo "  FAIL $2 (expected '$3' x${4:-1}, found $n)"
	fi
}

for mode in "${modes[@]}"; do
	case "$mode" in
	nvhe) kmode=nvhe gic=3 tests=all initrd=host-initrd.cpio guest_kernel='guest: Linux 6.1.' ;;
	protected) kmode=protected gic=3 tests=all initrd=host-initrd.cpio guest_kernel='guest: Linux 6.1.' ;;
	gicv2) kmode=nvhe gic=2 tests=all initrd=host-initrd.cpio guest_kernel='guest: Linux 6.1.' ;;
	debian) kmode=nvhe gic=3 tests=linux initrd=host-initrd-debian.cpio guest_kernel='guest: Linux 6.1.0-' ;;
	kcore) kmode=kcore gic=3 tests=kcore initrd=host-initrd.cpio guest_kernel= ;;
	kcore-vm) kmode=kcore gic=3 tests=kcore-vm initrd=host-initrd.cpio guest_kernel= ;;
	kcore-debian) kmode=kcore gic=3 tests=kcore-linux initrd=host-initrd-debian.cpio guest_kernel= ;;
	*) echo "linux-test: unknown mode '$mode' (nvhe, protected, gicv2, debian, kcore, kcore-vm, kcore-debian)" >&2; exit 2 ;;
	esac
	# KCore mode runs on cortex-a72 (docs/linux.md: no SVE/PAuth/MTE for a
	# guest to trap on, a 44-bit PA for KCore's level-0 stage 2, 4 LRs);
	# the host boots without LPIs until KCore adopts the host's LPI tables.
	cpu=max,pauth-impdef=on extra=
	[ "$kmode" = kcore ] && cpu=cortex-a72 extra=irqchip.gicv3_nolpi=1
	case "$kmode" in
	nvhe) kvm_line='kvm [1]: Hyp mode initialized successfully' ;;
	protected) kvm_line='kvm [1]: Protected nVHE mode initialized successfully' ;;
	kcore) kvm_line="kvm [1]: KCore mode initialized successfully: KCore owns the host's stage 2" ;;
	esac
	log=$OUT/test-$mode.log
	echo "linux-test: $mode: kvm-arm.mode=$kmode, GICv$gic (log: $log)"
	start=$(date +%s)
	timeout "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version=$gic -cpu $cpu \
		-smp 2 -m 2G -nographic -no-reboot -kernel "$OUT/Image" -initrd "$OUT/$initrd" \
		-append "console=ttyAMA0 kvm-arm.mode=$kmode kcore.test=$tests kcore.cycles=${LINUX_TEST_CYCLES:-300} panic=-1 $extra" \
		< /dev/null > "$log" 2>&1
	rc=$?
	tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
	echo "linux-test: QEMU exit $rc after $(( $(date +%s) - start )) s"
	if [ $rc -eq 124 ]; then
		fail=$((fail + 1)); echo "  FAIL timed out after $TIMEOUT s"; tail -5 "$log"
	fi
	check "$log" "KVM initialised ($kmode)" "$kvm_line"
	if [ "$tests" = kcore ]; then
		check "$log" "KCore reserved its pools at boot" "kvm [0]: KCore: reserved"
		check "$log" "KCore took the host's RAM and the hyp ranges" "kcore: RAM [0x40000000, 0xc0000000) the host's; KCore's: its pools"
		check "$log" "KCore classified the host's devices (default-deny)" "kcore: MMIO allow-list:"
		check "$log" "fw_cfg's DMA interface withheld" "kcore: MMIO withheld: fw-cfg@9020000"
		check "$log" "the ITS's control frame KCore's" "kcore: MMIO mediated: its@8080000"
		check "$log" "both CPUs online under KCore" "smp: Brought up 1 node, 2 CPUs"
		check "$log" "probe: KCore's no-op hypercall" "kcore-probe: ok   KCore's no-op hypercall answered 0"
		check "$log" "probe: a host page reads through the probe" "kcore-probe: ok   read a host page"
		for what in "the nVHE text" "the nVHE rodata" "the nVHE bss" "KCore's ownership table" "KCore's pool" \
			"pKVM's pool" "CPU 0's hyp per-CPU area" "CPU 0's hyp stack"; do
			check "$log" "probe: read $what refused (SIGBUS)" "kcore-probe: ok   read $what"
		done
		for what in "the nVHE text" "the nVHE bss" "KCore's ownership table" "KCore's pool" \
			"pKVM's pool" "CPU 0's hyp per-CPU area" "CPU 0's hyp stack"; do
			check "$log" "probe: write $what refused (SIGBUS)" "kcore-probe: ok   write $what"
		done
		check "$log" "probe: all 23 of KVM's host hypercalls refused (-EPERM)" "kcore-probe: ok   KVM hypercall" 23
		check "$log" "probe: KVM_CREATE_VM gives a VM of KCore's" "kcore-probe: ok   KVM_CREATE_VM: a VM of KCore's"
		check "$log" "probe: the host and KCore still run" "kcore-probe: ok   the host and KCore still run"
		check "$log" "probe: no check failed" "kcore-probe: 42 passed, 0 failed"
		check "$log" "no hyp panic, no oops" "host: kcore-probe exit 0"
		check "$log" "CPU 1 off through PSCI" "host: cpu1 offline"
		check "$log" "CPU 1 back on through PSCI (its GICR page 0 mediated)" "host: cpu1 back online"
		check "$log" "probes on CPU 1 after PSCI CPU_ON: every one passes" "kcore-probe: on CPU 1"
		check "$log" "probes on CPU 1: no check failed" "host: kcore-probe on cpu1 exit 0"
		check "$log" "KCore says VMs are refused without an SMMU (D45)" "kcore: VMs refused (-KE_NOTSUPP): no SMMU is KCore's inside Linux yet"
		check "$log" "a VM through KCore: its image handed over" "kcore-vm: ok   the image's"
		check "$log" "a VM through KCore: VERIFY_VM refused (D45)" "kcore-vm: ok   VERIFY_VM without an SMMU KCore controls: -11"
		check "$log" "a VM through KCore: no run of the unverified VM" "kcore-vm: ok   VCPU_RUN of the unverified VM: -3"
		check "$log" "a VM through KCore: its image pages still the host's" "kcore-vm: ok   the image page is still the host's"
		check "$log" "a VM through KCore: no check failed" "host: kcore-vm exit 0"
		check "$log" "the VMM's signed VM: its KVM_RUN refused without an SMMU (D45)" "vmm: KVM_RUN: Operation not supported"
		check "$log" "powered off" "host: tests done"
		continue
	fi
	if [ "$tests" = kcore-linux ]; then
		check "$log" "KCore says VMs run unprotected from DMA (the opt-in)" "kcore: WARNING: INSECURE DMA (built with KCORE_INSECURE_DMA=1)"
		check "$log" "the VMM: Debian's kernel through KCore, kernel and initramfs signed" \
			"vmm: kernel /guest/Image.signed, 128 MB, 2 vCPU(s), vGICv3, through KCore (signed kernel and initrd)"
		check "$log" "Debian's kernel through KCore booted" "guest: Linux 6.1.0-"
		check "$log" "Debian's kernel through KCore: both vCPUs up (PSCI CPU_ON)" " up, 2 cpu(s)"
		check "$log" "Debian's kernel through KCore: the command ran" "guest-cmd-ran: 42"
		check "$log" "Debian's kernel through KCore: boot time measured" "vmm: mark 'guest-shell$' after"
		check "$log" "Debian's kernel through KCore: powered off, vmm exit 0" "host: vmm linux 2 exit 0"
		check "$log" "powered off" "host: tests done"
		continue
	fi
	if [ "$tests" = kcore-vm ]; then
		check "$log" "KCore says VMs run unprotected from DMA (the opt-in)" "kcore: WARNING: INSECURE DMA (built with KCORE_INSECURE_DMA=1)"
		check "$log" "kcore-vm: a VM id from KCore" "kcore-vm: ok   GEN_VMID -> 1"
		check "$log" "kcore-vm: the signed image verified through the remap window" "kcore-vm: ok   VERIFY_VM(1) -> 0"
		check "$log" "kcore-vm: run page registered" "kcore-vm: ok   REGISTER_RUN_PAGE"
		check "$log" "bare through KCore: console (MMIO exits)" "bare: hello from the bare-metal guest"
		check "$log" "bare through KCore: HVC PSCI_VERSION answered by the host" "bare: PSCI_VERSION 1.1"
		check "$log" "bare through KCore: MMIO read answered by the host" "bare: MMIO PL011 PeriphID0 = 0x11"
		check "$log" "bare through KCore: fresh pages (stage-2 faults mapped by KCore)" "read back: ok"
		check "$log" "bare through KCore: measured" "bench: stage2_fault_page insns="
		check "$log" "bare through KCore: done" "bare: done"
		for what in "read of the running VM's image page" "write of the running VM's image page" \
			"read of a page the running VM was given" "write of a page the running VM was given"; do
			check "$log" "the host's $what refused (SIGBUS)" "kcore-vm: ok   the host's $what"
		done
		check "$log" "the guest powered off by PSCI SYSTEM_OFF" "kcore-vm: ok   the guest ran to its PSCI SYSTEM_OFF"
		check "$log" "no run of the powered-off VM" "kcore-vm: ok   VCPU_RUN of the powered-off VM: -3"
		check "$log" "every page back to the host, zeroed" "each back to the host, zeroed"
		check "$log" "the host and KCore still run" "kcore-vm: ok   the host and KCore still run"
		check "$log" "kcore-vm: no check failed" "host: kcore-vm exit 0"
		check "$log" "the VMM: a VM through KCore with a signed image" "vmm: bare /bare.signed, 64 MB, 1 vCPU(s), vGICv3, through KCore (signed image)"
		check "$log" "bare through KVM and KCore: console, HVC, MMIO, fresh pages, done" "bare: done" 2
		check "$log" "bare through KVM and KCore: HVC PSCI_VERSION answered by KVM" "bare: PSCI_VERSION 1." 2
		check "$log" "bare through KVM and KCore: the PL011's PeriphID0 from the VMM" "bare: MMIO PL011 PeriphID0 = 0x11" 2
		check "$log" "bare through KVM and KCore: 256 fresh pages (KCore maps the memslot's pages)" "read back: ok" 2
		check "$log" "bare through KVM and KCore: powered off, vmm exit 0" "host: vmm exit 0"
		check "$log" "a tampered image refused at KVM_RUN (-EACCES), named" "vmm: KVM_RUN: KCore refused the VM's image (slot 0: /bare.tampered)"
		check "$log" "the tampered VM never ran" "host: vmm tampered exit 2"
		check "$log" "an unsigned image: KVM_RUN refused" "host: vmm unsigned exit 2"
		check "$log" "the VMM: the Linux guest through KCore, kernel and initramfs signed (two slots)" \
			"vCPU(s), vGICv3, through KCore (signed kernel and initrd)" 5
		for n in 1 2; do
			check "$log" "linux guest through KCore on $n vCPU(s): booted to its shell" " up, $n cpu(s)"
			check "$log" "linux guest through KCore on $n vCPU(s): powered off, vmm exit 0" "host: vmm linux $n exit 0"
		done
		check "$log" "linux guests through KCore: the command ran" "guest-cmd-ran: 42" 2
		check "$log" "the VMM's KVM_SET_ONE_REG of a vCPU that ran: EPERM" \
			"vmm: probe: KVM_SET_ONE_REG(pc) after the first run: Operation not permitted"
		check "$log" "the VMM's KVM_GET_ONE_REG of a vCPU that ran: EPERM" \
			"vmm: probe: KVM_GET_ONE_REG(pc) after the first run: Operation not permitted"
		# The host's ways into a running guest's page through the VMM's
		# own process (patch 0007): refused, or no guest data, no oops.
		check "$log" "/proc/pid/mem read of a running guest's page: EIO" \
			"vmm: probe: /proc/self/mem read of a guest page: Input/output error"
		check "$log" "/proc/pid/mem write of a running guest's page: EIO" \
			"vmm: probe: /proc/self/mem write of a guest page: Input/output error"
		check "$log" "process_vm_readv of a running guest's page: EFAULT" \
			"vmm: probe: process_vm_readv of a guest page: Bad address"
		check "$log" "write(2) from a running guest's page: EFAULT (no oops)" \
			"vmm: probe: write(2) from a guest page: Bad address"
		check "$log" "fork: the child's copy of a running guest's page holds no guest data" \
			"vmm: probe: fork: the child's copy of a guest page reads zero"
		check "$log" "a core dump of the VMM's memory written without the guest's pages, no oops" \
			"vmm: probe: core dump of the VMM's memory: dumped"
		check "$log" "linux guests through KCore: boot time measured" "vmm: mark 'guest-shell$' after" 2
		check "$log" "a tampered initramfs refused at KVM_RUN, the slots named" \
			"vmm: KVM_RUN: KCore refused the VM's images (slot 0: /guest/Image.signed, slot 1: /guest/initrd.tampered)"
		check "$log" "the VM with the tampered initramfs never ran" "host: vmm linux tampered exit 2"
		check "$log" "a guest reboot: the VMM starts the VM again" "vmm: guest reset: starting it again (boot 2)"
		check "$log" "a guest reboot: the second boot verified and ran" "guest-rebooted-ok"
		check "$log" "a guest reboot: powered off after it, vmm exit 0" "host: vmm linux reboot exit 0"
		cycles=${LINUX_TEST_CYCLES:-300}
		check "$log" "$cycles VMs one after another (VM ids and image window reused, D68)" \
			"vm-cycles: $cycles of $cycles VMs created, run to their SYSTEM_OFF and destroyed"
		check "$log" "after $cycles VMs every page KVM pinned released" "every page KVM pinned was released"
		check "$log" "vm-cycles: no check failed" "host: vm-cycles exit 0"
		check "$log" "powered off" "host: tests done"
		continue
	fi
	nvm=1
	[ "$tests" = all ] && nvm=2
	check "$log" "VMM uses the in-kernel vGICv$gic" "vCPU(s), vGICv$gic" $nvm
	if [ "$tests" = all ]; then
		check "$log" "error: bad image" "not an arm64 Linux Image"
		check "$log" "error: too little memory" "is too small"
		check "$log" "error: no /dev/kvm" "/dev/kvm: No such file or directory"
		check "$log" "bare: console" "bare: hello from the bare-metal guest"
		check "$log" "bare: HVC PSCI_VERSION" "bare: PSCI_VERSION 1."
		check "$log" "bare: MMIO exit to the VMM" "bare: MMIO PL011 PeriphID0 = 0x11"
		check "$log" "bare: fresh pages" "read back: ok"
		check "$log" "bare: measured" "bench: stage2_fault_page insns="
		check "$log" "bare: done" "bare: done"
	fi
	check "$log" "linux guest: its kernel booted (${guest_kernel#guest: })" "$guest_kernel"
	check "$log" "linux guest: both vCPUs up (PSCI CPU_ON)" " up, 2 cpu(s)"
	check "$log" "linux guest: shell reached" "guest-shell\$ echo"
	check "$log" "linux guest: boot time measured" "vmm: mark 'guest-shell$' after"
	check "$log" "linux guest: command ran" "guest-cmd-ran: 42"
	check "$log" "linux guest: command exit 0" "guest: command exit 0"
	check "$log" "guests powered off, vmm exit 0" "host: vmm exit 0" $nvm
	check "$log" "host finished" "host: tests done"
done
echo "linux-test: $pass passed, $fail failed"
[ $fail -eq 0 ]
