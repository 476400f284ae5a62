#!/usr/bin/env bash
# Install what the Linux test bed (scripts/linux/build, make linux-test,
# make linux-bench) needs on a fresh Debian 12 machine. Idempotent and quick
# when everything is present: apt-get runs only for what is missing. The
# arm64 packages (busybox-static, the guest kernel) are fetched with
# `apt-get download` by scripts/linux/fetch-arm64.sh, not installed.
set -euo pipefail
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
have_cmd aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)
have_cmd qemu-system-aarch64 || need+=(qemu-system-arm)
have_cmd make || need+=(make)
have_cmd gcc || need+=(gcc)
have_cmd flex || need+=(flex)
have_cmd bison || need+=(bison)
have_cmd bc || need+=(bc)
have_cmd cpio || need+=(cpio)
have_cmd xz || need+=(xz-utils)
have_cmd perl || need+=(perl)
have_cmd patch || need+=(patch)
have_pkg libssl-dev || need+=(libssl-dev)
have_pkg linux-source-6.1 || need+=(linux-source-6.1)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ ${#need[@]} -gt 0 ]; then
	echo "linux-deps: installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# arm64 as a foreign architecture, for `apt-get download pkg:arm64`.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "linux-deps: adding the arm64 architecture"
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq
fi
echo "linux-deps: ok"
