#!/usr/bin/env bash
# Runs the page-walker/segment libFuzzer target (built next to this script by emul/walk.mk)
# for a fixed number of inputs from a fixed seed; prints one VERDICT line with the statistics.
# WALK_FUZZ_RUNS overrides the count (default: about 7 s on an idle 2-core machine, 25 s under load).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
bin=$dir/walk_fuzz
runs=${WALK_FUZZ_RUNS:-1000000}
case=walk_fuzz/random-tables

if [[ ! -x $bin ]]; then
	echo "VERDICT FAIL $case fuzzer binary $bin missing"
	exit 1
fi
log=$(mktemp "${TMPDIR:-/tmp}/walk_fuzz.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$(date +%s%N)
art=$(mktemp -d "${TMPDIR:-/tmp}/walk_fuzz-artifacts.XXXXXX")
timeout 120 "$bin" -runs="$runs" -seed=1 -max_len=4096 -timeout=5 -rss_limit_mb=1024 \
	-artifact_prefix="$art/" -print_final_stats=1 >"$log" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
stat() { awk -v k="$1" '$1 == k ":" { print $2 }' "$log" | tail -1; }
execs=$(stat stat::number_of_executed_units)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
outcomes=$(sed -n 's/^walk_fuzz stats: //p' "$log" | tail -1)
detail="${execs:-0} inputs in $((ms / 1000)).$(printf %03d $((ms % 1000))) s, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}; ${outcomes:-no stats}"
if [[ $rc -eq 0 && ${execs:-0} -ge $runs ]]; then
	echo "VERDICT PASS $case $detail"
	rm -rf "$art"
	exit 0
fi
echo "VERDICT FAIL $case exit $rc after $detail: $(grep -m1 -E 'ERROR|SUMMARY|deadly|timeout' "$log") (reproducer in $art)"
tail -n 30 "$log" >&2
exit 1
