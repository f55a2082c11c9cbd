#!/usr/bin/env python3
"""Keel's test runner (python3 standard library only). docs/testing.md describes it.

  keeltest.py host  [-j N] [--timeout S] EXE...        run HOST_TESTS programs, count VERDICT lines
  keeltest.py boot  [-j N] [--emulator E] CASE...      boot *.case files in QEMU/Bochs and judge them
  keeltest.py total SUITE...                           sum build/test-results/SUITE.res files
  keeltest.py bench EXE...                             run BENCHES, print their `bench` lines
  keeltest.py check CASE...                            parse case files and manifests only
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ktest import caseconf, emulator, judge  # noqa: E402
from ktest.hostrun import run_host  # noqa: E402
from ktest.report import Tally, clear_results, read_results, write_results  # noqa: E402

MAX_REASONS = 8
FAIL_TAIL = 12  # console lines shown under a failed boot case: CI output keeps the evidence
_print_lock = threading.Lock()


def out(text):
    with _print_lock:
        print(text, flush=True)


def run_checks(case, con, log):
    """Each `check:` program reads the console log and prints verdict lines, which count like
    a guest's (and against the manifests)."""
    reasons = []
    for cmd in case.checks:
        try:
            r = subprocess.run(cmd.split() + [log], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            reasons.append(f"check '{cmd}': {e}")
            continue
        for line in r.stdout.splitlines():
            con.add_line(line)
        if r.returncode:
            reasons.append(f"check '{cmd}' exited {r.returncode}: {r.stderr.strip()[:200]}")
    return reasons


def run_case(case, suite, elf, build):
    """Returns (status, seconds, reasons, log path or '', the console's last lines on a failure)."""
    if case.skip:
        return "SKIP", 0.0, [case.skip], "", []
    paths = emulator.Paths(suite, case, build)
    start = time.monotonic()
    try:
        expected = caseconf.expected_verdicts(case)
        con, facts = emulator.run(case, paths, elf)
    except (caseconf.CaseError, RuntimeError, OSError) as e:
        return "FAIL", time.monotonic() - start, [str(e)], "", []
    reasons = run_checks(case, con, paths.console) + judge.judge(case, con, facts, expected)
    if reasons:
        return ("FAIL", facts.seconds, _name_rips(elf, reasons), f"{paths.console} (emulator: {paths.emu})",
                con.lines[-FAIL_TAIL:])
    return "PASS", facts.seconds, [judge.summary(case, con, expected)], paths.console, []


def _keel_text(elf):
    """keel.elf's text symbols, sorted: (address, name)."""
    try:
        r = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    syms = []
    for ln in r.stdout.splitlines():
        f = ln.split()
        if len(f) == 3 and f[1] in "tT":
            syms.append((int(f[0], 16), f[2]))
    return syms


def _name_rips(elf, reasons):
    """'... at rip 0x...' reasons with the keel.elf function holding the address, if any."""
    syms, out = None, []
    for r in reasons:
        m = re.search(r"was at rip (0x[0-9a-f]+)$", r)
        if m:
            syms = syms if syms is not None else _keel_text(elf)
            rip = int(m.group(1), 16)
            inside = [n for a, n in syms if a <= rip]
            where = f"keel.elf {inside[-1]}" if inside and syms and rip < syms[-1][0] + 0x1000 \
                else "a guest"
            r = f"{r} ({where})"
        out.append(r)
    return out


def report_case(name, status, secs, reasons, log, tail=()):
    head = f"{status} {name} ({secs:.1f}s)"
    if status == "PASS":
        out(f"{head} {reasons[0]}")
        return
    lines = [f"{head}: {reasons[0]}"] + [f"     {r}" for r in reasons[1:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        lines.append(f"     ... and {len(reasons) - MAX_REASONS} more")
    if tail:
        lines.append(f"     the console's last {len(tail)} lines:")
        lines += [f"     | {t}" for t in tail]
    if log:
        lines.append(f"     log: {log}")
    out("\n".join(lines))


def load_cases(paths, only_emulator):
    """Parsed cases, and (name, error) for files that do not parse."""
    cases, bad, names = [], [], set()
    for p in paths:
        try:
            c = caseconf.parse_case(p)
        except (caseconf.CaseError, OSError) as e:
            bad.append((os.path.splitext(os.path.basename(p))[0], str(e)))
            continue
        if only_emulator and c.emulator != only_emulator:
            continue
        if c.name in names:
            bad.append((c.name, f"{p}: another case file is also named '{c.name}'"))
            continue
        names.add(c.name)
        cases.append(c)
    return cases, bad


def cmd_boot(a):
    suite = a.suite or a.emulator or "boot"
    clear_results(a.build, suite)
    cases, bad = load_cases(a.cases, a.emulator)
    tally = Tally()
    for name, err in bad:
        tally.add("FAIL")
        report_case(name, "FAIL", 0.0, [err], "")
    if not os.path.isfile(a.elf):
        out(f"keeltest: {a.elf} is missing; build it first (make)")
        cases_to_run = []
        for c in cases:
            tally.add("FAIL")
            report_case(c.name, "FAIL", 0.0, [f"{a.elf} is missing"], "")
    else:
        cases_to_run = cases
    pool = ThreadPoolExecutor(max_workers=a.jobs)
    try:
        futs = {pool.submit(run_case, c, suite, a.elf, a.build): c for c in cases_to_run}
        for fut, c in futs.items():
            status, secs, reasons, log, tail = fut.result()
            tally.add(status)
            report_case(c.name, status, secs, reasons, log, tail)
    except KeyboardInterrupt:
        emulator.ABORT.set()
        out("keeltest: interrupted; stopping the emulators")
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return finish(a.build, suite, tally)


def finish(build, suite, tally):
    write_results(build, suite, tally)
    out(f"{suite}: {tally.line()}")
    return 1 if tally.failed else 0


def cmd_host(a):
    clear_results(a.build, a.suite)
    tally = run_host(a.exes, a.build, a.jobs, a.timeout, out)
    if not a.built:
        tally.add("FAIL")
        out("FAIL build (0.0s): some HOST_TESTS did not build (see the make output above)")
    return finish(a.build, a.suite, tally)


def cmd_total(a):
    total = Tally()
    for suite in a.suites:
        t = read_results(a.build, suite)
        if t is None:
            out(f"FAIL {suite}: the suite left no results (it did not run to the end)")
            t = Tally(failed=1)
        total.merge(t)
    out("all suites:")
    out(total.line())
    return 1 if total.failed else 0


def cmd_bench(a):
    failed = 0
    for exe in a.exes:
        try:
            r = subprocess.run([os.path.abspath(exe)], stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=a.timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            failed += 1
            out(f"bench: {exe} failed: {e}")
            continue
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith("bench ")]
        for ln in lines:
            out(ln)
        if r.returncode or not lines:
            failed += 1
            why = f"exited with status {r.returncode}" if r.returncode else "printed no bench line"
            tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-3:]
            out(f"bench: {exe} {why}" + "".join(f"\n     {t}" for t in tail))
    return 1 if failed else 0


def cmd_check(a):
    cases, bad = load_cases(a.cases, None)
    for c in cases:
        try:
            caseconf.expected_verdicts(c)
        except (caseconf.CaseError, OSError) as e:
            bad.append((c.name, str(e)))
    for name, err in bad:
        out(f"FAIL {name}: {err}")
    out(f"check: {len(a.cases)} case files, {len(bad)} with errors")
    return 1 if bad else 0


def parse_args(argv):
    p = argparse.ArgumentParser(description="Keel test runner")
    p.add_argument("--build", default="build", help="build directory (default build)")
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("host", help="run host test programs")
    h.add_argument("-j", "--jobs", type=int, default=2)
    h.add_argument("--timeout", type=int, default=600, help="seconds per program (default 600)")
    h.add_argument("--suite", default="host")
    h.add_argument("--built", type=int, choices=(0, 1), default=1, help="0: the build failed")
    h.add_argument("exes", nargs="*")
    b = sub.add_parser("boot", help="boot case files in emulators")
    b.add_argument("-j", "--jobs", type=int, default=2, help="emulators at once (default 2)")
    b.add_argument("--emulator", choices=caseconf.EMULATORS, help="only cases for this emulator")
    b.add_argument("--suite", help="results name (default: the emulator)")
    b.add_argument("--elf", default="build/keel.elf")
    b.add_argument("cases", nargs="*")
    t = sub.add_parser("total", help="sum suites' results files")
    t.add_argument("suites", nargs="+")
    be = sub.add_parser("bench", help="run benchmark programs")
    be.add_argument("--timeout", type=int, default=900)
    be.add_argument("exes", nargs="*")
    c = sub.add_parser("check", help="validate case files")
    c.add_argument("cases", nargs="*")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    if getattr(a, "jobs", 1) < 1:
        sys.exit("keeltest: -j wants at least 1")
    try:
        return {"host": cmd_host, "boot": cmd_boot, "total": cmd_total, "bench": cmd_bench,
                "check": cmd_check}[a.mode](a)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
