#!/usr/bin/env python3
"""Where one exit's instructions go: single-steps one round trip under QEMU's gdb stub.

Boots keel.elf with a payload (default: the exit benchmark, tests/guest/bench.c) through
`-kernel` under `-icount shift=0`, stops in exit_handle (or `--at FN`) at the Nth exit of a kind
that matches a condition, runs to the VMRUN instruction (`--trips N`: to the Nth), then steps every instruction of the next full round
trip (the guest's own instructions up to its next exit included) back to VMRUN, and prints the
instructions per function of keel.elf (`(guest)` for the guest's). The presets pick exits of
the benchmark's loops, whose next exit is another of the same kind. `--show FN` prints FN's
disassembly with each instruction's count. docs/performance.md uses it; about a minute a run.

  tools/exit_trace.py cpuid                  # CPUID leaf 0 (the bench's loop, SVM's fast loop)
  tools/exit_trace.py mmio-read --show mmio_run
  tools/exit_trace.py --kind 4 --cond 'v->exit.io.port == 0x3ff' --payload ELF --name NAME
"""
import argparse
import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELF = os.path.join(ROOT, "build", "keel.elf")
PAYLOAD = os.path.join(ROOT, "build", "guest", "bench-64.elf")
# enum vexit_kind values (arch/x86/include/arch/vcpu.h) and conditions on struct vcpu *v.
# A kind of None stops in the function named third instead of exit_handle, after as many
# matches as the fourth says, and traces the round trip after as many VMRUNs as the fifth:
# CPUID exits are answered in SVM's run loop, entered at the first CPUID exit after any other
# exit (svm_run_fast; its VMCB's RAX, the guest's leaf, at 5F8h), and reach exit_handle only on
# a memo miss; the second round trip from there is one of the loop's.
PRESETS = {
    "cpuid": (None, "((unsigned long *)$rdx)[0x5f8 / 8] == 0", "*svm_run_fast", 0, 2),
    "hypercall": (7, "v->regs.gpr[0] == 0"),
    "mmio-read": (5, "v->exit.npf.write == 0 && v->exit.npf.gpa == 0xfeb00000"),
    "mmio-write": (5, "v->exit.npf.write == 1 && v->exit.npf.gpa == 0xfeb00000"),
    "pio-out": (4, "v->exit.io.port == 0x3ff && !v->exit.io.in"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def symbols():
    out = subprocess.run(["nm", "-n", ELF], capture_output=True, text=True, check=True).stdout
    syms = [(int(a, 16), n) for a, t, n in (ln.split() for ln in out.splitlines() if ln.count(" ") == 2)
            if t in "tTwW"]
    return syms, [a for a, _ in syms]


def vmrun_address():
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", ELF], capture_output=True,
                         text=True, check=True).stdout
    return re.search(r"^\s*([0-9a-f]+):\s+vmrun", dis, re.M).group(1), dis


def trace(a, vmrun):
    port = free_port()
    kind = f"v->exit.kind == {a.kind} && " if a.kind is not None else ""
    with tempfile.TemporaryDirectory(prefix="keel-trace.") as tmp:
        mods = os.path.join(tmp, "mods")
        os.makedirs(mods)
        os.symlink(os.path.abspath(a.payload), os.path.join(mods, a.name))
        qemu = subprocess.Popen(
            [os.path.join(ROOT, "tools", "qemu.sh"), "--kernel", ELF, "--append",
             f"loglevel=info test=1 guest={a.name} guest_mode=long64",
             "--initrd", os.path.join(mods, a.name), "--icount",
             "--serial-log", os.path.join(tmp, "com1.log"), "--gdb", str(port), "--timeout", "600"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        script = os.path.join(tmp, "trace.gdb")
        with open(script, "w") as f:
            f.write(f"""set pagination off
set confirm off
file {ELF}
target remote localhost:{port}
break {a.at} if {kind}({a.cond})
ignore 1 {a.skip}
continue
delete
break *0x{vmrun}
continue
{"continue" + chr(10) if a.trips > 1 else ""}delete
set $n = 0
while $n < {a.max}
  stepi
  printf "PC %lx\\n", $pc
  if $pc == 0x{vmrun}
    set $n = {a.max}
  end
  set $n = $n + 1
end
kill
""")
        try:
            gdb = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", script], capture_output=True,
                                 text=True, timeout=900, stdin=subprocess.DEVNULL)
        finally:
            try:
                qemu.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(qemu.pid, 9)
                qemu.wait()
    return [int(x, 16) for x in re.findall(r"^PC ([0-9a-f]+)", gdb.stdout, re.M)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("preset", nargs="?", choices=sorted(PRESETS))
    p.add_argument("--kind", type=int, help="enum vexit_kind of the exit to trace")
    p.add_argument("--cond", default="1", help="gdb condition on struct vcpu *v")
    p.add_argument("--payload", default=PAYLOAD)
    p.add_argument("--name", default="bench", help="the payload's module name")
    p.add_argument("--skip", type=int, default=50, help="matching exits to let pass first")
    p.add_argument("--max", type=int, default=40000, help="most instructions to step")
    p.add_argument("--at", default="exit_handle", help="the function to stop in first")
    p.add_argument("--trips", type=int, default=1,
                   help="trace the round trip after this many VMRUNs")
    p.add_argument("--show", action="append", default=[], help="annotated disassembly of FN")
    a = p.parse_args()
    if a.preset:
        a.kind, a.cond = PRESETS[a.preset][:2]
        if len(PRESETS[a.preset]) > 2:
            a.at, a.skip, a.trips = PRESETS[a.preset][2:]
    if a.kind is None and a.at == "exit_handle":
        p.error("give a preset or --kind")
    syms, addrs = symbols()
    vmrun, dis = vmrun_address()
    pcs = trace(a, vmrun)
    if not pcs:
        sys.exit("exit_trace: nothing was traced (does the payload make such an exit?)")
    end = max(addrs)
    per_fn, per_pc = collections.Counter(), collections.Counter(pcs)
    for pc in pcs:
        i = bisect.bisect_right(addrs, pc) - 1
        per_fn["(guest)" if i < 0 or pc > end + 0x10000 else syms[i][1]] += 1
    print(f"{len(pcs)} instructions from VMRUN to VMRUN")
    for name, n in per_fn.most_common():
        print(f"{n:6d}  {name}")
    for fn in a.show:
        m = re.search(r"<%s>:\n(.*?)\n\n" % re.escape(fn), dis, re.S)
        if not m:
            print(f"exit_trace: no function {fn}", file=sys.stderr)
            continue
        print(f"\n{fn}:")
        for ln in m.group(1).splitlines():
            n = per_pc.get(int(ln.split(":")[0], 16), 0)
            print(f"{n:4d} {ln}" if n else f"     {ln}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
