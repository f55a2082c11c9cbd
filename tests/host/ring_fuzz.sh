#!/usr/bin/env bash
# Runs the ring's libFuzzer target (tests/host/ring_fuzz.c) for a fixed number of runs with a fixed
# seed and prints one VERDICT line. A crashing input is kept in build/host/ring/ for reproduction.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${KEEL_BUILD:-$root/build}/host/ring
fuzzer=$dir/ring_fuzz
runs=${RING_FUZZ_RUNS:-80000}
name=ring_fuzz/poll_validate

if [[ ! -x $fuzzer ]]; then
	echo "VERDICT FAIL $name fuzzer not built: $fuzzer (make $fuzzer)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
(cd "$work" && timeout 300 "$fuzzer" -runs="$runs" -seed=1 -max_len=2048 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix="$dir/ring_fuzz-" >"$work/log" 2>&1)
rc=$?
secs=$((SECONDS - start))
if [[ $rc -eq 0 ]] && grep -q "^Done $runs runs" "$work/log"; then
	cov=$(grep -o 'DONE *cov: [0-9]* ft: [0-9]*' "$work/log" | tail -1 | sed 's/DONE *//')
	echo "VERDICT PASS $name $runs runs in ${secs}s, $cov"
	exit 0
fi
tail -40 "$work/log" >&2
why=$(grep -m1 -E 'ERROR:|SUMMARY:|Test unit written' "$work/log" || echo "exit status $rc")
echo "VERDICT FAIL $name after ${secs}s: $why"
exit 1
