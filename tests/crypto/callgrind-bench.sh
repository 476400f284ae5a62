#!/usr/bin/env bash
# Host-side cost of the crypto primitives in instructions, counted by
# callgrind (deterministic): ed25519_verify of a 1-byte and a 1 MB message
# (fixed cost and cost per byte), aead_seal of 0 and 4096 bytes. x86-64,
# gcc -O2 (the host build); the EL2 figures come from `make bench`.
# Needs `make host` and valgrind. Not part of make test; docs/bench.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=build/host/crypto-bench
tmp=$(mktemp -d /tmp/kcore-cgbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

count() { # function args... -> instructions inside that function (inclusive)
	local fn=$1
	shift
	valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$tmp/cg.out" \
		"$BENCH" "$@" >/dev/null 2>&1 || { echo "callgrind-bench: $BENCH $* failed" >&2; exit 1; }
	sed -nE 's/^(summary|totals): ([0-9]+).*/\2/p' "$tmp/cg.out" | tail -n 1
}

# A fixed key (RFC 8032 TEST 1's secret, as PKCS#8) and fixed messages
# (zeros): the scalars, hence the counts, are the same on every run.
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
	302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 |
	openssl pkey -inform DER -out "$tmp/k.pem"
openssl pkey -in "$tmp/k.pem" -pubout -outform DER | tail -c 32 >"$tmp/k.raw"
big=1048576
for len in 1 $big; do
	head -c $len /dev/zero >"$tmp/m$len"
	openssl pkeyutl -sign -rawin -inkey "$tmp/k.pem" -in "$tmp/m$len" -out "$tmp/m$len.sig"
done
v1=$(count ed25519_verify verify "$tmp/k.raw" "$tmp/m1.sig" "$tmp/m1")
vbig=$(count ed25519_verify verify "$tmp/k.raw" "$tmp/m$big.sig" "$tmp/m$big")
s0=$(count aead_seal seal 0)
s4k=$(count aead_seal seal 4096)
awk -v v1="$v1" -v vb="$vbig" -v big=$big -v s0="$s0" -v s4k="$s4k" 'BEGIN {
	printf "ed25519_verify, 1-byte message:  %d instructions (fixed cost)\n", v1
	printf "ed25519_verify, 1 MB message:    %d instructions\n", vb
	printf "  per message byte:              %.2f instructions\n", (vb - v1) / (big - 1)
	printf "aead_seal, 0 bytes (16 B AD):    %d instructions (fixed cost)\n", s0
	printf "aead_seal, 4096 bytes (16 B AD): %d instructions\n", s4k
	printf "  per byte:                      %.2f instructions\n", (s4k - s0) / 4096
}'
