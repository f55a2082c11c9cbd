#!/usr/bin/env python3
"""Benchmark: Debian's kernel booting to /init under Keel against the same kernel, initramfs and
command line booted directly by QEMU, both under -icount shift=0,sleep=off (the TSC counts one
per instruction any CPU executes, from the machine's start, a Keel partition's TSC offset being
0; when every CPU halts, the clock jumps to the next timer at once, so idle time costs no wall
time and the count repeats from run to run).

Keel boots tests/linux/bench.cfg (the service VM on CPU 0, Linux on CPU 1 with its console
forwarded); its /init prints the TSC first thing (/bin/rdtsc) and powers off (keeltest.bench).
QEMU then boots the kernel itself (-kernel, its own loader ROM) with the command line Keel
printed for the partition and as much RAM as the partition has. It prints
  linux_boot_overhead_ratio       TSC at /init under Keel / TSC at /init on QEMU alone
  linux_boot_wall_ratio           the same in wall-clock seconds to that console line
  linux_boot_instructions_keel / _qemu, linux_boot_wall_keel / _qemu
  linux_boot_exits                the Linux partition's exits, boot to power-off
  linux_boot_console_round_trips  its accesses forwarded to the service VM (the console UART)
  linux_boot_port_exits, linux_boot_mmio_exits, linux_boot_interrupts
The consoles stay in build/bench-logs/linux/.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = (("tests/linux/bench.cfg", "cfg"), ("build/service/service.elf", "service"),
           ("build/linux/vmlinuz", "bzImage"), ("build/linux/initrd.cpio.gz", "initrd"))
INIT_RE = re.compile(r"KEEL-LINUX: init reached at tsc (\d+)")
CMDLINE_RE = re.compile(r"^keel: partition linux: linux .* command line: (.*)$", re.M)
STOP_RE = re.compile(r"^keel: partition linux: stopped, .* (\d+) exits", re.M)
STATS_RE = re.compile(r"^keel: partition linux: (\d+) port and (\d+) MMIO exits, (\d+) forwarded "
                      r"\((\d+) unanswered\), (\d+) interrupts injected", re.M)
KEEL_END_RE = re.compile(r"^KEEL EXIT \d+", re.M)
QEMU_END_RE = re.compile(r"reboot: System halted")
TIMEOUT = 900


def run(args, log, end_re):
    """Runs QEMU through tools/qemu.sh until it exits or a console line matches end_re; returns
    (console text, seconds from the start until the /init line)."""
    if os.path.exists(log):
        os.remove(log)
    start = time.monotonic()
    p = subprocess.Popen([os.path.join(ROOT, "tools", "qemu.sh"), "--serial-log", log,
                          "--timeout", str(TIMEOUT)] + args + ["--", "-icount", "shift=0,sleep=off"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = None
    while p.poll() is None:
        time.sleep(0.05)
        text = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                text = f.read()
        if seen is None and INIT_RE.search(text):
            seen = time.monotonic() - start
        if end_re.search(text):
            p.terminate()
            p.wait()
    with open(log, errors="replace") as f:
        text = f.read().replace("\r", "")
    if seen is None and INIT_RE.search(text):
        seen = time.monotonic() - start
    return text, seen


def fail(what, text):
    print(f"bench_linux: {what}; last console lines:")
    print("\n".join(text.splitlines()[-8:]))
    return 1


def main():
    logs = os.path.join(ROOT, "build", "bench-logs", "linux")
    os.makedirs(logs, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="keel-bench-linux.") as tmp:
        mods = []
        for path, name in MODULES:
            dst = os.path.join(tmp, name)
            shutil.copyfile(os.path.join(ROOT, path), dst)
            mods.append(dst)
        keel, keel_wall = run(["--kernel", os.path.join(ROOT, "build", "keel.elf"), "--append",
                               "loglevel=info test=1 config=cfg", "--initrd", ",".join(mods), "--smp", "2"],
                              os.path.join(logs, "keel.log"), KEEL_END_RE)
        init, cmd, stop, stats = (INIT_RE.search(keel), CMDLINE_RE.search(keel), STOP_RE.search(keel),
                                  STATS_RE.search(keel))
        if not (init and cmd and stop and stats and keel_wall):
            return fail("the boot under Keel did not reach /init and power off", keel)
        qemu, qemu_wall = run(["--kernel", os.path.join(ROOT, "build", "linux", "vmlinuz"), "--append",
                               cmd.group(1), "--mem", "256", "--initrd", mods[3]],
                              os.path.join(logs, "qemu.log"), QEMU_END_RE)
        direct = INIT_RE.search(qemu)
        if not (direct and qemu_wall):
            return fail("the direct boot did not reach /init", qemu)
    k, q = int(init.group(1)), int(direct.group(1))
    port, mmio, fwd, _, irqs = (int(x) for x in stats.groups())
    print(f"bench linux_boot_overhead_ratio {k / q:.3f} ratio")
    print(f"bench linux_boot_wall_ratio {keel_wall / qemu_wall:.3f} ratio")
    print(f"bench linux_boot_instructions_keel {k} instructions")
    print(f"bench linux_boot_instructions_qemu {q} instructions")
    print(f"bench linux_boot_wall_keel {keel_wall:.1f} s")
    print(f"bench linux_boot_wall_qemu {qemu_wall:.1f} s")
    print(f"bench linux_boot_exits {stop.group(1)} exits")
    print(f"bench linux_boot_console_round_trips {fwd} round_trips")
    print(f"bench linux_boot_port_exits {port} exits")
    print(f"bench linux_boot_mmio_exits {mmio} exits")
    print(f"bench linux_boot_interrupts {irqs} interrupts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
