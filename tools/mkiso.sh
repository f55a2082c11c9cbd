#!/usr/bin/env bash
# Builds a hybrid BIOS+UEFI GRUB ISO around keel.elf.
# usage: mkiso.sh OUT.iso KEEL.elf "KEEL CMDLINE" [FILE:NAME [ARGS] ...]
#   Each FILE:NAME becomes `module2 /boot/m<i>-<basename of FILE> NAME ARGS` in grub.cfg, in the
#   order given (NAME is the module's name in Keel, docs/boot.md). A FILE that does not exist is
#   an error, except `-`: then the module2 line names /boot/m<i>-absent, a file the ISO does not
#   hold, as a broken configuration would (GRUB reports it on the serial console and boots anyway).
# GRUB's own console goes to COM1 at 115200 8N1 as well as the screen.
set -euo pipefail
if [[ $# -lt 3 ]]; then
	sed -n '3,8s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
out=$1 elf=$2 cmdline=$3
shift 3
[[ -r $elf ]] || { echo "mkiso.sh: cannot read '$elf'" >&2; exit 1; }
for m in "$@"; do
	file=${m%%:*}
	[[ $m == *:* && -n ${m#*:} ]] || { echo "mkiso.sh: module '$m' is not FILE:NAME" >&2; exit 1; }
	[[ $file == - || -r $file ]] || { echo "mkiso.sh: module file '$file' does not exist" >&2; exit 1; }
done
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
		if [[ $file == - ]]; then
			dst="m$i-absent"
		else
			dst="m$i-$(basename "$file")"
			cp "$file" "$dir/boot/$dst"
		fi
		echo "    module2 /boot/$dst $name"
		i=$((i + 1))
	done
	echo '    boot'
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || { grub-mkrescue -o "$out" "$dir"; exit 1; }
