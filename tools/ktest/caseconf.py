"""Boot case files (*.case) and verdict manifests: parsing and validation.

A case file holds `key: value` lines and `#` comment lines; repeatable keys may appear again.
docs/testing.md describes every key.
"""
import os
import re
from dataclasses import dataclass, field

EMULATORS = ("qemu", "bochs")
BOOTS = ("iso-bios", "iso-uefi", "kernel")
POWEROFF = ("acpi", "any")
DEFAULT_CPU = {"qemu": "qemu64,+svm,+npt"}
DEFAULT_TIMEOUT = {"qemu": 300, "bochs": 400}
NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")

# The CPU vendor each emulated model reports (read from CPUID inside QEMU 7.2 and Bochs 2.7).
VENDOR_OF_MODEL = {
    "qemu64": "AuthenticAMD",
    "EPYC": "AuthenticAMD",
    "phenom": "AuthenticAMD",
    "corei7_haswell_4770": "GenuineIntel",
    "corei7_skylake_x": "GenuineIntel",
    "ryzen": "AuthenticAMD",
    "zambezi": "AuthenticAMD",
    "trinity_apu": "AuthenticAMD",
    "phenom_8650_toliman": "AuthenticAMD",
}


class CaseError(Exception):
    pass


@dataclass
class Module:
    path: str
    name: str
    args: str = ""
    absent: bool = False

    def words(self):
        return (self.name + " " + self.args).strip()


@dataclass
class Case:
    name: str
    path: str
    emulator: str = ""
    boot: str = ""
    cpu: str = ""
    smp: int = 1
    memory: int = 512
    cmdline: str = ""
    modules: list = field(default_factory=list)
    icount: bool = False
    ips: int = 50_000_000
    timeout: int = 0
    apic_ids: list = None
    vendor: str = ""
    manifests: list = field(default_factory=list)
    backend: str = ""
    expect: list = field(default_factory=list)
    expect_counts: list = field(default_factory=list)
    reject: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    com2: list = field(default_factory=list)
    fatal: object = None
    poweroff: str = "acpi"
    skip: str = ""
    checks: list = field(default_factory=list)

    @property
    def cpu_model(self):
        return self.cpu.split(",", 1)[0]


def _int(v, lo, hi):
    if not re.fullmatch(r"\d+", v) or not lo <= int(v) <= hi:
        raise CaseError(f"'{v}' is not a number in {lo}..{hi}")
    return int(v)


def _choice(v, allowed):
    if v not in allowed:
        raise CaseError(f"'{v}' is not one of {', '.join(allowed)}")
    return v


def _regex(v):
    try:
        return re.compile(v)
    except re.error as e:
        raise CaseError(f"bad regular expression '{v}': {e}") from None


def _module(v, absent):
    """`FILE NAME [ARGS]`, or for a module that must be missing `NAME [ARGS]`."""
    words = v.split(None, 1 if absent else 2)
    if len(words) < (1 if absent else 2):
        raise CaseError(f"want '{'NAME' if absent else 'FILE NAME'} [ARGS]', got '{v}'")
    path, rest = ("-", words) if absent else (words[0], words[1:])
    if not NAME_RE.match(rest[0]):
        raise CaseError(f"module name '{rest[0]}' must be one plain word")
    return Module(path, rest[0], rest[1] if len(rest) > 1 else "", absent)


def _count(v):
    """`N REGEX`: exactly N console lines match REGEX."""
    n, _, rx = v.partition(" ")
    return _int(n, 0, 1_000_000), _regex(rx.strip())


def _input(v):
    """`REGEX => TEXT`: once a console line matches REGEX, TEXT (Python escapes: \\x14, \\n) goes
    to COM1's input."""
    rx, sep, text = v.partition(" => ")
    if not sep or not text:
        raise CaseError(f"want 'REGEX => TEXT', got '{v}'")
    try:
        data = text.encode("latin-1").decode("unicode_escape").encode("latin-1")
    except (UnicodeError, ValueError) as e:
        raise CaseError(f"bad escape in '{text}': {e}") from None
    return _regex(rx.strip()), data


def _bool(v):
    return _choice(v, ("0", "1", "yes", "no")) in ("1", "yes")


# key -> (Case attribute, parser, repeatable)
KEYS = {
    "emulator": ("emulator", lambda v: _choice(v, EMULATORS), False),
    "boot": ("boot", lambda v: _choice(v, BOOTS), False),
    "cpu": ("cpu", str, False),
    "smp": ("smp", lambda v: _int(v, 1, 64), False),
    "memory": ("memory", lambda v: _int(v, 32, 65536), False),
    "cmdline": ("cmdline", str, False),
    "module": ("modules", lambda v: _module(v, False), True),
    "absent-module": ("modules", lambda v: _module(v, True), True),
    "icount": ("icount", _bool, False),
    "ips": ("ips", lambda v: _int(v, 1_000_000, 4_000_000_000), False),
    "timeout": ("timeout", lambda v: _int(v, 1, 3600), False),
    "apic-ids": ("apic_ids", str.split, False),
    "vendor": ("vendor", str, False),
    "backend": ("backend", lambda v: _choice(v, ("svm", "vmx")), False),
    "manifest": ("manifests", str, True),
    "expect": ("expect", _regex, True),
    "expect-count": ("expect_counts", _count, True),
    "input": ("inputs", _input, True),
    "reject": ("reject", _regex, True),
    "com2": ("com2", _regex, True),
    "fatal": ("fatal", _regex, False),
    "poweroff": ("poweroff", lambda v: _choice(v, POWEROFF), False),
    "skip": ("skip", str, False),
    "check": ("checks", str, True),
}


def parse_case(path, text=None):
    """Parses one case file; raises CaseError naming the file and line on any mistake."""
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    case = Case(name=os.path.splitext(os.path.basename(path))[0], path=path)
    seen = set()
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        try:
            if not sep or key not in KEYS:
                raise CaseError(f"unknown key '{key}'" if sep else "expected 'key: value'")
            attr, conv, many = KEYS[key]
            if not many and key in seen:
                raise CaseError(f"'{key}' given twice")
            seen.add(key)
            parsed = conv(value)
            if many:
                getattr(case, attr).append(parsed)
            else:
                setattr(case, attr, parsed)
        except CaseError as e:
            raise CaseError(f"{path}:{no}: {e}") from None
    try:
        _validate(case)
    except CaseError as e:
        raise CaseError(f"{path}: {e}") from None
    return case


def _validate(c):
    if not c.emulator or not c.boot:
        raise CaseError("'emulator' and 'boot' are required")
    if c.emulator == "bochs" and c.boot != "iso-bios":
        raise CaseError("bochs boots the ISO on its BIOS only (boot: iso-bios)")
    if c.icount and c.emulator != "qemu":
        raise CaseError("icount is a QEMU option")
    if c.inputs and c.emulator != "qemu":
        raise CaseError("input goes through a QEMU pipe: QEMU only")
    if c.boot == "kernel" and any(m.absent for m in c.modules):
        raise CaseError("absent-module needs an ISO boot (QEMU -initrd refuses missing files)")
    c.cpu = c.cpu or DEFAULT_CPU.get(c.emulator, "")
    if not c.cpu:
        raise CaseError("'cpu' is required for bochs (a Bochs CPU model)")
    c.timeout = c.timeout or DEFAULT_TIMEOUT[c.emulator]
    c.vendor = c.vendor or VENDOR_OF_MODEL.get(c.cpu_model, "")
    if not c.vendor:
        raise CaseError(f"no known vendor for CPU model '{c.cpu_model}': add 'vendor:'")
    if c.apic_ids is not None and len(c.apic_ids) != c.smp:
        raise CaseError(f"apic-ids lists {len(c.apic_ids)} ids for smp {c.smp}")


def load_manifest(path):
    """A manifest lists one `<suite>/<case>` verdict name per line; `#` starts a comment."""
    names = []
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if " " in line or "/" not in line:
                raise CaseError(f"{path}:{no}: '{line}' is not a <suite>/<case> name")
            if line in names:
                raise CaseError(f"{path}:{no}: '{line}' listed twice")
            names.append(line)
    return names


def _manifest_names(spec):
    """`FILE` names Keel's own verdicts; `FILE as P1 P2 ...` expects every entry from each
    partition P (a guest's verdict lines carry its partition's name: `P/<suite>/<case>`)."""
    path, _, parts = spec.partition(" as ")
    names = load_manifest(path.strip())
    if not parts.strip():
        return path.strip(), names
    return path.strip(), [f"{p}/{n}" for p in parts.split() for n in names]


def expected_verdicts(case):
    names = []
    for spec in case.manifests:
        m, listed = _manifest_names(spec)
        for n in listed:
            if n in names:
                raise CaseError(f"{m}: '{n}' is also in another manifest of {case.name}")
            names.append(n)
    return names
