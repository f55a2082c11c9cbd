"""Judges one boot run from its console evidence and what the emulator reported.

Nothing here looks at the emulator's exit status: Bochs always exits 1 and QEMU's isa-debug-exit
can never give 0. Each check returns the reasons the run failed; no reason means it passed."""
import re
from dataclasses import dataclass

from .console import apic_key

# What the `keel: boot:` line must say for each boot method, so a misconfigured run cannot pass.
BOOT_EVIDENCE = {
    "iso-bios": {"loader": "mb2", "firmware": "bios", "bootloader": r"GRUB\b"},
    "iso-uefi": {"loader": "mb2", "firmware": "uefi", "bootloader": r"GRUB\b"},
    "kernel": {"loader": "mb1", "firmware": "bios", "bootloader": r"qemu$"},
}


@dataclass
class RunFacts:
    seconds: float = 0.0
    timed_out: bool = False
    exited: bool = False      # the emulator ended by itself
    poweroff: str = ""        # acpi | port | reset | triple-fault | "" (none seen)
    emu_error: str = ""       # what the emulator said when it failed to start or died
    com2_lines: list = None   # COM2's log, cleaned, for cases with `com2:`
    cpu_rips: list = None     # QEMU: each CPU's RIP when the run timed out


def check_run(case, con, facts, expected):
    if facts.timed_out:
        if con.events["exit"]:
            return ["KEEL EXIT came but the machine did not power off"]
        return [f"timed out after {case.timeout}s; last console line: '{con.last_line()}'"] + \
            [f"at the timeout CPU {i} was at rip {rip:#x}" for i, rip in enumerate(facts.cpu_rips or [])]
    if facts.exited and not con.finished:
        why = f" ({facts.emu_error})" if facts.emu_error else ""
        how = f"after a {facts.poweroff}" if facts.poweroff else "by itself"
        return [f"the emulator ended {how} before KEEL EXIT{why}; last console line: '{con.last_line()}'"]
    return []


def check_fatal(case, con, facts, expected):
    fatal = con.events["fatal"]
    if case.fatal is None:
        return [f"keel: fatal: {f['message']}" for f in fatal]
    if not fatal:
        return [f"expected a fatal error matching /{case.fatal.pattern}/; none came"]
    reasons = []
    if not case.fatal.search(fatal[0]["message"]):
        reasons.append(f"fatal message '{fatal[0]['message']}' does not match /{case.fatal.pattern}/")
    if con.events["exit"]:
        reasons.append("KEEL EXIT came after a fatal error")
    return reasons


def _fields(kind, got, want):
    out = []
    for key, rx in want.items():
        if not re.match(rx + (r"$" if key != "bootloader" else ""), got[key]):
            out.append(f"'keel: {kind}:' says {key} '{got[key]}', this case boots with {key} /{rx}/")
    return out


def check_boot(case, con, facts, expected):
    lines = con.events["boot"]
    if not lines:
        return [] if case.fatal else ["no 'keel: boot:' line: cannot tell which boot path ran"]
    reasons = [f"Keel started {len(lines)} times (the machine reset)"] if len(lines) > 1 else []
    return reasons + _fields("boot", lines[0], BOOT_EVIDENCE[case.boot])


def check_cpu(case, con, facts, expected):
    lines = con.events["cpu"]
    if not lines:
        return [] if case.fatal else ["no 'keel: cpu:' line: cannot tell which CPU ran"]
    return _fields("cpu", lines[0], {"vendor": re.escape(case.vendor)})


BACKEND_OF_VENDOR = {"AuthenticAMD": "svm", "GenuineIntel": "vmx"}


def check_backend(case, con, facts, expected):
    """A run that uses a backend must name the one its CPU vendor implies."""
    lines = con.events["backend"]
    want = BACKEND_OF_VENDOR.get(case.vendor, "?")
    if not lines:
        return [f"no 'keel: virt: backend' line (expected {want})"] if case.backend else []
    got = lines[0]["backend"]
    if got != want or (case.backend and got != case.backend):
        return [f"backend '{got}', but a {case.vendor} CPU ({case.cpu}) needs '{want}'"]
    return []


def _online_reasons(case, online, madt_ids):
    reasons = []
    indices = [int(o["index"]) for o in online]
    apics = [apic_key(o["apic"]) for o in online]
    if sorted(indices) != list(range(len(indices))):
        reasons.append(f"CPU indices online are {sorted(indices)}, not 0..{len(indices) - 1} once each")
    if len(set(apics)) != len(apics):
        reasons.append(f"an APIC ID came online twice: {apics}")
    if len(online) != case.smp:
        reasons.append(f"{len(online)} CPUs came online; the emulator has {case.smp}")
    if madt_ids is not None and set(apics) != set(madt_ids):
        reasons.append(f"APIC IDs online {sorted(set(apics), key=str)} differ from the MADT's "
                       f"{sorted(set(madt_ids), key=str)}")
    if case.apic_ids is not None and set(apics) != {apic_key(a) for a in case.apic_ids}:
        reasons.append(f"APIC IDs online {sorted(set(apics), key=str)} are not the emulator's {case.apic_ids}")
    return reasons


def check_smp(case, con, facts, expected):
    if case.fatal:
        return []
    reasons, madt_ids = [], None
    madt = con.events["madt"]
    if len(madt) != 1:
        reasons.append(f"{len(madt)} 'keel: acpi: madt:' lines, want 1")
    else:
        madt_ids = [apic_key(i) for i in madt[0]["ids"].split()]
        if int(madt[0]["count"]) != len(madt_ids) or len(madt_ids) != case.smp:
            reasons.append(f"MADT says {madt[0]['count']} cpus with {len(madt_ids)} APIC IDs; "
                           f"the emulator has {case.smp}")
    reasons += _online_reasons(case, con.events["online"], madt_ids)
    smp = con.events["smp"]
    if len(smp) != 1:
        reasons.append(f"{len(smp)} 'keel: smp:' lines, want 1")
    elif not int(smp[0]["online"]) == int(smp[0]["total"]) == case.smp:
        reasons.append(f"'keel: smp: {smp[0]['online']} of {smp[0]['total']} cpus online'; "
                       f"the emulator has {case.smp}")
    return reasons


def check_verdicts(case, con, facts, expected):
    reasons, seen = [], {}
    for v in con.events["verdict"]:
        if v["name"] in seen:
            reasons.append(f"verdict {v['name']} reported twice")
        seen[v["name"]] = v
        if v["status"] == "FAIL":
            reasons.append(f"VERDICT FAIL {v['name']} {v['detail'] or ''}".rstrip())
    reasons += [f"verdict {n} never reported" for n in expected if n not in seen]
    if case.manifests:
        reasons += [f"verdict {n} is not in the manifest" for n in seen if n not in expected]
    return reasons


def check_exit(case, con, facts, expected):
    if case.fatal:
        return []
    exits = con.events["exit"]
    if not exits:
        return [] if facts.timed_out or facts.exited else ["no KEEL EXIT line"]
    reasons = [f"KEEL EXIT printed {len(exits)} times"] if len(exits) > 1 else []
    n = int(exits[0]["n"])
    fails = sum(1 for v in con.events["verdict"] if v["status"] == "FAIL")
    if n != fails:
        reasons.append(f"KEEL EXIT {n} but {fails} FAIL verdicts on the console")
    elif n:
        reasons.append(f"KEEL EXIT {n}")
    ok = ("acpi",) if case.poweroff == "acpi" else ("acpi", "port")
    if facts.poweroff not in ok and not facts.timed_out:
        seen = facts.poweroff or "no power-off"
        reasons.append(f"after KEEL EXIT the machine ended with {seen}, want {' or '.join(ok)} power-off")
    return reasons


def check_patterns(case, con, facts, expected):
    reasons = [f"no console line matches /{rx.pattern}/" for rx in case.expect
               if not any(rx.search(line) for line in con.lines)]
    for n, rx in case.expect_counts:
        got = sum(1 for line in con.lines if rx.search(line))
        if got != n:
            reasons.append(f"{got} console lines match /{rx.pattern}/, want exactly {n}")
    for rx in case.reject:
        hit = next((line for line in con.lines if rx.search(line)), None)
        if hit is not None:
            reasons.append(f"console line '{hit}' matches the rejected /{rx.pattern}/")
    com2 = facts.com2_lines or []
    reasons += [f"no COM2 line matches /{rx.pattern}/" for rx in case.com2
                if not any(rx.search(line) for line in com2)]
    return reasons


def check_status(case, con, facts, expected):
    """Keel's status line of each partition a manifest names (`as P`): exactly one, and the
    verdict counts the guest reported to Keel equal the PASS and FAIL lines it printed before
    (after it come only lines of `check:` programs, which count against the manifests)."""
    reasons, parts = [], []
    for spec in case.manifests:
        parts += [p for p in spec.partition(" as ")[2].split() if p not in parts]
    for p in parts:
        lines = [s for s in con.events["status"] if s["name"] == p]
        if len(lines) != 1:
            reasons.append(f"{len(lines)} status lines for partition {p}, want 1")
            continue
        mine = [v for v in con.events["verdict"]
                if v["name"].startswith(p + "/") and v["at"] < lines[0]["at"]]
        printed = (sum(v["status"] == "PASS" for v in mine), sum(v["status"] == "FAIL" for v in mine))
        told = (int(lines[0]["passed"]), int(lines[0]["failed"]))
        if printed != told:
            reasons.append(f"partition {p} reported {told[0]} passed {told[1]} failed to Keel but "
                           f"printed {printed[0]} PASS and {printed[1]} FAIL lines")
    return reasons


CHECKS = (check_run, check_fatal, check_boot, check_cpu, check_backend, check_smp, check_verdicts, check_exit,
          check_status, check_patterns)
# What still says something useful when the run never got to its end.
CHECKS_UNFINISHED = (check_run, check_fatal, check_boot, check_cpu, check_verdicts)


def judge(case, con, facts, expected):
    """All reasons the run failed, in check order, each once."""
    unfinished = bool(check_run(case, con, facts, expected))
    reasons = []
    for check in CHECKS_UNFINISHED if unfinished else CHECKS:
        for r in check(case, con, facts, expected):
            if r not in reasons and not (unfinished and r.startswith("no '")):
                reasons.append(r)
    return reasons


def summary(case, con, expected):
    """A short description of a passing run."""
    if case.fatal:
        return "fatal as expected"
    parts = [f"{len(con.events['online'])} cpus"]
    verdicts = con.events["verdict"]
    if expected or verdicts:
        skipped = sum(1 for v in verdicts if v["status"] == "SKIP")
        passed = sum(1 for v in verdicts if v["status"] == "PASS")
        parts.append(f"{passed}/{max(len(expected), len(verdicts))} verdicts passed"
                     + (f", {skipped} skipped" if skipped else ""))
    return ", ".join(parts)
