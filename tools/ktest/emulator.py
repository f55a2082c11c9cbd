"""Prepares and runs one boot case in QEMU or Bochs through tools/qemu.sh and tools/bochs.sh,
following the serial log live and stopping the emulator as soon as the outcome is known."""
import codecs
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from .console import Console, clean
from .judge import RunFacts

POWEROFF_GRACE = 20.0   # seconds the machine gets to power off after KEEL EXIT
POLL = 0.05
ABORT = threading.Event()  # set on Ctrl-C: every running case stops its emulator and returns

# Bochs log lines that tell how the machine ended (Bochs exits with status 1 whatever happened).
BOCHS_ENDINGS = (
    ("acpi", re.compile(r"ACPI control: soft power off")),
    ("port", re.compile(r"Shutdown port: shutdown requested")),
    ("triple-fault", re.compile(r"exception with no resolution")),
)
# QEMU's SHUTDOWN event reasons (qapi/run-state.json) by what they mean here.
QEMU_ENDINGS = {"guest-shutdown": "acpi", "guest-reset": "reset", "guest-panic": "panic",
                "host-signal": "", "host-qmp-quit": ""}


class Paths:
    def __init__(self, suite, case, build="build"):
        self.run = os.path.join(build, "test-runs", suite, case.name)
        self.logs = os.path.join(build, "test-logs", suite)
        self.console = os.path.join(self.logs, case.name + ".log")
        self.emu = os.path.join(self.logs, case.name + ".emu.log")
        self.bochs = os.path.join(self.logs, case.name + ".bochs.log")
        self.com2 = os.path.join(self.logs, case.name + ".com2.log")


def _mkiso(case, paths, elf):
    iso = os.path.join(paths.run, "keel.iso")
    specs = [("-" if m.absent else m.path) + ":" + m.words() for m in case.modules]
    r = subprocess.run(["tools/mkiso.sh", iso, elf, case.cmdline, *specs],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"mkiso.sh failed: {(r.stderr or r.stdout).strip()[-300:]}")
    return iso


def _initrd(case, paths):
    """QEMU -initrd passes 'FILE ARGS' whole and Keel names a module by FILE's base name, so each
    module is copied under the name it must have."""
    parts = []
    for i, m in enumerate(case.modules):
        d = os.path.join(paths.run, "mods", str(i))
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, m.name)
        shutil.copyfile(m.path, dst)
        parts.append((dst + (" " + m.args if m.args else "")).replace(",", ",,"))
    return ",".join(parts)


def command(case, paths, elf):
    """The emulator command line for a case; builds the ISO or module copies it needs."""
    shutil.rmtree(paths.run, ignore_errors=True)
    os.makedirs(paths.run)
    os.makedirs(paths.logs, exist_ok=True)
    for m in case.modules:
        if not m.absent and not os.path.isfile(m.path):
            raise RuntimeError(f"module file '{m.path}' does not exist (use absent-module: on purpose)")
    if case.com2:
        open(paths.com2, "wb").close()
    if case.emulator == "bochs":
        com2 = ["--com2-log", paths.com2] if case.com2 else []
        return ["tools/bochs.sh", "--iso", _mkiso(case, paths, elf), "--model", case.cpu,
                "--cpus", str(case.smp), "--mem", str(case.memory), "--ips", str(case.ips),
                "--dir", paths.run, "--serial-log", paths.console, "--log", paths.bochs,
                *com2, "--timeout", str(case.timeout + 30)]
    serial = ["--serial-pipe", _pipe_base(paths)] if case.inputs else ["--serial-log", paths.console]
    if case.com2:
        serial += ["--serial", "file:" + paths.com2]
    cmd = ["tools/qemu.sh", "--cpu", case.cpu, "--smp", str(case.smp), "--mem", str(case.memory),
           *serial, "--timeout", str(case.timeout + 30)]
    if case.icount:
        cmd.append("--icount")
    if case.boot == "kernel":
        cmd += ["--kernel", elf, "--append", case.cmdline]
        if case.modules:
            cmd += ["--initrd", _initrd(case, paths)]
    else:
        cmd += ["--iso", _mkiso(case, paths, elf)]
        if case.boot == "iso-uefi":
            cmd += ["--uefi", "--vars", os.path.join(paths.run, "ovmf-vars.fd")]
    return cmd + ["--", "-qmp", "stdio"]


def _pipe_base(paths):
    return os.path.join(paths.run, "com1")


class SerialPipe(threading.Thread):
    """COM1 through FIFOs (cases with `input:`): QEMU's output is copied into the console log, so
    the rest of the runner reads it as usual, and input is written when its trigger line came."""

    def __init__(self, paths, inputs, emu_log):
        super().__init__(daemon=True)
        base = _pipe_base(paths)
        for end in (".in", ".out"):
            os.mkfifo(base + end)
        # O_RDWR opens a FIFO without waiting for the other end (Linux), as QEMU does.
        self.fd_in = os.open(base + ".in", os.O_RDWR)
        self.fd_out = os.open(base + ".out", os.O_RDWR | os.O_NONBLOCK)
        self.log = open(paths.console, "ab")
        self.inputs, self.emu_log = list(inputs), emu_log
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            if not self._copy():
                time.sleep(0.02)
        self._copy()

    def _copy(self):
        try:
            data = os.read(self.fd_out, 65536)
        except BlockingIOError:
            return False
        self.log.write(data)
        self.log.flush()
        return bool(data)

    def feed(self, con):
        """Sends the inputs in order, each once some console line matches its trigger."""
        while self.inputs:
            rx, data = self.inputs[0]
            if not any(rx.search(line) for line in con.lines):
                return
            os.write(self.fd_in, data)
            self.emu_log.write(f"keeltest: sent {len(data)} bytes to COM1 after /{rx.pattern}/\n".encode())
            self.inputs.pop(0)

    def close(self):
        self.stop.set()
        self.join(5)
        for fd in (self.fd_in, self.fd_out):
            os.close(fd)
        self.log.close()


class QmpReader(threading.Thread):
    """Reads QEMU's QMP events from its stdout (after the greeting, capabilities are negotiated)."""

    def __init__(self, proc, log):
        super().__init__(daemon=True)
        self.proc, self.log, self.shutdown = proc, log, None
        self.answers = []  # human-monitor-command replies, in order

    def ask(self, command):
        """Sends a monitor command; its reply lands in self.answers (and the emulator log)."""
        msg = {"execute": "human-monitor-command", "arguments": {"command-line": command}}
        try:
            self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            pass

    def run(self):
        try:
            self.proc.stdin.write(b'{"execute": "qmp_capabilities"}\n')
            self.proc.stdin.flush()
        except OSError:
            return
        for raw in self.proc.stdout:
            self.log.write(b"qmp: " + raw)
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("event") == "SHUTDOWN" and self.shutdown is None:
                self.shutdown = msg.get("data", {}).get("reason", "")
            if isinstance(msg.get("return"), str) and msg["return"]:
                self.answers.append(msg["return"])


class SerialTail:
    """The console log as the emulator writes it, decoded without splitting UTF-8 sequences."""

    def __init__(self, path):
        self.file = open(path, "rb")
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def read(self, final=False):
        return self.decoder.decode(self.file.read(), final)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


def _stop(proc):
    """Ends the emulator's process group (this runner started it in a session of its own)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _bochs_ending(path):
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return next((what for what, rx in BOCHS_ENDINGS if rx.search(text)), "")


def _com2_lines(path):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [ln for ln in (clean(raw) for raw in text.split("\n")) if ln]


def _tail_error(path):
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("qmp:")]
    except OSError:
        return ""
    errs = [ln for ln in lines if "error" in ln.lower() or "qemu-system" in ln or "PANIC" in ln]
    return (errs or lines or [""])[-1][:200]


RFB_BUSY = re.compile(r"RFB could not bind any port")


def _rfb_busy(case, paths, con):
    """Bochs could not open its (unused) screen server: a host hiccup, not Keel's doing."""
    if case.emulator != "bochs" or con.lines:
        return False
    try:
        with open(paths.bochs, errors="replace") as f:
            return bool(RFB_BUSY.search(f.read()))
    except OSError:
        return False


def run(case, paths, elf):
    """Boots the case and returns (Console, RunFacts); raises RuntimeError if it cannot start.
    A Bochs run that died before Keel printed anything because no RFB port was free is run once
    more (the retry is written to the emulator log)."""
    con, facts = _run_once(case, paths, elf)
    if _rfb_busy(case, paths, con):
        time.sleep(3)
        con, facts = _run_once(case, paths, elf)
        with open(paths.emu, "ab") as emu_log:
            emu_log.write(b"keeltest: the first run found no free RFB port; this was the retry\n")
    return con, facts


def _run_once(case, paths, elf):
    cmd = command(case, paths, elf)
    con, facts = Console(), RunFacts()
    open(paths.console, "wb").close()
    start = time.monotonic()
    with open(paths.emu, "wb") as emu_log, SerialTail(paths.console) as serial:
        emu_log.write(("$ " + " ".join(cmd) + "\n").encode())
        emu_log.flush()
        qemu = case.emulator == "qemu"
        pipe = SerialPipe(paths, case.inputs, emu_log) if case.inputs else None
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if qemu else subprocess.DEVNULL,
                                stdout=subprocess.PIPE if qemu else emu_log, stderr=emu_log,
                                start_new_session=True)
        qmp = QmpReader(proc, emu_log) if qemu else None
        if qmp:
            qmp.start()
        if pipe:
            pipe.start()
        try:
            _follow(case, proc, serial, con, facts, start, pipe)
            if facts.timed_out and qmp:
                facts.cpu_rips = _cpu_rips(qmp)
        finally:
            _stop(proc)
            if pipe:
                pipe.close()
        con.feed(serial.read(final=True))
        con.finish()
        if qmp:
            qmp.join(5)
            facts.poweroff = QEMU_ENDINGS.get(qmp.shutdown, qmp.shutdown or "")
    if not qemu:
        facts.poweroff = _bochs_ending(paths.bochs)
    if case.com2:
        facts.com2_lines = _com2_lines(paths.com2)
    if facts.exited and not con.finished:
        facts.emu_error = _tail_error(paths.emu)
    facts.seconds = time.monotonic() - start
    return con, facts


def _cpu_rips(qmp, wait=3.0):
    """Each CPU's RIP at a timeout, from the monitor (a CPU in its guest shows the guest's)."""
    qmp.ask("info registers -a")
    end = time.monotonic() + wait
    while not qmp.answers and time.monotonic() < end:
        time.sleep(POLL)
    text = qmp.answers[0] if qmp.answers else ""
    return [int(r, 16) for r in re.findall(r"\bRIP=([0-9a-fA-F]+)", text)]


def _follow(case, proc, serial, con, facts, start, pipe):
    deadline = start + case.timeout
    exit_seen = False
    while True:
        con.feed(serial.read())
        if pipe:
            pipe.feed(con)
        if con.events["fatal"]:
            return
        if con.events["exit"] and not exit_seen:
            exit_seen = True
            deadline = time.monotonic() + POWEROFF_GRACE
        if proc.poll() is not None:
            facts.exited = True
            return
        if time.monotonic() > deadline or ABORT.is_set():
            facts.timed_out = True
            return
        time.sleep(POLL)
