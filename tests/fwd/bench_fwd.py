#!/usr/bin/env python3
"""Benchmark: forwarding to the service VM, measured by the guest under QEMU -icount shift=0.

Keel boots tests/fwd/bench.cfg through -kernel on two CPUs: the service VM (build/service/
service.elf, polling) on CPU 0, the forwarding payload in benchmark mode (tests/guest/fwd_bench.c)
on CPU 1. Under -icount QEMU runs the CPUs in turn on one thread and its TSC counts every
instruction of either CPU, one each; a CPU runs until it executes PAUSE (or HLT), then the other
runs. So a guest RDTSC delta around a forwarded read holds Keel's exit, emulation and ring work
on the guest's CPU, the service VM's pass that takes and answers the request on its CPU, and the
polling passes in between: both sides together. The payload prints
  mmio_forward_read_instructions       one 4-byte read of a forwarded device, exit to resume
  mmio_forward_round_trip_instructions its ring part (KEEL_STAT_FWD_TSC: submit to answer)
  mmio_posted_write_instructions       one 4-byte write to a posted region, exit to resume (the
                                       service VM takes it later, outside the interval)
  mmio_incore_read_fwd_partition_instructions  the same read from Keel's in-core test device in
                                       that partition (bench_exits.py has the NOP-subtracted one)
  rep_movsd_4k_round_trips / _exits    a 4 KiB rep movsd from RAM to a forwarded device
The run is made twice; the figures must agree (icount is deterministic). Then tools/fwd_trace.py
single-steps one forwarded read on both CPUs and splits it: keel.elf's instructions, the service
VM's, and the trace's total (which also holds the guest's own loop around the read).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = (("tests/fwd/bench.cfg", "cfg"), ("build/service/service.elf", "service"),
           ("build/guest/fwd-64.elf", "fwd"))
BENCH_RE = re.compile(r"^\[beta\] (bench \S+ \d+ \S+)\s*$")


def run_once(tmp):
    mods = []
    for path, name in MODULES:
        dst = os.path.join(tmp, name)
        shutil.copyfile(os.path.join(ROOT, path), dst)
        mods.append(dst)
    log = os.path.join(tmp, "com1.log")
    subprocess.run([os.path.join(ROOT, "tools", "qemu.sh"), "--kernel", os.path.join(ROOT, "build", "keel.elf"),
                    "--append", "loglevel=info test=1 config=cfg", "--initrd", ",".join(mods),
                    "--smp", "2", "--icount", "--serial-log", log, "--timeout", "120"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    with open(log, errors="replace") as f:
        text = f.read().replace("\r", "")
    return [m.group(1) for m in map(BENCH_RE.match, text.splitlines()) if m], text


def main():
    runs = []
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="keel-bench-fwd.") as tmp:
            lines, text = run_once(tmp)
        if len(lines) < 6:
            print(f"bench_fwd: the payload printed {len(lines)} bench lines; last console lines:")
            print("\n".join(text.splitlines()[-5:]))
            return 1
        runs.append(lines)
    if runs[0] != runs[1]:
        print("bench_fwd: two -icount runs differ:\n  " + "\n  ".join(runs[0]) + "\nvs\n  " + "\n  ".join(runs[1]))
        return 1
    print("\n".join(runs[0]))
    split = subprocess.run([os.path.join(ROOT, "tools", "fwd_trace.py"), "read", "--bench"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    lines = [ln for ln in split.stdout.splitlines() if ln.startswith("bench ")]
    if split.returncode or len(lines) != 3:
        print("bench_fwd: tools/fwd_trace.py failed:\n" + split.stdout[-500:] + split.stderr[-500:])
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
