#!/usr/bin/env bash
# Fetches Debian's own kernel and busybox for the Linux guest tests, never installing them:
# `apt-get download` the current linux-image-amd64 dependency and busybox-static, `dpkg -x` them
# into OUT/, and leave OUT/vmlinuz and OUT/busybox. Idempotent: does nothing when both exist.
# usage: tools/linux-fetch.sh OUTDIR
set -euo pipefail
out=$1
[[ -s "$out/vmlinuz" && -x "$out/busybox" ]] && exit 0
mkdir -p "$out/deb"
cd "$out/deb"

image=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [[ -z "$image" ]]; then
	apt-get update -q >/dev/null 2>&1 || true
	image=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[[ -n "$image" ]] || { echo "linux-fetch: cannot tell which kernel linux-image-amd64 depends on" >&2; exit 1; }
echo "linux-fetch: $image and busybox-static (apt-get download; not installed)"
rm -f ./*.deb
apt-get download -q "$image" busybox-static >/dev/null
rm -rf ../root && mkdir ../root
for d in ./*.deb; do dpkg -x "$d" ../root; done
cp ../root/boot/vmlinuz-* ../vmlinuz
cp ../root/bin/busybox ../busybox
rm -rf ../root ./*.deb
echo "linux-fetch: $(cd .. && ls -l vmlinuz busybox | awk '{print $5, $9}' | tr '\n' ' ')"
