#!/usr/bin/env python3
"""Benchmark: Keel's boot path length in guest instructions, measured from outside.

QEMU runs keel.elf through -kernel under `-icount shift=0,rr=record`, stopped under its gdb stub;
at each measuring point `monitor info replay` gives the count of guest instructions executed since
reset (record mode counts instructions only). Keel is not changed for this. Points: the ELF entry
(_start32), kmain's first instruction, and the bootstrap CPU's first HLT (Keel's end of boot when
its command line has no test=1). QEMU's record mode refuses SMP, so this measures one CPU.

Entry to kmain must repeat exactly over three runs. Entry to HLT includes Keel's timed waits
(ACPI PM timer polls): where the timer's phase stands when Keel starts depends on how long the
firmware idled in real time, so that figure moves by a few hundred instructions from run to run;
the bench prints the median of three runs and their spread.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELF = os.path.join(ROOT, "build", "keel.elf")
TIMEOUT = 120
RUNS = 3
COUNT_RE = re.compile(r"instruction count = (\d+)")
POINTS = ("entry", "kmain", "halt")
PROBE = "monitor info replay"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hlt_addresses():
    """Every HLT instruction in Keel's image (code copied elsewhere, such as a trampoline, is not)."""
    dis = subprocess.run(["objdump", "-d", ELF], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^\s*([0-9a-f]+):\s+f4\s+hlt\b", dis, re.M)


def gdb_script(port, hlts):
    lines = ["set pagination off", "set confirm off", f"file {ELF}",
             f"target remote localhost:{port}", "break *_start32", "continue", PROBE,
             "delete", "break kmain", "continue", PROBE, "delete"]
    lines += [f"break *0x{a}" for a in hlts]
    lines += ["continue", PROBE, "kill"]
    return "\n".join(lines) + "\n"


def measure():
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="keel-bench.") as tmp:
        script = os.path.join(tmp, "bench.gdb")
        with open(script, "w") as f:
            f.write(gdb_script(port, hlt_addresses()))
        qemu = subprocess.Popen(
            [os.path.join(ROOT, "tools", "qemu.sh"), "--kernel", ELF, "--append", "loglevel=info",
             "--serial-log", os.path.join(tmp, "com1.log"), "--gdb", str(port),
             "--timeout", str(TIMEOUT), "--",
             "-icount", f"shift=0,rr=record,rrfile={os.path.join(tmp, 'replay.bin')}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        try:
            gdb = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", script], capture_output=True,
                                 text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        finally:
            try:
                qemu.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(qemu.pid, 15)
                qemu.wait()
    found = [int(v) for v in COUNT_RE.findall(gdb.stdout + gdb.stderr)]
    counts = dict(zip(POINTS, found))
    missing = [k for k in POINTS if k not in counts]
    if missing:
        tail = (gdb.stdout + gdb.stderr + qemu.stderr.read().decode()).strip().splitlines()[-4:]
        raise RuntimeError(f"no instruction count at {', '.join(missing)}: " + " | ".join(tail))
    return {"entry_to_kmain": counts["kmain"] - counts["entry"],
            "entry_to_halt": counts["halt"] - counts["entry"]}


def main():
    if not os.path.isfile(ELF):
        print(f"bench_boot: {ELF} is missing; run make", file=sys.stderr)
        return 1
    try:
        runs = [measure() for _ in range(RUNS)]
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        print(f"bench_boot: {e}", file=sys.stderr)
        return 1
    kmain = {r["entry_to_kmain"] for r in runs}
    if len(kmain) != 1:
        print(f"bench_boot: entry_to_kmain not repeatable: {sorted(kmain)}", file=sys.stderr)
        return 1
    print(f"bench boot.entry_to_kmain.smp1 {kmain.pop()} instructions", flush=True)
    halt = sorted(r["entry_to_halt"] for r in runs)
    print(f"bench boot.entry_to_halt.smp1 {halt[len(halt) // 2]} instructions", flush=True)
    print(f"bench boot.entry_to_halt.smp1.spread {halt[-1] - halt[0]} instructions", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
