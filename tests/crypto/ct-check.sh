#!/usr/bin/env bash
# Runs build/host/ct-check (tests/crypto/ct-check.c) under memcheck, once per
# primitive: no secret-dependent branch or address anywhere, except the one
# branch of aead_open on the (public) verdict. Prints PASS/FAIL lines and
# "ct check: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
CT=build/host/ct-check
pass=0 fail=0
tmp=$(mktemp -d /tmp/kcore-ct.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for mode in seal chacha poly hmac memeq open; do
	valgrind --tool=memcheck --track-origins=no "$CT" $mode >"$tmp/out" 2>&1; rc=$?
	ctx=$(sed -nE 's/.*ERROR SUMMARY: [0-9]+ errors from ([0-9]+) contexts.*/\1/p' "$tmp/out")
	want=0
	[ $mode = open ] && want=1
	ok=1
	[ $rc -eq 0 ] && [ "${ctx:-x}" = $want ] || ok=0
	if [ $mode = open ] && [ $ok = 1 ]; then
		# the one report: a conditional jump, in aead_open itself (not below it)
		grep -q 'Conditional jump or move depends on uninitialised value' "$tmp/out" &&
			grep -A1 'Conditional jump' "$tmp/out" | grep -q 'aead_open (aead.c' || ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1)); echo "PASS constant time: $mode ($ctx secret-dependent branch or address; $want allowed)"
	else
		fail=$((fail + 1)); echo "FAIL constant time: $mode (exit $rc, ${ctx:-?} contexts, $want allowed)"
		grep -E '^==[0-9]+== +(at|by|Conditional|Use of)' "$tmp/out" | head -n 12 | sed 's/^/  /'
	fi
done
echo "ct check: $pass passed, $fail failed"
[ $fail -eq 0 ]
