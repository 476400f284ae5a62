#!/usr/bin/env bash
# Apply each patch in tests/mutants/ to a scratch copy of the tree, build it,
# and run the tests that must catch it: the differential test (with its
# invariant and TLB checkers) and the unit tests. A mutant is "caught" if
# the unit tests or the differential test fail on it (a unit-test catch is
# enough: some protections, e.g. cache maintenance, which the model does not
# see, are checked only by the unit tests over the fake arch's records),
# "MISSED" if both pass, "BROKEN" if the patch does not apply or the tree
# does not build. The unmutated tree must pass the same run first, or
# nothing here means much.
set -u
cd "$(dirname "$0")/.."
steps=${MUTANT_STEPS:-20000}
jobs=${MUTANT_JOBS:-2}

one() { # name scratch-dir
	local name=$1 d=$2/$1 why=""
	mkdir -p "$d"
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$d"
	if [ "$name" != base ] && ! patch -s -d "$d" -p1 <"tests/mutants/$name.patch" >/dev/null 2>&1; then
		echo "BROKEN $name: patch does not apply"; return
	fi
	if ! make -s -C "$d" host >"$d/build.log" 2>&1; then
		echo "BROKEN $name: does not build: $(grep -m1 error "$d/build.log")"; return
	fi
	make -s -C "$d" unit >"$d/unit.log" 2>&1 || why="unit tests: $(grep -m1 -E 'CHECK|FAIL|crashed' "$d/unit.log")"
	if [ "$name" != base ] && [ -n "$why" ]; then
		echo "caught $name: $why"; rm -rf "$d"; return
	fi
	if (cd "$d" && /usr/bin/python3 tests/model/driver.py --lib build/host/libkcore_test.so \
		--steps "$steps" --fresh-seed 2 --no-shrink >"$d/model.log" 2>&1); then
		if [ "$name" = base ]; then echo "baseline ok${why:+ BUT $why}"; else echo "MISSED $name"; fi
	else
		local f
		f=$(grep -m1 'FAILURE' "$d/model.log" | cut -c1-200)
		if [ "$name" = base ]; then echo "BROKEN baseline: $f"; else echo "caught $name: differential: $f"; fi
	fi
	rm -rf "$d"
}

# The EL2 mutants (tests/mutants-el2/): each disables a protection of the
# EL2 image or of the core as the QEMU scenarios exercise it; built as the
# EL2 image and test hosts, it is "caught" if tests/qemu/run.sh fails on it.
one_el2() { # name scratch-dir
	local name=$1 d=$2/el2-$1 out
	mkdir -p "$d"
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$d"
	if [ "$name" != base ] && ! patch -s -d "$d" -p1 <"tests/mutants-el2/$name.patch" >/dev/null 2>&1; then
		echo "BROKEN el2/$name: patch does not apply"; return
	fi
	if ! make -s -C "$d" qemu-images >"$d/build.log" 2>&1; then
		echo "BROKEN el2/$name: does not build: $(grep -m1 error "$d/build.log")"; return
	fi
	# The GICv3 scenarios, then (if they all pass) the GICv2 ones: some
	# protections (GICH, D44/D59) exist only on a GICv2.
	if out=$(cd "$d" && QEMU_TIMEOUT=${MUTANT_QEMU_TIMEOUT:-25} tests/qemu/run.sh 2>&1 &&
		QEMU_GIC=2 QEMU_TIMEOUT=${MUTANT_QEMU_TIMEOUT:-25} tests/qemu/run.sh $GICV2_SCENARIOS 2>&1); then
		if [ "$name" = base ]; then echo "baseline el2 ok"; else echo "MISSED el2/$name"; fi
	else
		local f
		f=$(echo "$out" | grep -m1 '^FAIL' | cut -c1-160)
		if [ "$name" = base ]; then echo "BROKEN el2 baseline: $f"; else echo "caught el2/$name: $f"; fi
	fi
	rm -rf "$d"
}

# The scenarios that also run on a GICv2 (scripts/test.sh runs the same list).
GICV2_SCENARIOS="vm two-vms smp images export dma devices pmu reset vmid-reuse"
if [ "${1:-}" = --one ]; then one "$2" "$3"; exit 0; fi
if [ "${1:-}" = --one-el2 ]; then one_el2 "$2" "$3"; exit 0; fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
base=$(one base "$scratch")
echo "$base"
case "$base" in "baseline ok") ;; *) exit 1 ;; esac
ls tests/mutants/*.patch | xargs -n1 basename | sed 's/\.patch$//' |
	xargs -P "$jobs" -I{} "$0" --one {} "$scratch"
if [ -d tests/mutants-el2 ]; then
	base=$(one_el2 base "$scratch")
	echo "$base"
	case "$base" in "baseline el2 ok") ;; *) exit 1 ;; esac
	ls tests/mutants-el2/*.patch | xargs -n1 basename | sed 's/\.patch$//' |
		xargs -P "$jobs" -I{} "$0" --one-el2 {} "$scratch"
fi
