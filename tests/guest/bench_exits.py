#!/usr/bin/env python3
"""Benchmark: Keel's instructions per exit, measured by a guest (tests/guest/bench.c).

Boots the bench payload's case files through the test runner's library: QEMU `-kernel` under
`-icount shift=0` (the TSC counts one per instruction, platform.md section 4), then Bochs VMX
and Bochs SVM with nRIP (report-only; Bochs' TSC also counts one per instruction, platform.md
section 3). A run must pass
its case (verdicts, KEEL EXIT, power-off) before its figures count. The guest prints
`bench-exit NAME REPS EXIT_TICKS NOP_TICKS`: the fewest TSC ticks of REPS iterations of a loop
with the exit-causing instruction, and of the same loop with a NOP of the same length instead.
The figure is (EXIT_TICKS - NOP_TICKS) / REPS; the arithmetic goes to stdout as `#` lines and
each figure as `bench <prefix>NAME_instructions <value> instructions`.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from ktest import caseconf, emulator, judge  # noqa: E402

ELF = os.path.join("build", "keel.elf")
RUNS = (("tests/guest/qemu-svm-bench64.case", ""),
        ("tests/guest/bochs-vmx-bench64.case", "bochs_vmx."),
        ("tests/guest/bochs-svm-bench64.case", "bochs_svm_nrip."))
LINE_RE = re.compile(r"^\[[^\]]+\] bench-exit (\S+) (\d+) (\d+) (\d+)$")


def figure(reps, exit_ticks, nop_ticks):
    diff = exit_ticks - nop_ticks
    return f"{diff // reps}" if diff % reps == 0 else f"{diff / reps:.3f}"


def run(case_path, prefix):
    case = caseconf.parse_case(case_path)
    paths = emulator.Paths("bench", case)
    con, facts = emulator.run(case, paths, ELF)
    reasons = judge.judge(case, con, facts, caseconf.expected_verdicts(case))
    if reasons:
        print(f"bench_exits: {case.name} failed: {'; '.join(reasons[:4])} (log {paths.console})",
              file=sys.stderr)
        return False
    found = 0
    for line in con.lines:
        m = LINE_RE.match(line)
        if not m:
            continue
        name, reps, te, tn = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        if reps <= 0 or te < tn:
            print(f"bench_exits: {case.name}: implausible line '{line}'", file=sys.stderr)
            return False
        value = figure(reps, te, tn)
        print(f"# {case.name}: {name}: ({te} - {tn}) / {reps} = {value}")
        print(f"bench {prefix}{name}_instructions {value} instructions", flush=True)
        found += 1
    if not found:
        print(f"bench_exits: {case.name}: no bench-exit lines (log {paths.console})",
              file=sys.stderr)
    return found > 0


def main():
    os.chdir(ROOT)
    if not os.path.isfile(ELF):
        print(f"bench_exits: {ELF} is missing; run make", file=sys.stderr)
        return 1
    ok = True
    for case_path, prefix in RUNS:
        try:
            ok = run(case_path, prefix) and ok
        except (caseconf.CaseError, RuntimeError, OSError) as e:
            print(f"bench_exits: {case_path}: {e}", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
