#!/usr/bin/env bash
# Boots a Keel ISO in Bochs without a window: writes a bochsrc and a debugger script holding `c`
# into a run directory and runs Bochs under `timeout`. Bochs exits with status 1 however the
# guest ends; judge the run by the serial log and the Bochs log, never by the exit status.
usage() {
	cat <<'EOF'
usage: tools/bochs.sh --iso FILE [options]
  --iso FILE            the GRUB ISO to boot from the CD-ROM
  --model M             Bochs CPU model (default corei7_haswell_4770 (VMX); ryzen has SVM)
  --cpus N              CPUs (default 1)
  --mem MIB             memory (default 512)
  --ips N               emulated instructions per second (default 50000000); with clock sync=none
                        this only scales virtual time
  --dir DIR             where bochsrc.txt, cont.rc and default logs go (default: a new temporary dir)
  --serial-log FILE     COM1 output (default DIR/com1.log); /dev/stdout works when stdout is a
                        terminal or pipe, but not a file redirect (Bochs truncates the file)
  --log FILE            the Bochs log (default DIR/bochs.log)
  --com2-log FILE       a second UART (COM2, port 0x2f8) writing into FILE
  --timeout SEC         end Bochs after SEC seconds (default 300)
  --dry-run             print the bochsrc instead of running Bochs
EOF
	exit "${1:-2}"
}
set -euo pipefail

iso='' model=corei7_haswell_4770 cpus=1 mem=512 ips=50000000 dir='' serial='' log='' tmo=300 dry=0
com2=''
need() { [[ $# -ge 2 ]] || { echo "bochs.sh: $1 needs a value" >&2; usage; }; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--iso) need "$@"; iso=$2; shift ;;
	--model) need "$@"; model=$2; shift ;;
	--cpus) need "$@"; cpus=$2; shift ;;
	--mem) need "$@"; mem=$2; shift ;;
	--ips) need "$@"; ips=$2; shift ;;
	--dir) need "$@"; dir=$2; shift ;;
	--serial-log) need "$@"; serial=$2; shift ;;
	--log) need "$@"; log=$2; shift ;;
	--com2-log) need "$@"; com2=$2; shift ;;
	--timeout) need "$@"; tmo=$2; shift ;;
	--dry-run) dry=1 ;;
	-h | --help) usage 0 ;;
	*) echo "bochs.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done

die() { echo "bochs.sh: $*" >&2; exit 2; }
[[ -n $iso ]] || die "give --iso FILE"
[[ -r $iso ]] || die "cannot read '$iso'"
for v in cpus mem ips tmo; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v/tmo/timeout} wants a positive number, not '${!v}'"
done
[[ $model =~ ^[a-z0-9_]+$ ]] || die "'$model' is not a Bochs CPU model name"
[[ -n $dir ]] || dir=$(mktemp -d "${TMPDIR:-/tmp}/keel-bochs.XXXXXX")
mkdir -p "$dir"
serial=${serial:-$dir/com1.log}
log=${log:-$dir/bochs.log}

# Known pitfalls: no 'nogui' library in Debian's build, so RFB that waits for no
# client (it tries ports 5900, 5901, ... so parallel runs coexist); dummy sound drivers or Bochs
# aborts; a fixed time0 and sync=none make runs deterministic.
rc="$dir/bochsrc.txt"
cat > "$rc" <<EOF
config_interface: textconfig
display_library: rfb, options="timeout=0"
megs: $mem
cpu: model=$model, count=$cpus, ips=$ips, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$serial"
port_e9_hack: enabled=1
log: $log
panic: action=fatal
error: action=report
info: action=report
debugger_log: -
clock: sync=none, time0=946684800
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOF
[[ -z $com2 ]] || echo "com2: enabled=1, mode=file, dev=\"$com2\"" >> "$rc"
echo c > "$dir/cont.rc"
if [[ $dry -eq 1 ]]; then
	cat "$rc"
	exit 0
fi
exec timeout "$tmo" bochs -q -f "$rc" -rc "$dir/cont.rc"
