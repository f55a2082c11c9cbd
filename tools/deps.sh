#!/usr/bin/env bash
# Installs the Debian 12 packages Keel's build, run and tests need; idempotent: only missing
# packages are installed, as root or through `sudo -n`.
set -euo pipefail

PKGS=(gcc make binutils python3 qemu-system-x86 bochs bochsbios vgabios bximage
      grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf
      clang libclang-rt-14-dev valgrind libzydis-dev libcapstone-dev newlib-source
      cpio gzip xz-utils gdb)

# iasl: the host tests cross-check Keel's ACPI \_S5 reader against it (tests/host/acpi_iasl.sh).
PKGS+=(acpica-tools)
# 32-bit libgcc for the protected-mode guest payloads (tests/guest)
PKGS+=(gcc-multilib)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
	SUDO=()
elif sudo -n true 2>/dev/null; then
	SUDO=(sudo -n)
else
	echo "deps: error: missing packages (${missing[*]}) and neither root nor passwordless sudo;" >&2
	echo "deps: install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q || echo "deps: warning: apt-get update failed; trying the install anyway" >&2
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
