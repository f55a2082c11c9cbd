#!/usr/bin/env bash
# make bench: callgrind-counted instructions per decode+emulate on tests/bench/mmio-mix.tsv,
# beside bhyve's figures; ns per instruction (report only); manifest coverage.
# Usage: bench_emul.sh BUILD_DIR
set -eu
b=${1:-build}
exe=$b/host/tests/host/emul/bench_emul
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_unit \
	--callgrind-out-file="$out/cg" "$exe" callgrind >/dev/null 2>"$out/log" || {
	cat "$out/log"; echo "bench_emul: callgrind run failed" >&2; exit 1; }
echo "# emul unit (registers reset before it, uncounted): emul_start_bytes (decode," \
	"translate, check against the exit) + in-process device answers (by value as arch/x86/mmio.c) + emul_complete(_value) until DONE"
python3 - "$out" tests/bench/mmio-mix.tsv <<'PY'
import glob, re, sys
out, mix = sys.argv[1], sys.argv[2]
seg = {}
for f in glob.glob(out + "/cg.*"):
    txt = open(f).read()
    m = re.search(r"^desc: Trigger: Client Request: (\S+) (\d+)(?: (\d+))?", txt, re.M)
    tot = re.search(r"^(?:totals|summary): (\d+)", txt, re.M)
    if m and tot:
        seg[(m.group(1), m.group(2))] = (int(tot.group(1)), int(m.group(3) or m.group(2)))
bhyve = {}
for line in open(mix):
    if line.startswith("#") or line.startswith("index"):
        continue
    c = line.rstrip("\n").split("\t")
    if c[6]:
        bhyve[int(c[0])] = int(c[6])
loop = {}
for i in range(49):
    ir, n = seg[("loop", str(i))]
    loop[i] = ir / n
    extra = f" (bhyve {bhyve[i]})" if i in bhyve else " (bhyve: not emulated)"
    print(f"bench emul_case{i:02d}_loop_instructions {loop[i]:.0f} instructions{extra}")
mix49 = seg[("mix49", "1960")]; mix35 = seg[("mix35", "1400")]
print(f"bench emul_loop_instructions {sum(loop.values())/49:.0f} instructions")
print(f"bench emul_mix_instructions {mix49[0]/mix49[1]:.0f} instructions")
print(f"bench emul_bhyve35_loop_instructions {sum(loop[i] for i in range(35))/35:.0f} instructions")
print(f"bench emul_bhyve35_mix_instructions {mix35[0]/mix35[1]:.0f} instructions")
print("bench bhyve_bhyve35_loop_instructions 432 instructions")
print("bench bhyve_bhyve35_mix_instructions 460 instructions")
print(f"bench bhyve_bhyve35_case_mean_instructions {sum(bhyve.values())/len(bhyve):.0f} instructions")
PY
"$exe" time
"$exe" coverage
