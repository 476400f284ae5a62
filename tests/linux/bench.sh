#!/usr/bin/env bash
# make linux-bench: the stock-KVM (nVHE) and pKVM baselines KCore will be
# measured against. Boots the same host kernel under QEMU with -icount
# shift=0,sleep=off and -accel tcg,thread=single (deterministic: one
# instruction = 1 ns of virtual time, idle time skipped at once), runs the
# bare-metal guest (its "bench:" lines: instructions per operation measured
# with CNTVCT_EL0, 62.5 MHz = 16 instructions a tick, over 2000 repetitions)
# and the Linux guest (the VMM's counter ticks from vCPU start to the guest's
# shell prompt; the test bed's Image and Debian's), and prints one table. -seed 1 (QEMU's guest RNG, RNDR and
# the device tree's seeds) and norandmaps (no ASLR in the host's user space)
# take out the last randomness: the table is the same on every run.
# The counts are of the whole emulated machine (guest, host kernel, EL2, VMM,
# the other host CPU), the loops' own instructions subtracted.
#   tests/linux/bench.sh            (needs make linux-initramfs)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=build/linux
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${LINUX_BENCH_TIMEOUT:-1200}
for f in "$OUT/Image" "$OUT/host-initrd.cpio" "$OUT/host-initrd-debian.cpio"; do
	[ -f "$f" ] || { echo "linux-bench: $f missing (make linux-initramfs)" >&2; exit 1; }
done

declare -A val
boot() { # boot MODE INITRD TEST LOG: the host under icount, fails the bench if QEMU does
	timeout "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on \
		-smp 2 -m 2G -nographic -no-reboot -accel tcg,thread=single -icount shift=0,sleep=off -seed 1 \
		-kernel "$OUT/Image" -initrd "$OUT/$2" \
		-append "console=ttyAMA0 kvm-arm.mode=$1 kcore.test=$3 norandmaps panic=-1" \
		< /dev/null > "$4" 2>&1
	local rc=$?
	tr -d '\r' < "$4" > "$4.tmp" && mv "$4.tmp" "$4"
	[ $rc -eq 0 ] || { echo "linux-bench: QEMU exit $rc ($1), see $4" >&2; exit 1; }
}
boot_mark() { # boot_mark LOG: the VMM's ticks to the guest's shell, in instructions
	local t
	t=$(sed -n "s/^vmm: mark 'guest-shell\\\$' after \([0-9]*\) counter ticks.*/\1/p" "$1" | head -1)
	[ -n "$t" ] || { echo "linux-bench: no Linux guest boot mark in $1" >&2; exit 1; }
	echo $((t * 16))
}
for mode in nvhe protected; do
	log=$OUT/bench-$mode.log
	echo "linux-bench: kvm-arm.mode=$mode (log: $log)" >&2
	boot "$mode" host-initrd.cpio bench "$log"
	for op in hvc_psci_version mmio_exit_vmm stage2_fault_page; do
		v=$(sed -n "s/^bench: $op insns=\([0-9]*\).*/\1/p" "$log" | head -1)
		[ -n "$v" ] || { echo "linux-bench: no '$op' figure in $log" >&2; exit 1; }
		val[$mode,$op]=$v
	done
	val[$mode,boot]=$(boot_mark "$log") || exit 1
	log=$OUT/bench-$mode-debian.log
	echo "linux-bench: kvm-arm.mode=$mode, Debian's kernel as the guest (log: $log)" >&2
	boot "$mode" host-initrd-debian.cpio linux "$log"
	val[$mode,boot_debian]=$(boot_mark "$log") || exit 1
done

kver=$(grep -o 'Linux version [^ ]*' "$OUT/bench-nvhe.log" | head -1 | cut -d' ' -f3)
printf 'Linux test bed baseline: instructions (QEMU %s TCG, -icount shift=0; host Linux %s, 2 CPUs)\n' \
	"$("$QEMU" --version | head -1 | awk '{print $4}')" "$kver"
printf '%-50s %16s %16s\n' "operation (guest-side, per operation)" "stock KVM nVHE" "pKVM"
row() { printf '%-50s %16s %16s\n' "$1" "${val[nvhe,$2]}" "${val[protected,$2]}"; }
row "HVC PSCI_VERSION round trip (host kernel)" hvc_psci_version
row "MMIO exit to the VMM and back" mmio_exit_vmm
row "first touch of a guest page (stage-2 fault)" stage2_fault_page
row "Linux guest boot to its shell (the 6.1 Image)" boot
row "Linux guest boot to its shell (Debian's kernel)" boot_debian
