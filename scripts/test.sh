#!/usr/bin/env bash
# `make test`: every test tier of this tree, then one line "N passed, N failed".
# Counted: each unit test, each model test, the differential run, the fuzz
# smoke run, each mutant (passes when the tests catch it), and the builds.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
PY=/usr/bin/python3
pass=0 fail=0
log=build/test-logs
mkdir -p "$log"
t0=$(date +%s)

count() { # name rc
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
add_counts() { # line with "N passed, M failed"
	local p f
	p=$(echo "$1" | sed -nE 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/p')
	f=$(echo "$1" | sed -nE 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/p')
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
}

echo "== build (aarch64 EL2 objects, -Werror; host library)"
$MAKE -s el2 >"$log/build-el2.log" 2>&1; rc=$?; [ $rc -eq 0 ] || tail -n 30 "$log/build-el2.log"; count "build el2" $rc
$MAKE -s host >"$log/build-host.log" 2>&1; rc=$?; [ $rc -eq 0 ] || tail -n 30 "$log/build-host.log"; count "build host" $rc
if [ $rc -ne 0 ]; then echo "$pass passed, $((fail + 1)) failed"; exit 1; fi

echo "== static analysis (make check: cppcheck, clang-tidy)"
scripts/check.sh >"$log/check.log" 2>&1; rc=$?; [ $rc -eq 0 ] || tail -n 20 "$log/check.log"; count "static analysis" $rc

echo "== spec map (every HighSpecs definition -> C -> model)"
$PY scripts/spec-map.py --check | sed 's/^/  /'; count "spec map" "${PIPESTATUS[0]}"

echo "== unit tests"
line=$($MAKE -s unit 2>&1 | tee "$log/unit.log" | tail -n 1)
grep -E 'passed|FAIL|CHECK' "$log/unit.log" | grep -v '^unit:' | sed 's/^/  /'
if echo "$line" | grep -q 'passed'; then add_counts "$line"; else count "unit (did not run)" 1; fi

echo "== model tests (pytest)"
$PY -m pytest -q -p no:cacheprovider tests/model >"$log/pytest.log" 2>&1; rc=$?
line=$(tail -n 1 "$log/pytest.log")
echo "  $line"
p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); f=$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' | awk '{s += $1} END {if (s) print s}')
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
[ $rc -eq 0 ] || [ -n "$f" ] || { tail -n 30 "$log/pytest.log"; fail=$((fail + 1)); }

echo "== differential test: model vs C (${STEPS:-1000000} steps)"
$MAKE -s model STEPS="${STEPS:-1000000}" 2>&1 | tee "$log/model.log" | sed 's/^/  /'
count "differential" "${PIPESTATUS[0]}"

echo "== fuzz smoke run"
$MAKE -s fuzz-smoke >"$log/fuzz.log" 2>&1; rc=$?
grep '^fuzz:' "$log/fuzz.log" | sed 's/^/  /'; [ $rc -eq 0 ] || tail -n 30 "$log/fuzz.log"
count "fuzz smoke" $rc

echo "== mutants (each must be caught)"
scripts/run-mutants.sh >"$log/mutants.log" 2>&1
grep -E '^(caught|MISSED|BROKEN)' "$log/mutants.log" | sed 's/^/  /'
c=$(grep -c '^caught' "$log/mutants.log"); m=$(grep -cE '^(MISSED|BROKEN)' "$log/mutants.log")
pass=$((pass + c)); fail=$((fail + m))
[ "$c" -ge 8 ] || { echo "  fewer than 8 mutants caught"; fail=$((fail + 1)); }

echo "== total time $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
