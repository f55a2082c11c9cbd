#!/usr/bin/env bash
# Runs the emulator fuzz target for a fixed number of inputs (make test) and prints VERDICT
# lines with the fuzzer's statistics. Usage: fuzz_emul.sh BUILD_DIR [RUNS]
set -u
b=${1:-build}
runs=${2:-${EMUL_FUZZ_RUNS:-400000}}
exe=$b/host/fuzz/emul/fuzz_emul
corpus=$b/host/fuzz/emul/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ ! -x $exe ]]; then
	echo "VERDICT FAIL emul_fuzz/build $exe missing"
	exit 1
fi
seed=${EMUL_SEED:-$(date +%s)}
echo "emul_fuzz: seed $seed, $runs runs, corpus $corpus"
timeout 120 "$exe" -seed="$seed" -runs="$runs" -max_len=512 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$work/" -print_final_stats=1 \
	"$work" "$corpus" >"$work/log" 2>&1
rc=$?
grep -E '^#[0-9]+.*DONE|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|Done [0-9]+ runs' "$work/log"
if [[ $rc -eq 0 ]] && grep -q "Done $runs runs" "$work/log"; then
	echo "VERDICT PASS emul_fuzz/loop $runs runs, no crash, no sanitizer report (seed $seed)"
	exit 0
fi
tail -40 "$work/log"
mkdir -p "$b/host/fuzz/emul/crashes" && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$b/host/fuzz/emul/crashes/" 2>/dev/null
echo "VERDICT FAIL emul_fuzz/loop fuzzer exit $rc (seed $seed)"
exit 1
