#!/usr/bin/env bash
# make bench: KCore's EL2 instruction counts (docs/bench.md). Boots KCore
# (build/el2/kcore-bench.elf) with the bench host (build/qemu/bench.elf) on QEMU
# virt under -icount shift=0 with one TCG thread, so that the PMU's
# INST_RETIRED count is exact, prints the table the host measured, then runs
# it again and checks that the second run prints the same figures.
# Usage: scripts/bench.sh [runs]   (default 2; 1 skips the comparison)
# Consoles: build/test-logs/bench-<n>.log.
set -u
cd "$(dirname "$0")/.."
QEMU=${QEMU:-qemu-system-aarch64}
GIC=${QEMU_GIC:-3}
runs=${1:-2}
log=build/test-logs
mkdir -p "$log"
for f in build/el2/kcore-bench.elf build/qemu/bench.elf; do
	[ -f "$f" ] || { echo "bench: missing $f (make bench builds it)"; exit 1; }
done

run_once() {
	timeout 60 "$QEMU" -M virt,virtualization=on,gic-version="$GIC",iommu=smmuv3 -cpu cortex-a72 \
		-accel tcg,thread=single -icount shift=0 -smp 1 -m 1G \
		-nographic -no-reboot -monitor none -serial stdio -display none \
		-kernel build/el2/kcore-bench.elf -device loader,file=build/qemu/bench.elf \
		</dev/null >"$1" 2>&1
}

for n in $(seq 1 "$runs"); do
	out="$log/bench-$n.log"
	if ! run_once "$out"; then
		echo "bench: run $n: QEMU failed or timed out (console: $out)"
		tail -n 20 "$out" | sed 's/^/  | /'
		exit 1
	fi
	if grep -q 'KCORE HALT\|\[FAIL\]' "$out" || ! grep -q '^bench: done' "$out"; then
		echo "bench: run $n failed (console: $out)"
		grep 'KCORE HALT\|\[FAIL\]\|^bench:' "$out" | tr -d '\r' | sed 's/^/  | /'
		exit 1
	fi
	tr -d '\r' <"$out" | sed -n 's/^bench: \(|.*\)$/\1/p' >"$log/bench-$n.table"
done

echo "KCore EL2 instructions per operation (QEMU $("$QEMU" --version | sed -n '1s/.*version //p'), virt, cortex-a72, -icount shift=0, PMU INST_RETIRED at EL2 only)"
cat "$log/bench-1.table"
if [ "$runs" -ge 2 ]; then
	for n in $(seq 2 "$runs"); do
		if ! cmp -s "$log/bench-1.table" "$log/bench-$n.table"; then
			echo "bench: run $n differs from run 1:"
			diff "$log/bench-1.table" "$log/bench-$n.table"
			exit 1
		fi
	done
	echo "bench: $runs runs, identical figures"
fi
