#!/usr/bin/env bash
# keel-config on every example in configs/ (each must be valid, and its dump must load back to
# the same text) and on every broken file in tests/host/config-bad/ (each must give exactly the
# problems its .expect file lists, in any order), plus the tool's own usage errors.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tool=$root/build/keel-config
fail=0

verdict() { # PASS|FAIL name [detail]
	echo "VERDICT $1 config-files/$2${3:+ $3}"
	[[ $1 == PASS ]] || fail=1
}

if [[ ! -x $tool ]]; then
	verdict FAIL tool "$tool is not built (make build/keel-config)"
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/keel-config-files.XXXXXX")
trap 'rm -rf "$work"' EXIT

for f in "$root"/configs/*.cfg; do
	name=$(basename "$f" .cfg)
	out=$("$tool" check "$f" 2>&1)
	rc=$?
	if [[ $rc -eq 0 && -z $out ]]; then verdict PASS "check/$name"; else verdict FAIL "check/$name" "exit $rc: ${out%%$'\n'*}"; fi
	if "$tool" dump "$f" >"$work/a.cfg" && [[ -z $("$tool" check "$work/a.cfg") ]] &&
		"$tool" dump "$work/a.cfg" >"$work/b.cfg" && cmp -s "$work/a.cfg" "$work/b.cfg"; then
		verdict PASS "dump/$name"
	else
		verdict FAIL "dump/$name" "the dump does not load back to the same text"
	fi
done

for f in "$root"/tests/host/config-bad/*.cfg; do
	name=$(basename "$f" .cfg)
	exp=${f%.cfg}.expect
	read -r -a opts <<<"$(sed -n 's/^options: //p' "$exp")"
	want=$(grep -v '^options: ' "$exp" | sed -E "s|^([0-9]+): |$f:\\1: |; t; s|^|$f: |" | sort)
	got=$("$tool" check "$f" "${opts[@]}" 2>&1)
	rc=$?
	got=$(sort <<<"$got")
	if [[ $rc -eq 1 && $got == "$want" ]]; then
		verdict PASS "bad/$name"
	else
		first=$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | head -1)
		verdict FAIL "bad/$name" "exit $rc; ${first:-same lines}"
	fi
done

demo=$root/configs/demo.cfg
matches() { # file pattern ("" = the file must be empty)
	if [[ -z $2 ]]; then [[ ! -s $1 ]]; else grep -Eq -- "$2" "$1"; fi
}
expect_tool() { # name status stdout-pattern stderr-pattern -- args...
	local name=$1 status=$2 opat=$3 epat=$4
	shift 5
	"$tool" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [[ $rc -eq $status ]] && matches "$work/out" "$opat" && matches "$work/err" "$epat"; then
		verdict PASS "tool/$name"
	else
		verdict FAIL "tool/$name" "exit $rc (wanted $status): $(head -c 200 "$work/out" "$work/err" | tr '\n' ' ')"
	fi
}
expect_tool no-arguments 2 '' '^usage: keel-config' --
expect_tool unknown-command 2 '' 'the command is check or dump' -- verify "$demo"
expect_tool missing-file 2 '' "cannot read $work/none.cfg: No such file" -- check "$work/none.cfg"
expect_tool cpus-0 2 '' '--cpus takes a count from 1 to 64' -- check "$demo" --cpus 0
expect_tool keel-range 2 '' '--keel takes BASE\+SIZE' -- check "$demo" --keel 0x100000
expect_tool ram-range 2 '' '--ram takes BASE\+SIZE' -- check "$demo" --ram 0x100000
expect_tool ram-empty-size 2 '' '--ram takes BASE\+SIZE' -- check "$demo" --ram 0x0+0x9fc00,0x100000+0
expect_tool unknown-option 2 '' 'unknown option' -- check "$demo" --verbose 1
expect_tool machine-ok 0 '' '' -- check "$demo" --cpus 3 --modules service.elf,demo.elf --keel 0x100000+0x400000
expect_tool machine-ram-ok 0 '' '' -- check "$root/configs/test-passthrough.cfg" \
	--ram 0x0+0x9fc00,0x100000+0xbff00000
expect_tool machine-ram-mmio 1 "test-passthrough.cfg:18: partition 'tty': mmio: passthrough 0xfd000000\+0x1000000 overlaps RAM 0xfc000000\+0x4000000 of the machine's memory map$" '' -- \
	check "$root/configs/test-passthrough.cfg" --ram 0x0+0x9fc00,0x100000+0xbff00000,0xfc000000+0x4000000
expect_tool machine-cpus 1 "^$demo:8: platform: cpus: the machine has 4 CPUs, not 3$" '' -- check "$demo" --cpus 4
expect_tool machine-modules 1 "^$demo:19: partition 'svc': image: no module named 'service.elf'$" '' -- \
	check "$demo" --modules demo.elf
expect_tool dump-broken 1 '' "overlap.cfg:9: partition 'svc': memory" -- dump "$root/tests/host/config-bad/overlap.cfg"
expect_tool dump-valid 0 '^partition beta$' '' -- dump "$demo"
exit $fail
