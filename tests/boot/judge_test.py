#!/usr/bin/env python3
"""Host test of the boot judge, the case parser and host-mode counting (tools/ktest): crafted
console logs, each with the outcome the test protocol (docs/testing.md) demands."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from ktest import caseconf, hostrun  # noqa: E402
from ktest.console import parse_text  # noqa: E402
from ktest.judge import RunFacts, judge  # noqa: E402
from ktest.report import Tally  # noqa: E402

failures = 0


def verdict(name, ok, detail=""):
    global failures
    failures += not ok
    print(f"VERDICT {'PASS' if ok else 'FAIL'} harness/{name}" + (f" {detail}" if detail and not ok else ""))


CASE_SMP2 = "emulator: qemu\nboot: iso-bios\nsmp: 2\ncmdline: test=1\n"
GOOD_SMP2 = """\x1b[H\x1b[J  Booting `Keel'\r
\rgrub: loading Keel\r
keel: boot: loader mb2 firmware bios bootloader 'GRUB 2.06-13+deb12u2'\r
keel: cpu: vendor AuthenticAMD family f model 6b hypervisor-bit 1\r
keel: acpi: madt: 2 cpus, apic ids 0 1\r
keel: cpu 0 online apic 0\r
keel: cpu 1 online apic 1\r
keel: smp: 2 of 2 cpus online\r
KEEL EXIT 0\r
"""
POWEROFF = RunFacts(exited=True, poweroff="acpi")


def case(text):
    return caseconf.parse_case("t.case", text)


def run_judge(case_text, log, facts=POWEROFF, expected=()):
    return judge(case(case_text), parse_text(log), facts, list(expected))


def expect_pass(name, case_text, log, facts=POWEROFF, expected=()):
    reasons = run_judge(case_text, log, facts, expected)
    verdict(name, not reasons, "; ".join(reasons))


def expect_fail(name, case_text, log, needle, facts=POWEROFF, expected=()):
    reasons = run_judge(case_text, log, facts, expected)
    verdict(name, any(needle in r for r in reasons), f"no reason mentions '{needle}': {reasons}")


def test_evidence():
    expect_pass("good-smp2", CASE_SMP2, GOOD_SMP2)
    expect_fail("firmware-mismatch", CASE_SMP2.replace("iso-bios", "iso-uefi"), GOOD_SMP2,
                "firmware 'bios'")
    expect_fail("loader-mismatch", CASE_SMP2.replace("iso-bios", "kernel"), GOOD_SMP2, "loader 'mb2'")
    expect_fail("bootloader-mismatch", CASE_SMP2, GOOD_SMP2.replace("'GRUB 2.06-13+deb12u2'", "'qemu'"),
                "bootloader 'qemu'")
    expect_fail("vendor-mismatch", CASE_SMP2.replace("smp: 2", "smp: 2\ncpu: corei7_haswell_4770")
                .replace("qemu", "bochs", 1), GOOD_SMP2, "vendor 'AuthenticAMD'")
    expect_fail("no-boot-line", CASE_SMP2, GOOD_SMP2.replace("keel: boot:", "keel: boat:"),
                "no 'keel: boot:' line")
    expect_fail("backend-missing", CASE_SMP2 + "backend: svm\n", GOOD_SMP2, "no 'keel: virt: backend'")
    expect_fail("backend-wrong", CASE_SMP2, GOOD_SMP2.replace("KEEL EXIT", "keel: virt: backend vmx\r\nKEEL EXIT"),
                "backend 'vmx'")
    expect_fail("reset-twice", CASE_SMP2, GOOD_SMP2.replace("keel: cpu: vendor",
                "keel: boot: loader mb2 firmware bios bootloader 'GRUB'\nkeel: cpu: vendor"), "2 times")


def test_smp():
    expect_fail("apic-differs-from-madt", CASE_SMP2, GOOD_SMP2.replace("online apic 1", "online apic 2"),
                "differ from the MADT")
    expect_fail("cpu-missing", CASE_SMP2, GOOD_SMP2.replace("keel: cpu 1 online apic 1\r\n", ""),
                "1 CPUs came online")
    expect_fail("madt-short", CASE_SMP2, GOOD_SMP2.replace("2 cpus, apic ids 0 1", "1 cpus, apic ids 0"),
                "the emulator has 2")
    expect_fail("index-twice", CASE_SMP2, GOOD_SMP2.replace("cpu 1 online", "cpu 0 online"),
                "not 0..1 once each")
    expect_fail("apic-twice", CASE_SMP2, GOOD_SMP2.replace("apic ids 0 1", "apic ids 0 0")
                .replace("online apic 1", "online apic 0"), "came online twice")
    expect_fail("smp-line-short", CASE_SMP2, GOOD_SMP2.replace("2 of 2", "1 of 2"), "1 of 2")
    expect_fail("emulator-ids", CASE_SMP2 + "apic-ids: 0 2\n", GOOD_SMP2, "not the emulator's")
    expect_pass("apic-notation", CASE_SMP2 + "apic-ids: 0 1\n",
                GOOD_SMP2.replace("apic ids 0 1", "apic ids 0x0 0x1"))


def test_exit_and_verdicts():
    with_verdicts = GOOD_SMP2.replace("KEEL EXIT", "VERDICT PASS boot/a\r\nVERDICT PASS boot/b ok\r\nKEEL EXIT")
    expect_pass("manifest-complete", CASE_SMP2, with_verdicts, expected=["boot/a", "boot/b"])
    expect_fail("manifest-missing", CASE_SMP2, with_verdicts, "boot/c never reported",
                expected=["boot/a", "boot/b", "boot/c"])
    manifest_case = CASE_SMP2 + "manifest: listed.manifest\n"
    expect_fail("not-in-manifest", manifest_case, with_verdicts, "boot/b is not in the manifest",
                expected=["boot/a"])
    expect_fail("verdict-twice", CASE_SMP2, with_verdicts.replace("boot/b", "boot/a"), "reported twice")
    guests = GOOD_SMP2.replace("KEEL EXIT", "[g0] VERDICT PASS t/a\r\n[g1] VERDICT PASS t/a\r\nKEEL EXIT")
    expect_pass("partition-verdicts", CASE_SMP2, guests, expected=["g0/t/a", "g1/t/a"])
    expect_fail("partition-verdict-missing", CASE_SMP2, guests.replace("[g1] ", "[g2] "),
                "g1/t/a never reported", expected=["g0/t/a", "g1/t/a"])
    failed = GOOD_SMP2.replace("KEEL EXIT 0", "VERDICT FAIL boot/x wrong value\r\nKEEL EXIT 1")
    expect_fail("verdict-fail", CASE_SMP2, failed, "VERDICT FAIL boot/x wrong value")
    expect_fail("exit-nonzero", CASE_SMP2, failed, "KEEL EXIT 1")
    expect_fail("exit-count-mismatch", CASE_SMP2, failed.replace("EXIT 1", "EXIT 0"), "but 1 FAIL")
    expect_fail("no-exit-line", CASE_SMP2, GOOD_SMP2.replace("KEEL EXIT 0", ""), "before KEEL EXIT")
    expect_fail("no-poweroff", CASE_SMP2, GOOD_SMP2, "did not power off", RunFacts(timed_out=True))
    expect_fail("reset-not-poweroff", CASE_SMP2, GOOD_SMP2, "ended with reset",
                RunFacts(exited=True, poweroff="reset"))
    expect_pass("port-poweroff-allowed", CASE_SMP2 + "poweroff: any\n", GOOD_SMP2,
                RunFacts(exited=True, poweroff="port"))
    expect_fail("port-poweroff-refused", CASE_SMP2, GOOD_SMP2, "want acpi",
                RunFacts(exited=True, poweroff="port"))
    expect_fail("timeout", CASE_SMP2, GOOD_SMP2.replace("KEEL EXIT 0", ""), "timed out",
                RunFacts(timed_out=True))
    expect_pass("unterminated-last-line", CASE_SMP2, GOOD_SMP2.rstrip("\r\n"))


FATAL_CASE = "emulator: qemu\nboot: iso-bios\ncmdline: config=demo\nfatal: module 'demo'.*not loaded\n"
FATAL_LOG = ("keel: boot: loader mb2 firmware bios bootloader 'GRUB 2.06'\r\n"
             "keel: fatal: module 'demo' (config=) was not loaded; check the module2 lines\r\n")


def test_fatal():
    halted = RunFacts()
    expect_pass("fatal-expected", FATAL_CASE, FATAL_LOG, halted)
    expect_fail("fatal-other-message", FATAL_CASE, FATAL_LOG.replace("not loaded", "missing"),
                "does not match", halted)
    expect_fail("fatal-none", FATAL_CASE, GOOD_SMP2, "none came")
    expect_fail("fatal-then-exit", FATAL_CASE, FATAL_LOG + "KEEL EXIT 0\n", "after a fatal", halted)
    expect_fail("fatal-wrong-path", FATAL_CASE.replace("iso-bios", "iso-uefi"), FATAL_LOG,
                "firmware 'bios'", halted)
    expect_fail("fatal-unexpected", CASE_SMP2, GOOD_SMP2.replace("KEEL EXIT 0", "keel: fatal: out of memory"),
                "keel: fatal: out of memory", halted)


def test_patterns():
    expect_fail("expect-missing", CASE_SMP2 + "expect: ^keel: module 0 'demo'\n", GOOD_SMP2, "no console line")
    expect_fail("reject-present", CASE_SMP2 + "reject: hypervisor-bit 1\n", GOOD_SMP2, "rejected")
    expect_pass("expect-count-exact", CASE_SMP2 + "expect-count: 2 ^keel: cpu \\d online\n", GOOD_SMP2)
    expect_fail("expect-count-more", CASE_SMP2 + "expect-count: 1 ^keel: cpu \\d online\n", GOOD_SMP2,
                "2 console lines match")
    expect_fail("expect-count-none", CASE_SMP2 + "expect-count: 1 ring: .* did not answer\n", GOOD_SMP2,
                "0 console lines match")


STATUS_CASE = CASE_SMP2 + "manifest: t.manifest as g0\n"
STATUS_LOG = GOOD_SMP2.replace("KEEL EXIT", "[g0] VERDICT PASS t/a\r\n[g0] VERDICT SKIP t/b none\r\n"
                               "keel: partition g0: stopped, verdicts 1 passed 0 failed, 12 exits: exit code 0\r\n"
                               "KEEL EXIT")


def test_status_and_com2():
    expect_pass("status-line", STATUS_CASE, STATUS_LOG, expected=["g0/t/a", "g0/t/b"])
    expect_pass("status-line-without-reason", STATUS_CASE, STATUS_LOG.replace(": exit code 0", ""),
                expected=["g0/t/a", "g0/t/b"])
    expect_fail("status-line-missing", STATUS_CASE, STATUS_LOG.replace("keel: partition g0", "keel: partitio g0"),
                "0 status lines for partition g0", expected=["g0/t/a", "g0/t/b"])
    twice = STATUS_LOG.replace("KEEL EXIT", "keel: partition g0: stopped, verdicts 1 passed 0 failed, 3 exits\r\nKEEL EXIT")
    expect_fail("status-line-twice", STATUS_CASE, twice, "2 status lines for partition g0",
                expected=["g0/t/a", "g0/t/b"])
    expect_fail("status-counts-differ", STATUS_CASE, STATUS_LOG.replace("1 passed 0 failed", "2 passed 0 failed"),
                "reported 2 passed 0 failed to Keel but printed 1 PASS and 0 FAIL", expected=["g0/t/a", "g0/t/b"])
    expect_pass("status-not-started", STATUS_CASE.replace("as g0", "as g1"), STATUS_LOG.replace(
        "KEEL EXIT", "keel: partition g1: not started, verdicts 0 passed 0 failed, 0 exits: it could not be made "
        "(the errors are above)\r\nKEEL EXIT"), expected=["g0/t/a", "g0/t/b"])
    later = STATUS_LOG + "[g0] VERDICT PASS t/c\r\n"  # a check: program's verdict, after the run
    expect_pass("status-before-check-lines", STATUS_CASE, later, expected=["g0/t/a", "g0/t/b", "g0/t/c"])
    com2_case = CASE_SMP2 + "com2: ^steady: v owns COM2$\n"
    with_com2 = RunFacts(exited=True, poweroff="acpi", com2_lines=["steady: v owns COM2", "steady: done"])
    expect_pass("com2-line", com2_case, GOOD_SMP2, with_com2)
    expect_fail("com2-line-missing", com2_case, GOOD_SMP2, "no COM2 line matches", POWEROFF)
    expect_fail("com2-only-on-com1", com2_case, GOOD_SMP2.replace("KEEL EXIT", "steady: v owns COM2\r\nKEEL EXIT"),
                "no COM2 line matches", POWEROFF)


def parse_error(name, text, needle):
    try:
        case(text)
        verdict(name, False, "parsed without error")
    except caseconf.CaseError as e:
        verdict(name, needle in str(e), f"error '{e}' does not mention '{needle}'")


def test_case_parser():
    parse_error("parse-unknown-key", CASE_SMP2 + "colour: red\n", "unknown key 'colour'")
    parse_error("parse-twice", CASE_SMP2 + "smp: 4\n", "'smp' given twice")
    parse_error("parse-bochs-kernel", "emulator: bochs\nboot: kernel\ncpu: ryzen\n", "ISO on its BIOS")
    parse_error("parse-absent-kernel", "emulator: qemu\nboot: kernel\nabsent-module: demo\n", "ISO boot")
    parse_error("parse-apic-count", CASE_SMP2 + "apic-ids: 0\n", "1 ids for smp 2")
    parse_error("parse-unknown-vendor", "emulator: bochs\nboot: iso-bios\ncpu: p4_willamette\n", "vendor")
    parse_error("parse-bad-regex", CASE_SMP2 + "expect: (\n", "bad regular expression")
    parse_error("parse-input-bochs", "emulator: bochs\nboot: iso-bios\ncpu: ryzen\ninput: x => y\n", "QEMU only")
    parse_error("parse-input-usage", CASE_SMP2 + "input: ready\n", "REGEX => TEXT")
    parse_error("parse-count-usage", CASE_SMP2 + "expect-count: many x\n", "not a number")
    c = case(CASE_SMP2 + "input: ^\\[a\\] ready$ => ping\\x142\\n\n")
    verdict("parse-input", [(rx.pattern, data) for rx, data in c.inputs] ==
            [(r"^\[a\] ready$", b"ping\x142\n")], str(c.inputs))
    c = case("emulator: qemu\nboot: iso-bios\nmodule: a/b.cfg demo x=1 y=2\nabsent-module: gone z\n")
    verdict("parse-modules", [(m.path, m.name, m.args, m.absent) for m in c.modules] ==
            [("a/b.cfg", "demo", "x=1 y=2", False), ("-", "gone", "z", True)], str(c.modules))


def host_outcome(rc, log, timed_out=False):
    tally, lines = Tally(), []
    hostrun.judge_one(("prog", 0.1, rc, timed_out, parse_text(log), "prog.log"), 5, tally, lines.append)
    return tally.passed, tally.failed, tally.skipped


def test_host_counting():
    two = "VERDICT PASS s/a\nVERDICT SKIP s/b no oracle\n"
    verdict("host-clean", host_outcome(0, two) == (1, 0, 1))
    verdict("host-crash-no-fail", host_outcome(-11, two) == (1, 1, 1), str(host_outcome(-11, two)))
    verdict("host-fail-lines", host_outcome(1, two + "VERDICT FAIL s/c bad\n") == (1, 1, 1))
    verdict("host-no-verdicts", host_outcome(0, "hello\n") == (0, 1, 0))
    verdict("host-timeout", host_outcome(-9, two, True) == (1, 1, 1))
    verdict("host-not-built", host_outcome(None, "") == (0, 1, 0))


def main():
    for t in (test_evidence, test_smp, test_exit_and_verdicts, test_fatal, test_patterns,
              test_status_and_com2, test_case_parser, test_host_counting):
        t()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
