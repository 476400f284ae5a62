#!/usr/bin/env bash
# Crypto interop: our Ed25519 verifier against OpenSSL's signer, our signed
# image format end to end (scripts/sign-image -> ed25519-verify-cli image),
# scripts/keys-to-c, our AEAD against python3-cryptography
# (tests/crypto/aead-interop.py), SHA-512, HMAC and Ed25519 on random
# inputs against hashlib and python3-cryptography
# (tests/crypto/hash-sig-interop.py), and the constant-time check under
# memcheck (tests/crypto/ct-check.sh). Needs `make host` first.
# Prints PASS/FAIL lines and a last line "crypto interop: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
CLI=build/host/ed25519-verify-cli
LIB=build/host/libkcore_test.so
PY=/usr/bin/python3
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
expect() { # name wanted-rc command...
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>&1; rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else ko "$name (exit $rc, wanted $want): $(head -c 300 "$tmp/out")"; fi
}
for f in $CLI $LIB; do
	[ -e "$f" ] || { echo "FAIL $f missing (make host)"; echo "crypto interop: 0 passed, 1 failed"; exit 1; }
done
tmp=$(mktemp -d /tmp/kcore-interop.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# flip BYTE-OFFSET BIT FILE: xor one bit of a file in place.
flip() {
	local off=$1 bit=$2 f=$3 b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ (1 << bit))))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
rand_bit() { echo $((RANDOM % $1)) $((RANDOM % 8)); } # size -> "offset bit"

# ---- Ed25519: OpenSSL signs, we verify --------------------------------------
for k in 1 2; do
	openssl genpkey -algorithm ed25519 -out "$tmp/k$k.pem" 2>/dev/null
	openssl pkey -in "$tmp/k$k.pem" -pubout -outform DER | tail -c 32 >"$tmp/k$k.raw"
done
for len in 0 1 63 64 1000 1048576; do
	for k in 1 2; do
		m=$tmp/m$len-$k
		head -c "$len" /dev/urandom >"$m"
		if [ "$len" -gt 0 ]; then
			openssl pkeyutl -sign -rawin -inkey "$tmp/k$k.pem" -in "$m" -out "$m.sig"
		else
			# The openssl 3.0 tool refuses empty input ("Could not allocate 0
			# bytes for oneshot sign/verify buffer"): the same library signs
			# it through python3-cryptography.
			$PY -c 'import sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
k = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
open(sys.argv[2], "wb").write(k.sign(b""))' "$tmp/k$k.pem" "$m.sig"
		fi
		expect "ed25519: OpenSSL signature, key $k, $len-byte message, accepted" 0 $CLI sig "$tmp/k$k.raw" "$m.sig" "$m"
		cp "$m.sig" "$m.bad"
		flip $(rand_bit 64) "$m.bad"
		expect "ed25519: same, one signature bit flipped, refused" 1 $CLI sig "$tmp/k$k.raw" "$m.bad" "$m"
		if [ "$len" -gt 0 ]; then
			cp "$m" "$m.badmsg"
			flip $(rand_bit "$len") "$m.badmsg"
			expect "ed25519: same, one message bit flipped, refused" 1 $CLI sig "$tmp/k$k.raw" "$m.sig" "$m.badmsg"
		fi
		other=$((3 - k))
		expect "ed25519: same, the other key, refused" 1 $CLI sig "$tmp/k$other.raw" "$m.sig" "$m"
	done
done

# ---- signed images: scripts/sign-image, checked as KCore checks them ---------
ADDR=0x40080000
head -c 70000 /dev/urandom >"$tmp/payload.bin"
expect "sign-image: signs" 0 scripts/sign-image --key "$tmp/k1.pem" --load-addr $ADDR "$tmp/payload.bin" "$tmp/img"
size=$(stat -c %s "$tmp/img")
[ "$size" -eq $((70000 + 128)) ] && ok "sign-image: file is payload + 128 bytes" || ko "sign-image: file is $size bytes"
cmp -s -n 70000 "$tmp/payload.bin" "$tmp/img" && ok "sign-image: payload unchanged" || ko "sign-image: payload changed"
expect "image: verifies at its load address" 0 $CLI image --load-addr $ADDR "$tmp/img" "$tmp/k2.raw" "$tmp/k1.raw"
expect "image: refused at another load address" 1 $CLI image --load-addr 0x40081000 "$tmp/img" "$tmp/k1.raw"
expect "image: refused without its key" 1 $CLI image "$tmp/img" "$tmp/k2.raw"
# one bit flipped in each byte of the trailer's first 64, in the signature,
# and in the payload: each refused
offsets="$(seq -s ' ' 70000 70063) $(seq -s ' ' 70064 8 70127) 0 1 4095 4096 $((RANDOM % 70000)) 69999"
# one process writes every flipped copy (img.OFFSET), then each is checked
$PY -c 'import random, sys
src = open(sys.argv[1], "rb").read()
for off in map(int, sys.argv[2:]):
    b = bytearray(src)
    b[off] ^= 1 << random.randrange(8)
    open("%s.%d" % (sys.argv[1], off), "wb").write(b)' "$tmp/img" $offsets
n=0 bad=0
for off in $offsets; do
	n=$((n + 1))
	$CLI image --load-addr $ADDR "$tmp/img.$off" "$tmp/k1.raw" >/dev/null 2>&1
	[ $? -eq 1 ] || { bad=$((bad + 1)); echo "  not refused: bit flipped at byte $off"; }
done
[ $bad -eq 0 ] && ok "image: $n single-bit flips (trailer header, signature, payload) refused" ||
	ko "image: $bad of $n bit flips accepted"
head -c 70127 "$tmp/img" >"$tmp/img.short"
expect "image: truncated by one byte, refused" 1 $CLI image "$tmp/img.short" "$tmp/k1.raw"
: >"$tmp/empty.bin"
expect "sign-image: an empty payload" 0 scripts/sign-image --key "$tmp/k2.pem" --load-addr 0x80000000 "$tmp/empty.bin" "$tmp/img0"
expect "image: the empty payload verifies" 0 $CLI image --load-addr 0x80000000 "$tmp/img0" "$tmp/k1.raw" "$tmp/k2.raw"
expect "sign-image: missing key refused" 1 scripts/sign-image --key "$tmp/nokey.pem" --load-addr $ADDR "$tmp/payload.bin" "$tmp/x"
expect "sign-image: bad address refused" 1 scripts/sign-image --key "$tmp/k1.pem" --load-addr 0x4008zz "$tmp/payload.bin" "$tmp/x"
expect "sign-image: unaligned address refused" 1 scripts/sign-image --key "$tmp/k1.pem" --load-addr 0x40080010 "$tmp/payload.bin" "$tmp/x"
expect "sign-image: unreadable input refused" 1 scripts/sign-image --key "$tmp/k1.pem" --load-addr $ADDR "$tmp/none.bin" "$tmp/x"
openssl pkey -in "$tmp/k1.pem" -pubout -out "$tmp/k1.pub.pem"
expect "sign-image: a public key is not a signing key" 1 scripts/sign-image --key "$tmp/k1.pub.pem" --load-addr $ADDR "$tmp/payload.bin" "$tmp/x"
[ ! -e "$tmp/x" ] && ok "sign-image: no output after an error" || ko "sign-image: wrote output after an error"

# ---- scripts/keys-to-c --------------------------------------------------------
openssl pkey -in "$tmp/k2.pem" -pubout >>"$tmp/keys.pem"
cat "$tmp/k1.pub.pem" >>"$tmp/keys.pem"
expect "keys-to-c: two keys" 0 scripts/keys-to-c "$tmp/keys.pem" "$tmp/keys.c"
cat >"$tmp/keys-main.c" <<'EOC'
#include <stdio.h>
#include "crypto/image_keys.h"
#include "crypto/sha512.h"
/* prints each key's raw bytes; checks each id against SHA-512 of the key */
int main(void)
{
	for (u32 i = 0; i < image_keys_count; i++) {
		u8 h[64];
		sha512(image_keys[i].pk, 32, h);
		for (int j = 0; j < 8; j++)
			if (h[j] != image_keys[i].id[j])
				return 1;
		fwrite(image_keys[i].pk, 1, 32, stdout);
	}
	return 0;
}
EOC
if gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$tmp/keys.c" "$tmp/keys-main.c" build/host/libkcore.a -o "$tmp/keys-main" 2>"$tmp/out" &&
	"$tmp/keys-main" >"$tmp/keys.raw" && cat "$tmp/k2.raw" "$tmp/k1.raw" | cmp -s - "$tmp/keys.raw"; then
	ok "keys-to-c: the table compiles and holds both raw keys with their ids, in order"
else
	ko "keys-to-c: table wrong: $(head -c 300 "$tmp/out")"
fi
expect "keys-to-c: a private key file refused" 1 scripts/keys-to-c "$tmp/k1.pem" "$tmp/y.c"
openssl genpkey -algorithm ed448 -out "$tmp/e448.pem" 2>/dev/null && openssl pkey -in "$tmp/e448.pem" -pubout -out "$tmp/e448.pub.pem"
expect "keys-to-c: an Ed448 key refused" 1 scripts/keys-to-c "$tmp/e448.pub.pem" "$tmp/y.c"
cat "$tmp/k1.pub.pem" "$tmp/k1.pub.pem" >"$tmp/dup.pem"
expect "keys-to-c: the same key twice refused" 1 scripts/keys-to-c "$tmp/dup.pem" "$tmp/y.c"

# ---- AEAD: ours against python3-cryptography ------------------------------------
line=$($PY tests/crypto/aead-interop.py --lib "$LIB" 2>&1 | tee "$tmp/aead.log" | tail -n 1)
grep '^FAIL' "$tmp/aead.log" | head -n 10
if echo "$line" | grep -qE ' [0-9]+ passed, 0 failed'; then ok "aead vs python3-cryptography: $line"; else ko "aead vs python3-cryptography: $line"; fi

# ---- SHA-512, HMAC, Ed25519: ours against hashlib, hmac, python3-cryptography --------
line=$($PY tests/crypto/hash-sig-interop.py --lib "$LIB" 2>&1 | tee "$tmp/hs.log" | tail -n 1)
grep '^FAIL' "$tmp/hs.log" | head -n 10
if echo "$line" | grep -qE ' [0-9]+ passed, 0 failed'; then ok "sha512/hmac/ed25519 vs hashlib and python3-cryptography: $line"; else ko "sha512/hmac/ed25519 vs hashlib and python3-cryptography: $line"; fi

# ---- constant time: memcheck with the secrets marked undefined ----------------
if [ -x build/host/ct-check ] && command -v valgrind >/dev/null; then
	tests/crypto/ct-check.sh >"$tmp/ct.log" 2>&1
	grep -E '^(PASS|FAIL|  )' "$tmp/ct.log"
	pass=$((pass + $(grep -c '^PASS' "$tmp/ct.log"))); fail=$((fail + $(grep -c '^FAIL' "$tmp/ct.log")))
	grep -q '^ct check: [0-9]* passed' "$tmp/ct.log" || ko "constant-time check did not run"
else
	ko "constant-time check: needs valgrind (scripts/deps.sh) and build/host/ct-check"
fi

echo "crypto interop: $pass passed, $fail failed"
[ $fail -eq 0 ]
