#!/usr/bin/env python3
"""Benchmark: Keel's interrupt paths in instructions, measured by the irq payload itself.

QEMU runs keel.elf through -kernel under `-icount shift=0`, where the guest TSC counts one per
instruction (docs/platform facts: a world switch counts about one). The payload, given `bench=1`,
prints the fewest TSC ticks over 16 runs of:
  irq_inject_instructions               the test device's interrupt register write (an MMIO exit)
                                        to the first RDTSC of the handler: decode and emulation of
                                        the write, the IOAPIC, the vLAPIC, injection, delivery;
  irq_inject_beyond_exit_instructions   the same minus the write to a masked pin (the exit alone);
  lapic_eoi_instructions                an EOI write with nothing in service, RDTSC to RDTSC.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELF = os.path.join(ROOT, "build", "keel.elf")
PAYLOAD = os.path.join(ROOT, "build", "guest", "irq-64.elf")
LINE = re.compile(r"^\[guest0\] (bench \S+ \d+ \S+)\s*$")


def main():
    for f in (ELF, PAYLOAD):
        if not os.path.exists(f):
            print(f"bench_irq: {f} is missing (make all guests)", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="keel-bench-irq.") as tmp:
        mod = os.path.join(tmp, "irq")
        shutil.copy(PAYLOAD, mod)
        log = os.path.join(tmp, "com1.log")
        cmd = [os.path.join(ROOT, "tools", "qemu.sh"), "--kernel", ELF, "--icount",
               "--append", "loglevel=info test=1 guest=irq guest_mode=long64",
               "--initrd", f"{mod} bench=1", "--serial-log", log, "--timeout", "180"]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
    found = [m.group(1) for m in map(LINE.match, text.splitlines()) if m]
    for b in found:
        print(b)
    if len(found) != 3 or "KEEL EXIT 0" not in text:
        print(f"bench_irq: {len(found)} of 3 figures; KEEL EXIT 0 {'seen' if 'KEEL EXIT 0' in text else 'missing'}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
