#!/usr/bin/env bash
# Fetch Debian's arm64 kernel for the Linux guest, without installing it:
#   scripts/linux/fetch-debian-kernel.sh DEST     -> DEST (a raw arm64 Image)
# The package is the one linux-image-arm64:arm64 depends on now, unsigned
# (linux-image-6.1.0-N-arm64-unsigned); its /boot/vmlinuz-* is a raw,
# uncompressed Image (about 33 MB), extracted alone from the .deb. Quick when
# DEST exists.
set -euo pipefail
dest=$1
[ -f "$dest" ] && exit 0
"$(dirname "$0")/deps.sh" >/dev/null
dep=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-6/ {print $2; exit}')
if [ -z "$dep" ]; then
	apt-get update -qq
	dep=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-6/ {print $2; exit}')
fi
[ -n "$dep" ] || { echo "fetch-debian-kernel: no linux-image-6.* behind linux-image-arm64:arm64" >&2; exit 1; }
pkg=${dep%:arm64}-unsigned
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 777 "$tmp" # apt's _apt user writes the download there
( cd "$tmp" && apt-get download -q "$pkg:arm64" >/dev/null 2>&1 ) \
	|| ( cd "$tmp" && apt-get download -q "${dep%:arm64}:arm64" >/dev/null ) # the signed one: also an Image
deb=$(ls "$tmp"/*.deb)
member=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep '^\./boot/vmlinuz-' | head -1)
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" > "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "fetch-debian-kernel: $(basename "$deb") $member -> $dest"
