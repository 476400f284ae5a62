#!/usr/bin/env bash
# Apply each patch in tests/mutants/ to a scratch copy of the tree, build it,
# and run the tests that must catch it: the unit tests and a differential
# run. A mutant is "caught" if they fail, "MISSED" if they pass, "BROKEN" if
# the patch no longer applies or the tree does not build without it.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
steps=${MUTANT_STEPS:-60000}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The tests must pass on the tree as it is, or no mutant result means anything.
base="$scratch/base"
mkdir -p "$base"
tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$base"
if ! make -s -C "$base" host >/dev/null 2>&1 || ! make -s -C "$base" unit >/dev/null 2>&1 ||
	! (cd "$base" && /usr/bin/python3 tests/model/driver.py --lib build/host/libkcore_test.so \
		--steps "$steps" --fresh-seed 2 >"$base/model.log" 2>&1); then
	echo "BROKEN baseline: the unmutated tree fails the mutant tests"; tail -n 5 "$base/model.log"
	exit 1
fi
for m in tests/mutants/*.patch; do
	name=$(basename "$m" .patch)
	d="$scratch/$name"
	mkdir -p "$d"
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$d"
	if ! patch -s -d "$d" -p1 <"$m" >/dev/null 2>&1; then
		echo "BROKEN $name: patch does not apply"; continue
	fi
	if ! make -s -C "$d" host >"$d/build.log" 2>&1; then
		echo "BROKEN $name: does not build"; tail -n 5 "$d/build.log"; continue
	fi
	why=""
	if ! make -s -C "$d" unit >"$d/unit.log" 2>&1; then
		why="unit tests: $(grep -m1 -E 'CHECK|FAIL' "$d/unit.log")"
	fi
	if (cd "$d" && /usr/bin/python3 tests/model/driver.py --lib build/host/libkcore_test.so \
		--steps "$steps" --fresh-seed 2 >"$d/model.log" 2>&1); then :; else
		why="$why${why:+; }differential: $(grep -m1 'FAILURE' "$d/model.log")"
	fi
	if [ -n "$why" ]; then echo "caught $name: $why"; else echo "MISSED $name"; fi
done
