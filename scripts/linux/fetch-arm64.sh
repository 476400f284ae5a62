#!/usr/bin/env bash
# Fetch an arm64 Debian package's files without installing it:
#   scripts/linux/fetch-arm64.sh PACKAGE DESTDIR
# (apt-get download PACKAGE:arm64, then dpkg-deb -x into DESTDIR). Quick
# when DESTDIR already holds it. Used for busybox-static (the initramfs).
set -euo pipefail
pkg=$1
dest=$2
[ -f "$dest/.fetched" ] && exit 0
"$(dirname "$0")/deps.sh" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 777 "$tmp" # apt's _apt user writes the download there
( cd "$tmp" && apt-get download -q "$pkg:arm64" >/dev/null 2>&1 ) \
	|| { apt-get update -qq && ( cd "$tmp" && apt-get download -q "$pkg:arm64" >/dev/null ); }
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$tmp"/*.deb "$dest"
touch "$dest/.fetched"
echo "fetch-arm64: $pkg -> $dest"
