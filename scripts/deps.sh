#!/usr/bin/env bash
# Install what `make test` needs on a fresh Debian 12 machine. Idempotent and
# quick when everything is present: apt-get runs only for what is missing.
set -euo pipefail
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)
have_cmd clang || need+=(clang)
have_cmd cppcheck || need+=(cppcheck)
have_cmd clang-tidy || need+=(clang-tidy)
have_cmd make || need+=(make)
have_cmd qemu-system-aarch64 || need+=(qemu-system-arm)
have_cmd gcc || need+=(gcc)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
/usr/bin/python3 -c 'import hypothesis' 2>/dev/null || need+=(python3-hypothesis)
# crypto: image signing (scripts/sign-image) and the interop tests (tests/crypto)
have_cmd openssl || need+=(openssl)
have_cmd valgrind || need+=(valgrind) # the constant-time check (tests/crypto/ct-check.sh)
/usr/bin/python3 -c 'from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305' 2>/dev/null ||
	need+=(python3-cryptography)
if [ ${#need[@]} -gt 0 ]; then
	echo "deps: installing ${need[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Linux test bed (make test boots it): kernel build tools, the 6.1 source.
"$(dirname "$0")/linux/deps.sh"
echo "deps: ok"
