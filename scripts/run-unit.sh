#!/usr/bin/env bash
# Run the unit-test binaries; print each one's "N passed, M failed" line and
# a total on the last line. Exit 1 if any failed.
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 20
		echo "$t: crashed (exit $rc)"; fail=$((fail + 1)); continue
	fi
	[ $rc -eq 0 ] || printf '%s\n' "$out" | grep -v ' passed, ' | tail -n 20
	echo "$line"
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
	pass=$((pass + p)); fail=$((fail + f))
	[ $rc -eq 0 ] || [ "$f" -gt 0 ] || fail=$((fail + 1))
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
