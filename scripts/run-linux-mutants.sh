#!/usr/bin/env bash
# The Linux-mode mutants (tests/mutants-linux/): each removes a protection
# of KCore's Linux home. For each: this tree's sources (git ls-files, as
# they are in the work tree) copied to a scratch directory, the mutant
# applied, make linux-kcore there (with this tree's keys), that object
# linked into build/linux's kernel (scripts/linux/build: a relink), and
# tests/linux/run.sh kcore run; the mutant is caught when a check fails.
# Then the real object is linked back. Needs make linux-initramfs first.
# Prints "caught NAME" / "MISSED NAME" / "BROKEN NAME" and a summary.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
caught=0 missed=0
for p in tests/mutants-linux/*.patch; do
	name=$(basename "$p" .patch)
	d=$scratch/$name
	mkdir -p "$d"
	git ls-files -z | xargs -0 cp --parents -t "$d"
	mkdir -p "$d/build" && cp -r build/keys "$d/build/"
	if ! patch -s -d "$d" -p1 < "$p" > /dev/null 2>&1 || ! make -s -C "$d" linux-kcore > "$d.log" 2>&1 \
		|| ! KCORE_OBJ=$d/build/linux-kcore/kcore-hyp.o scripts/linux/build >> "$d.log" 2>&1; then
		echo "BROKEN $name"; tail -5 "$d.log"; missed=$((missed + 1)); continue
	fi
	# A mutant may hang EL2: a normal kcore boot takes seconds, so 180 s is plenty.
	if LINUX_TEST_TIMEOUT=180 tests/linux/run.sh kcore > "$d.run" 2>&1; then
		echo "MISSED $name: linux-test kcore still passes"; missed=$((missed + 1))
	else
		echo "caught $name: $(grep -m3 '  FAIL' "$d.run" | sed 's/^  FAIL //' | paste -sd';')"
		caught=$((caught + 1))
	fi
done
# The real object back in the kernel.
scripts/linux/build > "$scratch/restore.log" 2>&1 || { echo "BROKEN restore: scripts/linux/build"; tail -5 "$scratch/restore.log"; missed=$((missed + 1)); }
echo "linux-mutants: $caught passed, $missed failed"
[ $missed -eq 0 ]
