#!/usr/bin/env python3
"""Where a forwarded access's instructions go, on both sides of the ring.

Boots tests/fwd/bench.cfg (the service VM polling on CPU 0, the forwarding payload in benchmark
mode on CPU 1) through `-kernel` under `-icount shift=0` with QEMU's gdb stub, stops in
exit_handle at the Nth nested-page-fault exit of the traced access, runs that CPU to VMRUN, and
single-steps the next round trip (the guest's instructions up to its next such exit included)
back to VMRUN. It steps one CPU at a time as QEMU's round-robin icount scheduler runs them:
a CPU runs until it executes PAUSE (QEMU's PAUSE helper ends the CPU's turn), then the other
CPU runs until its own next PAUSE. So the trace holds every instruction both CPUs execute for
the access, spin-loop passes included, in the order the benchmark's run executes them.

It prints instructions per function and side: `core:` (keel.elf on either CPU), `svc:` (the
service VM, service.elf), `guest:` (the payload). `--show FN` annotates a keel.elf function,
`--show svc:FN` a service.elf one; `--flow` lists the functions in the order they ran; `--bench`
prints only the split as `bench` lines (tests/fwd/bench_fwd.py uses it). Only PAUSE switches
CPUs here, so the service VM must poll (bench.cfg's `ring-notify poll`), not halt.

  tools/fwd_trace.py read               # a 4-byte read of the forwarded testdev (0xfeb00010)
  tools/fwd_trace.py posted-write       # a 4-byte write to the posted testdev (0xfe800010)
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEL = os.path.join(ROOT, "build", "keel.elf")
SVC = os.path.join(ROOT, "build", "service", "service.elf")
GUEST = os.path.join(ROOT, "build", "guest", "fwd-64.elf")
MODULES = ((os.path.join(ROOT, "tests", "fwd", "bench.cfg"), "cfg"), (SVC, "service"), (GUEST, "fwd"))
# enum vexit_kind 5 = nested page fault; conditions on struct vcpu *v.
PRESETS = {
    "read": "v->exit.npf.write == 0 && v->exit.npf.gpa == 0xfeb00010",
    "posted-write": "v->exit.npf.write == 1 && v->exit.npf.gpa == 0xfe800010",
}

GDB_PY = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("file %(keel)s")
gdb.execute("target remote localhost:%(port)d")
gdb.execute("set scheduler-locking off")
bp = gdb.Breakpoint("exit_handle")
bp.condition = "v->exit.kind == 5 && (%(cond)s)"
bp.ignore_count = %(skip)d
gdb.execute("continue")
bp.delete()
me = gdb.selected_thread().num
gdb.execute("break *0x%(vmrun)x thread %%d" %% me)
gdb.execute("continue")
gdb.execute("delete")
gdb.execute("set scheduler-locking on")
threads = {t.num: t for t in gdb.selected_inferior().threads()}
other = [n for n in threads if n != me][0]
cur, out, n = me, [], 0
PAUSE_ME = set(%(pause_me)s)
PAUSE_OTHER = set(%(pause_other)s)
def pc():
    return int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
while n < %(max)d:
    p = pc()
    paused = p in (PAUSE_ME if cur == me else PAUSE_OTHER)
    gdb.execute("stepi", to_string=True)
    n += 1
    out.append("S %%d %%x" %% (cur, p))
    if cur == me and pc() == 0x%(vmrun)x:
        out.append("END")
        break
    if paused:
        cur = other if cur == me else me
        threads[cur].switch()
with open("%(out)s", "w") as f:
    f.write("\n".join(out) + "\n")
gdb.execute("kill")
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def symbols(elf):
    out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = [(int(a, 16), n) for a, t, n in (ln.split() for ln in out.splitlines() if ln.count(" ") == 2)
            if t in "tTwW"]
    return syms, [a for a, _ in syms]


def disassembly(elf):
    return subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], capture_output=True, text=True,
                          check=True).stdout


def trace(a, vmrun, pauses):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="keel-fwdtrace.") as tmp:
        mods = []
        for path, name in MODULES:
            shutil.copyfile(path, os.path.join(tmp, name))
            mods.append(os.path.join(tmp, name))
        qemu = subprocess.Popen(
            [os.path.join(ROOT, "tools", "qemu.sh"), "--kernel", KEEL, "--append",
             "loglevel=info test=1 config=cfg", "--initrd", ",".join(mods), "--smp", "2", "--icount",
             "--serial-log", os.path.join(tmp, "com1.log"), "--gdb", str(port), "--timeout", "900"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        out = os.path.join(tmp, "trace.txt")
        script = os.path.join(tmp, "trace.py")
        with open(script, "w") as f:
            f.write(GDB_PY % {"keel": KEEL, "port": port, "cond": a.cond, "skip": a.skip,
                              "vmrun": vmrun, "max": a.max, "out": out,
                              "pause_me": sorted(pauses[0]), "pause_other": sorted(pauses[1])})
        try:
            gdb = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", script], capture_output=True,
                                 text=True, timeout=1800, stdin=subprocess.DEVNULL)
        finally:
            try:
                qemu.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(qemu.pid, 9)
                qemu.wait()
        if not os.path.exists(out):
            sys.exit("fwd_trace: gdb did not finish:\n" + gdb.stdout[-2000:] + gdb.stderr[-2000:])
        with open(out) as f:
            text = f.read()
        if not text.rstrip().endswith("END"):
            sys.exit(f"fwd_trace: the round trip did not reach VMRUN within {a.max} steps")
        return [(int(t), int(p, 16)) for t, p in re.findall(r"^S (\d+) ([0-9a-f]+)$", text, re.M)]


def pause_addresses(dis):
    """Where PAUSE is: QEMU's gdb stub cannot read a guest's memory through nested paging."""
    return {int(m, 16) for m in re.findall(r"^\s*([0-9a-f]+):\s+pause\b", dis, re.M)}


def name_of(pc, table, end):
    syms, addrs = table
    i = bisect.bisect_right(addrs, pc) - 1
    return None if i < 0 or pc > end else syms[i][1]


def attribute(steps, keel, svc):
    """Per step: (side, function, cpu letter); side is core (keel.elf), svc or guest."""
    keel_end, svc_end = max(keel[1]) + 0x10000, max(svc[1]) + 0x10000
    first = steps[0][0]
    for thr, pc in steps:
        k = name_of(pc, keel, keel_end) if pc < 0x200000 else None
        cpu = "G" if thr == first else "S"
        if k:
            yield pc, "core", k, cpu
        elif cpu == "G":
            yield pc, "guest", "(payload)", cpu
        else:
            yield pc, "svc", name_of(pc, svc, svc_end) or "(?)", cpu


def report(a, rows, dis):
    per_fn, per_side, flow = collections.Counter(), collections.Counter(), []
    counts = {"core": collections.Counter(), "svc": collections.Counter()}
    for pc, side, fn, cpu in rows:
        per_side[f"{side} on the {'guest' if cpu == 'G' else 'service'} cpu"] += 1
        per_fn[f"{side}: {fn}"] += 1
        if side in counts:
            counts[side][pc] += 1
        label = f"{cpu} {side}: {fn}"
        if flow and flow[-1][0] == label:
            flow[-1][1] += 1
        else:
            flow.append([label, 1])
    print(f"{len(rows)} instructions from VMRUN to VMRUN (both CPUs)")
    for name, n in sorted(per_side.items()):
        print(f"{n:6d}  {name}")
    print()
    for name, n in per_fn.most_common():
        print(f"{n:6d}  {name}")
    if a.flow:
        print("\nin order (G: the guest's CPU, S: the service VM's):")
        for label, n in flow:
            print(f"{n:6d}  {label}")
    svc_dis = disassembly(SVC) if any(f.startswith("svc:") for f in a.show) else ""
    for fn in a.show:
        text, cnt = (svc_dis, counts["svc"]) if fn.startswith("svc:") else (dis, counts["core"])
        annotate(fn[4:] if fn.startswith("svc:") else fn, text, cnt)


def annotate(fn, text, counts):
    m = re.search(r"<%s>:\n(.*?)\n\n" % re.escape(fn), text, re.S)
    if not m:
        print(f"fwd_trace: no function {fn}", file=sys.stderr)
        return
    print(f"\n{fn}:")
    for ln in m.group(1).splitlines():
        n = counts.get(int(ln.split(":")[0], 16), 0)
        print(f"{n:4d} {ln}" if n else f"     {ln}")


def bench(a, rows):
    """The split as `bench` lines: every keel.elf instruction (either CPU), the service VM's."""
    sides = collections.Counter(side for _, side, _, _ in rows)
    name = a.preset.replace("-", "_")
    print(f"bench mmio_forward_{name}_trace_instructions {len(rows)} instructions")
    print(f"bench mmio_forward_{name}_core_instructions {sides['core']} instructions")
    print(f"bench mmio_forward_{name}_service_instructions {sides['svc']} instructions")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("preset", choices=sorted(PRESETS))
    p.add_argument("--skip", type=int, default=4, help="matching exits to let pass first")
    p.add_argument("--max", type=int, default=20000, help="most instructions to step")
    p.add_argument("--flow", action="store_true", help="also print the run of functions in order")
    p.add_argument("--bench", action="store_true", help="print only the split as bench lines")
    p.add_argument("--show", action="append", default=[],
                   help="annotated disassembly of FN (keel.elf; svc:FN for service.elf)")
    a = p.parse_args()
    a.cond = PRESETS[a.preset]
    keel, svc = symbols(KEEL), symbols(SVC)
    dis = disassembly(KEEL)
    vmrun = int(re.search(r"^\s*([0-9a-f]+):\s+vmrun", dis, re.M).group(1), 16)
    keel_pause = pause_addresses(dis)
    pauses = (keel_pause | pause_addresses(disassembly(GUEST)), keel_pause | pause_addresses(disassembly(SVC)))
    steps = trace(a, vmrun, pauses)
    if not steps:
        sys.exit("fwd_trace: nothing was traced")
    rows = list(attribute(steps, keel, svc))
    if a.bench:
        bench(a, rows)
    else:
        report(a, rows, dis)
    return 0


if __name__ == "__main__":
    sys.exit(main())
