#!/usr/bin/env bash
# The configuration fuzzer (build/host/config_fuzz, libFuzzer + ASan + UBSan) for a fixed number
# of inputs, seeded from configs/ and tests/host/config-bad/, in a fresh corpus so every run is
# the same. Prints one VERDICT line and the fuzzer's statistics; crash inputs are kept in
# build/host/. `make fuzz-config` runs longer with a corpus that persists.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fuzz=$root/build/host/config_fuzz
runs=${CONFIG_FUZZ_RUNS:-20000}

if [[ ! -x $fuzz ]]; then
	echo "VERDICT FAIL config/fuzz $fuzz is not built (make build/host/config_fuzz)"
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/keel-config-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
(cd "$work" && timeout 300 "$fuzz" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 \
	-dict="$root/tests/host/config-fuzz.dict" -print_final_stats=1 \
	"$work/corpus" "$root/configs" "$root/tests/host/config-bad") >"$work/log" 2>&1
rc=$?
grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::)' "$work/log"
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -1)
if [[ $rc -eq 0 ]] && grep -q "^Done $runs runs" "$work/log"; then
	stats=$(sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//; s/[[:space:]]+lim:.*//' <<<"$done_line")
	echo "VERDICT PASS config/fuzz $runs runs, $stats"
	exit 0
fi
for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
	[[ -e $a ]] && cp "$a" "$root/build/host/config-fuzz-$(basename "$a")"
done
grep -E 'config_fuzz:|ERROR:|SUMMARY:|runtime error' "$work/log" | head -5
echo "VERDICT FAIL config/fuzz exit $rc after $(grep -oE '^#[0-9]+' "$work/log" | tail -1) runs (inputs kept in build/host/)"
exit 1
