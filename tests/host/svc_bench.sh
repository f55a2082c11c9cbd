#!/usr/bin/env bash
# make bench: the service loop's cost (tests/host/svc_bench.c). First the instructions the
# service spends per request — svc_drain taking it, the model, the answer — counted by callgrind
# on one thread, then throughput between two threads. Reported, never asserted.
set -eu
exe=${SVC_BENCH:-build/host/service/svc_bench}
n=20000
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for what in counter batch; do
	valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_drain \
		--callgrind-out-file="$out/$what" "$exe" "$what" "$n" >/dev/null 2>"$out/$what.log" || {
		cat "$out/$what.log"; echo "svc_bench: callgrind run failed" >&2; exit 1; }
	ir=$(sed -n 's/^\(summary\|totals\): \([0-9]*\).*/\2/p' "$out/$what" | head -n1)
	case $what in
	counter) echo "bench svc_instructions_per_counter_read $((ir / n)) instructions" ;;
	batch) echo "bench svc_instructions_per_testdev_batch $((ir / n)) instructions (64 x 4-byte writes)" ;;
	esac
done
"$exe" time
