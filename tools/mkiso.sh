#!/usr/bin/env bash
# Builds a hybrid BIOS+UEFI GRUB ISO around keel.elf.
# usage: mkiso.sh OUT.iso KEEL.elf "KEEL CMDLINE" [FILE:NAME ...]
# Each FILE becomes `module2 /boot/m<i>-<basename> NAME` (NAME is the module's name in Keel).
set -euo pipefail
out=$1 elf=$2 cmdline=$3
shift 3
dir=$(mktemp -d "${TMPDIR:-/tmp}/keel-iso.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$elf" "$dir/boot/keel.elf"
{
	echo 'serial --unit=0 --speed=115200'
	echo 'terminal_input serial console'
	echo 'terminal_output serial console'
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'menuentry "Keel" {'
	echo "    echo 'grub: loading Keel'"
	echo "    multiboot2 /boot/keel.elf $cmdline"
	i=0
	for m in "$@"; do
		file=${m%%:*} name=${m#*:}
		dst="m$i-$(basename "$file")"
		[[ -e "$file" ]] && cp "$file" "$dir/boot/$dst"
		echo "    module2 /boot/$dst $name"
		i=$((i + 1))
	done
	echo '    boot'
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || { grub-mkrescue -o "$out" "$dir"; exit 1; }
