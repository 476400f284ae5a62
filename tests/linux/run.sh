#!/usr/bin/env bash
# The Linux test bed's test (make linux-test): boots Debian's Linux 6.1
# (scripts/linux/build) as an arm64 KVM host in QEMU, once with stock KVM
# (kvm-arm.mode=nvhe) and once with pKVM (kvm-arm.mode=protected) on a GICv3
# virt board, then with stock KVM on a GICv2 board (the VMM's vGICv2), then
# with Debian's own arm64 kernel as the Linux guest (mode debian), and in
# each checks that KVM initialised in that mode, that the VMM's errors are
# clear, that the bare-metal guest and the Linux guest print what they
# should, and that everything powers off in time.
#   tests/linux/run.sh [nvhe|protected|gicv2|debian ...]     (default: all four)
# Needs build/linux/Image and build/linux/host-initrd.cpio (make linux-initramfs).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=build/linux
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${LINUX_TEST_TIMEOUT:-900}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(nvhe protected gicv2 debian)
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
	*) echo "linux-test: unknown mode '$mode' (nvhe, protected, gicv2, debian)" >&2; exit 2 ;;
	esac
	case "$kmode" in
	nvhe) kvm_line='kvm [1]: Hyp mode initialized successfully' ;;
	protected) kvm_line='kvm [1]: Protected nVHE mode initialized successfully' ;;
	esac
	log=$OUT/test-$mode.log
	echo "linux-test: $mode: kvm-arm.mode=$kmode, GICv$gic (log: $log)"
	start=$(date +%s)
	timeout "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version=$gic -cpu max,pauth-impdef=on \
		-smp 2 -m 2G -nographic -no-reboot -kernel "$OUT/Image" -initrd "$OUT/$initrd" \
		-append "console=ttyAMA0 kvm-arm.mode=$kmode kcore.test=$tests panic=-1" \
		< /dev/null > "$log" 2>&1
	rc=$?
	tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
	echo "linux-test: QEMU exit $rc after $(( $(date +%s) - start )) s"
	if [ $rc -eq 124 ]; then
		fail=$((fail + 1)); echo "  FAIL timed out after $TIMEOUT s"; tail -5 "$log"
	fi
	nvm=1
	[ "$tests" = all ] && nvm=2
	check "$log" "KVM initialised ($kmode)" "$kvm_line"
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
