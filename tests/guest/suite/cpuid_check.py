#!/usr/bin/env python3
"""Holds a guest's CPUID view against the host's values Keel logged (a boot case's `check:`).

The suite payload prints `cpuid-view LEAF.SUB A B C D` for every leaf it reads, after Keel's
`keel: debug: PART: cpuid LEAF.SUB host A B C D` line for that CPUID exit (loglevel=debug). What
may differ, and how, comes from the SDM/APM, not from Keel's code: leaf 1 ECX.VMX[5] clear,
ECX.HV[31] set, ECX.OSXSAVE[27] = CR4.OSXSAVE, EBX[31:24] = the vCPU's index; leaf 7.0
ECX.OSPKE[4] = CR4.PKE; 8000_0001h ECX.SVM[2] clear; 8000_000Ah all zero. Everything else must
be the host's. Prints one verdict per partition: [PART] VERDICT PASS|FAIL cpuid/leaves-match-host.
"""
import re
import sys

HOST = re.compile(r"keel: debug: (\S+): cpuid ([0-9a-f]{8})\.([0-9a-f]{8}) host((?: [0-9a-f]{8}){4})")
VIEW = re.compile(r"\[(\S+)\] cpuid-view ([0-9a-f]{8})\.([0-9a-f]{8})((?: [0-9a-f]{8}){4})")
STATE = re.compile(r"\[(\S+)\] cpuid-view-state cr4 ([0-9a-f]+) vcpu (\d+)")
END = re.compile(r"\[(\S+)\] cpuid-view-end (\d+) leaves")
MIN_LEAVES = 8


def expected(leaf, sub, host, cr4, vcpu):
    a, b, c, d = host
    if leaf == 1:
        c = (c & ~(1 << 5)) | (1 << 31)
        c = (c & ~(1 << 27)) | (((cr4 >> 18) & 1) << 27)
        b = (b & 0x00FFFFFF) | (vcpu << 24)
    elif leaf == 7 and sub == 0:
        c = (c & ~(1 << 4)) | (((cr4 >> 22) & 1) << 4)
    elif leaf == 0x80000001:
        c &= ~(1 << 2)
    elif leaf == 0x8000000A:
        a = b = c = d = 0
    return [a, b, c, d]


def judge(lines):
    host, state, seen, verdicts = {}, {}, {}, {}
    for line in lines:
        m = HOST.search(line)
        if m:
            host[(m[1], int(m[2], 16), int(m[3], 16))] = [int(x, 16) for x in m[4].split()]
            continue
        m = STATE.search(line)
        if m:
            state[m[1]] = (int(m[2], 16), int(m[3]))
            continue
        m = VIEW.search(line)
        if m:
            part, leaf, sub = m[1], int(m[2], 16), int(m[3], 16)
            got = [int(x, 16) for x in m[4].split()]
            seen[part] = seen.get(part, 0) + 1
            if part in verdicts:
                continue
            h = host.get((part, leaf, sub))
            if h is None:
                verdicts[part] = f"FAIL cpuid/leaves-match-host no host line for leaf {leaf:x}.{sub:x}"
                continue
            cr4, vcpu = state.get(part, (0, 0))
            want = expected(leaf, sub, h, cr4, vcpu)
            if got != want:
                pretty = " ".join(f"{x:08x}" for x in got), " ".join(f"{x:08x}" for x in want)
                verdicts[part] = (f"FAIL cpuid/leaves-match-host leaf {leaf:x}.{sub:x}: guest "
                                  f"{pretty[0]}, host as filtered {pretty[1]}")
            continue
        m = END.search(line)
        if m and m[1] not in verdicts:
            n = seen.get(m[1], 0)
            ok = n >= MIN_LEAVES and n == int(m[2])
            verdicts[m[1]] = ("PASS cpuid/leaves-match-host" if ok else
                              f"FAIL cpuid/leaves-match-host {n} leaves seen of {m[2]}")
    return verdicts


def main(argv):
    if len(argv) != 2:
        print("usage: cpuid_check.py CONSOLE-LOG", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        lines = [ln.replace("\r", "") for ln in f]
    for part, v in sorted(judge(lines).items()):
        print(f"[{part}] VERDICT {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
