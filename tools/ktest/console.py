"""Keel's console protocol (docs/boot.md, docs/architecture.md): line patterns and the evidence
collected from a serial log. The table is the single place that knows the line formats."""
import re

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# kind -> pattern matched at the start of a cleaned line
PATTERNS = {
    "boot": r"keel: boot: loader (?P<loader>\S+) firmware (?P<firmware>\S+) bootloader '(?P<bootloader>.*)'\s*$",
    "cpu": r"keel: cpu: vendor (?P<vendor>\S+) family (?P<family>\S+) model (?P<model>\S+)"
           r" hypervisor-bit (?P<hv>[01])\b",
    "madt": r"keel: acpi: madt: (?P<count>\d+) cpus?, apic ids(?P<ids>(?: \S+)*)\s*$",
    "online": r"keel: cpu (?P<index>\d+) online apic (?P<apic>\S+)\s*$",
    "smp": r"keel: smp: (?P<online>\d+) of (?P<total>\d+) cpus? online\b",
    # A guest's lines come prefixed with its partition's name: its verdicts are "<partition>/<name>".
    "verdict": r"(?:\[(?P<part>[^\]]*)\]\s*)?VERDICT (?P<status>PASS|FAIL|SKIP) (?P<name>\S+)(?: (?P<detail>.*))?$",
    "backend": r"keel: virt: backend (?P<backend>\S+)\s*$",
    "fatal": r"keel: fatal: (?P<message>.*)$",
    "exit": r"KEEL EXIT (?P<n>\d+)\s*$",
    # One per partition at the end of a run (docs/partitions.md "Status lines").
    "status": r"keel: partition (?P<name>[a-z0-9_-]+): (?P<state>stopped|running|not started), verdicts "
              r"(?P<passed>\d+) passed (?P<failed>\d+) failed, (?P<exits>\d+) exits(?:: (?P<reason>.*))?$",
}
COMPILED = {k: re.compile(v) for k, v in PATTERNS.items()}


def clean(raw):
    """One console line without ANSI escapes, carriage returns or surrounding blanks."""
    return ANSI_RE.sub("", raw).replace("\r", "").replace("\x00", "").strip()


def apic_key(text):
    """APIC IDs compare by value whatever their notation (decimal, or hex with 0x)."""
    t = text.lower()
    try:
        return int(t, 16) if t.startswith("0x") else int(t, 10)
    except ValueError:
        return t


class Console:
    """Evidence from one run's console: every protocol line by kind, in order."""

    def __init__(self):
        self.lines = []
        self.events = {k: [] for k in PATTERNS}
        self._partial = ""

    def feed(self, text):
        """Takes more console text; only complete lines are interpreted."""
        data = self._partial + text
        *complete, self._partial = data.split("\n")
        for raw in complete:
            self.add_line(raw)

    def finish(self):
        if self._partial.strip():
            self.add_line(self._partial)
        self._partial = ""

    def add_line(self, raw):
        line = clean(raw)
        if not line:
            return
        self.lines.append(line)
        for kind, rx in COMPILED.items():
            m = rx.match(line)
            if m:
                ev = m.groupdict()
                ev["at"] = len(self.lines) - 1
                if ev.get("part"):
                    ev["name"] = f"{ev['part']}/{ev['name']}"
                self.events[kind].append(ev)
                break

    def first(self, kind):
        ev = self.events[kind]
        return ev[0] if ev else None

    def last_line(self):
        return self.lines[-1] if self.lines else "(nothing on the console)"

    @property
    def finished(self):
        """True once the kernel said its last word: KEEL EXIT or a fatal error."""
        return bool(self.events["exit"] or self.events["fatal"])


def parse_text(text):
    con = Console()
    con.feed(text)
    con.finish()
    return con
