#!/usr/bin/env bash
# Cross-checks the \_S5 reader (drivers/acpi_aml.c, through aml_probe) against Intel's iasl:
# DSDTs compiled by iasl from ASL written here, and real firmware DSDTs (Bochs' BIOS, SeaBIOS'
# legacy DSDT) whose \_S5 values come from iasl's own disassembly.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
probe=$here/aml_probe
fail=0
verdict() { # verdict NAME EXPECTED GOT
	if [[ "$2" == "$3" ]]; then echo "VERDICT PASS acpi-iasl/$1"; else echo "VERDICT FAIL acpi-iasl/$1 expected '$2' got '$3'"; fail=1; fi
}
cases=(s5-bytes s5-one-seven s5-in-scope s5-root-path s5-long-package s5-after-reference no-s5 bochs-bios-dsdt seabios-dsdt)
if ! command -v iasl >/dev/null; then
	for c in "${cases[@]}"; do echo "VERDICT SKIP acpi-iasl/$c iasl not installed (acpica-tools)"; done
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-iasl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# compile NAME BODY: wraps BODY in a DSDT and compiles it with iasl.
compile() {
	printf 'DefinitionBlock ("", "DSDT", 2, "KEEL", "TEST", 1)\n{\n%s\n}\n' "$2" > "$tmp/$1.asl"
	iasl -p "$tmp/$1" "$tmp/$1.asl" > "$tmp/$1.log" 2>&1 || { echo "iasl failed on $1:"; cat "$tmp/$1.log"; }
}
probe_asl() { compile "$1" "$2"; "$probe" "$tmp/$1.aml" 2>&1; }

verdict s5-bytes "s5 5 5" "$(probe_asl s5-bytes 'Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })')"
verdict s5-one-seven "s5 1 7" "$(probe_asl s5-one-seven 'Name (_S5, Package (0x02) { One, 0x07 })')"
verdict s5-in-scope "s5 3 4" "$(probe_asl s5-in-scope 'Scope (\_SB) { Name (XYZ, 1) }
Scope (\) { Name (_S5, Package (0x02) { 0x03, 0x04 }) }')"
verdict s5-root-path "s5 6 2" "$(probe_asl s5-root-path 'Device (\_SB.DEV0) { Name (_HID, "KEEL0001") }
Name (\_S5, Package (0x02) { 0x06, 0x02 })')"
long=$(printf '0x%02X, ' $(seq 1 70))
verdict s5-long-package "s5 2 3" "$(probe_asl s5-long-package "Name (_S5, Package (0x48) { 0x02, 0x03, ${long%, } })")"
verdict s5-after-reference "s5 4 1" "$(probe_asl s5-after-reference 'Method (TST0, 0) { Return (DerefOf (_S5 [0])) }
Name (_S5, Package (0x02) { 0x04, One })')"
verdict no-s5 "no-s5" "$(probe_asl no-s5 'Name (_S4, Package (0x02) { 0x05, 0x05 })
Name (_S3X, Package (0x02) { 0x01, 0x01 })' | cut -d' ' -f1)"

# expected_from_dsl FILE.dsl: "s5 A B" from iasl's disassembly, or "no-s5".
expected_from_dsl() {
	local toks
	toks=$(awk '/Name \(_S5, Package/ { want = 1; next }
		    want && /^[ \t]*(Zero|One|0x[0-9A-Fa-f]+)/ { gsub(/[ ,\t]/, "", $1); print $1; if (++n == 2) exit }' "$1")
	[[ -z "$toks" ]] && { echo no-s5; return; }
	local out=s5 t
	for t in $toks; do
		case $t in Zero) t=0 ;; One) t=1 ;; *) t=$((t)) ;; esac
		out+=" $t"
	done
	echo "$out"
}
firmware() { # firmware NAME IMAGE
	if [[ ! -r "$2" ]]; then echo "VERDICT SKIP acpi-iasl/$1 $2 not installed"; return; fi
	local got
	got=$("$probe" "$2" "$tmp/$1.aml" | awk '{ print ($1 == "s5") ? $1 " " $2 " " $3 : $1 }')
	(cd "$tmp" && iasl -d "$1.aml" > "$1.dis.log" 2>&1)
	verdict "$1" "$(expected_from_dsl "$tmp/$1.dsl")" "$got"
}
firmware bochs-bios-dsdt /usr/share/bochs/BIOS-bochs-latest
firmware seabios-dsdt /usr/share/seabios/acpi-dsdt.aml
exit $fail
