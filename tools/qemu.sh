#!/usr/bin/env bash
# Boots Keel in QEMU (TCG): the ISO on SeaBIOS or OVMF, or keel.elf through -kernel (multiboot1).
usage() {
	cat <<'EOF'
usage: tools/qemu.sh [options] [-- extra qemu arguments]
 boot method (one):
  --iso FILE            boot the GRUB ISO (SeaBIOS unless --uefi)
  --uefi                boot the ISO with OVMF (pflash code + a fresh copy of OVMF_VARS_4M.fd)
  --kernel ELF          boot ELF through -kernel (multiboot1; the fast path, needed for --icount)
  --append CMDLINE      Keel command line with --kernel
  --initrd LIST         modules with --kernel: "FILE ARGS,FILE ARGS" (a module's name is FILE's base name)
 machine:
  --cpu MODEL           CPU model and flags (default qemu64,+svm,+npt)
  --smp N               CPUs (default 1)
  -m, --mem MIB         memory (default 512)
  --icount              -icount shift=0: the TSC counts one per instruction
 console and control:
  --serial-log FILE     COM1 into FILE (default: COM1 and the QEMU monitor on stdio, Ctrl-A X quits)
  --serial-pipe BASE    COM1 through the FIFOs BASE.in (input) and BASE.out (output)
  --serial SPEC         one more -serial (COM2, COM3, ...); repeatable
  --vars FILE           where the OVMF variable store copy goes (default: a temporary file)
  --gdb PORT            gdb stub on tcp::PORT, CPUs stopped at reset (-S)
  --reboot              let a guest reset reboot (default: -no-reboot, a reset ends QEMU)
  --timeout SEC         end QEMU after SEC seconds
  --dry-run             print the command instead of running it
EOF
	exit "${1:-2}"
}
set -euo pipefail

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

iso='' uefi=0 kernel='' append='' initrd='' cpu=qemu64,+svm,+npt smp=1 mem=512 icount=0
serial_log='' serial_pipe='' vars='' gdb='' reboot=0 tmo='' dry=0 serials=() extra=()
need() { [[ $# -ge 2 ]] || { echo "qemu.sh: $1 needs a value" >&2; usage; }; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--iso) need "$@"; iso=$2; shift ;;
	--uefi) uefi=1 ;;
	--kernel) need "$@"; kernel=$2; shift ;;
	--append) need "$@"; append=$2; shift ;;
	--initrd) need "$@"; initrd=$2; shift ;;
	--cpu) need "$@"; cpu=$2; shift ;;
	--smp) need "$@"; smp=$2; shift ;;
	-m | --mem) need "$@"; mem=$2; shift ;;
	--icount) icount=1 ;;
	--serial-log) need "$@"; serial_log=$2; shift ;;
	--serial-pipe) need "$@"; serial_pipe=$2; shift ;;
	--serial) need "$@"; serials+=("$2"); shift ;;
	--vars) need "$@"; vars=$2; shift ;;
	--gdb) need "$@"; gdb=$2; shift ;;
	--reboot) reboot=1 ;;
	--timeout) need "$@"; tmo=$2; shift ;;
	--dry-run) dry=1 ;;
	-h | --help) usage 0 ;;
	--) shift; extra=("$@"); break ;;
	*) echo "qemu.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done

die() { echo "qemu.sh: $*" >&2; exit 2; }
[[ -n $iso && -n $kernel ]] && die "--iso and --kernel exclude each other"
[[ -z $iso && -z $kernel ]] && die "give --iso FILE or --kernel ELF"
[[ $uefi -eq 1 && -z $iso ]] && die "--uefi boots an ISO: give --iso"
[[ -n $kernel && $uefi -eq 1 ]] && die "--kernel is multiboot1 on SeaBIOS; it cannot use --uefi"
[[ -z $kernel && ( -n $append || -n $initrd ) ]] && die "--append/--initrd go with --kernel"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "--smp wants a positive number, not '$smp'"
[[ $mem =~ ^[1-9][0-9]*$ ]] || die "--mem wants MiB as a number, not '$mem'"
for f in "$iso" "$kernel"; do [[ -z $f || -r $f ]] || die "cannot read '$f'"; done

cmd=(qemu-system-x86_64 -accel tcg -cpu "$cpu" -smp "$smp" -m "$mem" -display none)
if [[ -n $serial_pipe ]]; then
	cmd+=(-monitor none -serial "pipe:$serial_pipe")
elif [[ -n $serial_log ]]; then
	cmd+=(-monitor none -serial "file:$serial_log")
else
	cmd+=(-serial mon:stdio)
fi
[[ $reboot -eq 1 ]] || cmd+=(-no-reboot)
[[ $icount -eq 1 ]] && cmd+=(-icount shift=0)
for s in "${serials[@]}"; do cmd+=(-serial "$s"); done
[[ -n $gdb ]] && cmd+=(-gdb "tcp::$gdb" -S)

cleanup=
if [[ -n $kernel ]]; then
	cmd+=(-kernel "$kernel")
	[[ -n $append ]] && cmd+=(-append "$append")
	[[ -n $initrd ]] && cmd+=(-initrd "$initrd")
elif [[ $uefi -eq 1 ]]; then
	[[ -r $OVMF_CODE && -r $OVMF_VARS ]] || die "OVMF is missing ($OVMF_CODE); run make deps"
	if [[ -z $vars && $dry -eq 1 ]]; then
		vars=VARS.fd
	elif [[ -z $vars ]]; then
		vars=$(mktemp "${TMPDIR:-/tmp}/keel-vars.XXXXXX")
		cleanup=$vars
	fi
	[[ $dry -eq 1 ]] || { mkdir -p "$(dirname "$vars")" && cp "$OVMF_VARS" "$vars"; }
	cmd+=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,file=$vars" -cdrom "$iso")
else
	cmd+=(-cdrom "$iso")
fi
cmd+=("${extra[@]}")
[[ -n $tmo ]] && cmd=(timeout "$tmo" "${cmd[@]}")

if [[ $dry -eq 1 ]]; then
	printf '%q ' "${cmd[@]}"
	echo
	exit 0
fi
if [[ -z $cleanup ]]; then
	exec "${cmd[@]}"
fi
trap 'rm -f "$cleanup"' EXIT
"${cmd[@]}"
