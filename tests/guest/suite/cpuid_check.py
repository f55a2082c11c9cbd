#!/usr/bin/env python3
"""Holds a guest's CPUID view against the host's values Keel logged (a boot case's `check:`).

The suite payload prints `cpuid-view LEAF.SUB A B C D` for every leaf it reads, after Keel's
`keel: debug: PART: cpuid LEAF.SUB host A B C D` line for that CPUID exit (loglevel=debug). What
may differ, and how, is named by the SDM/APM fields and by the virtual platform docs/interrupts.md
describes, never read from Keel's code:

- leaf 1: ECX.VMX[5] clear, ECX.HV[31] set, ECX.OSXSAVE[27] = CR4.OSXSAVE, EBX[31:24] = the
  vCPU's index (its local APIC ID); the virtual local APIC is an xAPIC with TSC-deadline mode:
  EDX.APIC[9] set, ECX.x2APIC[21] clear, ECX.TSC-Deadline[24] set;
- the features docs/linux.md ("CPUID and MSRs") lists as hidden, because Keel does not
  virtualise their MSRs or instructions: leaf 1 ECX DTES64[2], MONITOR[3], DS-CPL[4], SMX[6],
  EIST[7], TM2[8], PDCM[15]; EDX MCE[7], MCA[14], DS[21], ACPI[22], TM[29], PBE[31]; leaf 5
  (MONITOR/MWAIT) and leaf 0Ah (architectural PMU) all zero; leaf 7.0 EBX SGX[2], RDT-M[12],
  RDT-A[15], Intel PT[25], ECX WAITPKG[5], CET_SS[7], LA57[16], SGX_LC[30], EDX PCONFIG[18],
  CET_IBT[20] and 26-31 (IBRS/IBPB, STIBP, L1D_FLUSH, IA32_ARCH_CAPABILITIES,
  IA32_CORE_CAPABILITIES, SSBD); leaf 0Dh.1 EAX XSAVES[3], ECX and EDX zero; 8000_0001h ECX
  PerfCtrExtCore[23], PerfCtrExtNB[24], PerfCtrExtLLC[28]; 8000_0007h EDX all but
  TscInvariant[8]; 8000_0008h EBX all but CLZERO[0], RstrFpErrPtrs[2], WBNOINVD[9]; 8000_001Fh
  (SME/SEV) all zero;
- leaf 6: EAX.ARAT[2] set and nothing else in any register (the virtual APIC timer runs in
  every C-state; no thermal or power MSRs);
- leaf 7.0: ECX.OSPKE[4] = CR4.PKE, EBX.IA32_TSC_ADJUST[1] clear;
- leaf 0Bh: EDX = the x2APIC ID, the vCPU's index;
- 8000_0001h ECX.SVM[2] clear; 8000_000Ah all zero;
- on Intel (VMX), leaves 15h and 16h describe the partition's TSC and LAPIC timer clock (no host
  line: the host's are not used), so leaf 0's maximum is at least 16h, and the leaves between
  the host's maximum and 15h are reserved (zero; the CPU itself would answer them with its
  largest basic leaf, SDM Vol. 2A CPUID); leaves 15h and 16h must agree with
  Keel's timing leaf 4000_0010h (EAX the TSC in kHz, EBX the timer clock in kHz): TSC Hz =
  15h.ECX * 15h.EBX / 15h.EAX = 4000_0010h.EAX * 1000, 16h.EAX = 16h.EBX = the TSC in MHz;
- Keel's leaves (no host line): 4000_0000h "KeelKeelKeel" with the largest leaf in EAX,
  4000_0001h the ABI version (include/abi/hypercall.h) and 1 in EBX when the hypercall is
  VMMCALL (AMD), 0 for VMCALL (Intel); the others up to the largest are zero but the timing leaf.

Everything else must be the host's. Prints one verdict per partition:
[PART] VERDICT PASS|FAIL cpuid/leaves-match-host.
"""
import os
import re
import sys

HOST = re.compile(r"keel: debug: (\S+): cpuid ([0-9a-f]{8})\.([0-9a-f]{8}) host((?: [0-9a-f]{8}){4})")
VIEW = re.compile(r"\[(\S+)\] cpuid-view ([0-9a-f]{8})\.([0-9a-f]{8})((?: [0-9a-f]{8}){4})")
STATE = re.compile(r"\[(\S+)\] cpuid-view-state cr4 ([0-9a-f]+) vcpu (\d+)")
END = re.compile(r"\[(\S+)\] cpuid-view-end (\d+) leaves")
MIN_LEAVES = 8
KEEL_BASE = 0x40000000
KEEL_TIMING = KEEL_BASE + 0x10
TIMING_LEAVES = (0x15, 0x16)


def abi_version():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "../../../include/abi/hypercall.h"), encoding="utf-8") as f:
        m = re.search(r"#define KEEL_ABI_VERSION (\d+)u?", f.read())
    return int(m[1])


def bits(x, clear=0, set_=0):
    return (x & ~clear) | set_


def mask(*positions):
    return sum(1 << p for p in positions)


def expected(leaf, sub, host, cr4, vcpu):
    a, b, c, d = host
    if leaf == 1:
        c = bits(c, clear=mask(2, 3, 4, 5, 6, 7, 8, 15, 21, 27), set_=mask(31, 24))
        c |= ((cr4 >> 18) & 1) << 27
        b = (b & 0x00FFFFFF) | (vcpu << 24)
        d = bits(d, clear=mask(7, 14, 21, 22, 29, 31), set_=mask(9))
    elif leaf in (5, 0xA, 0x8000000A, 0x8000001F):
        a = b = c = d = 0
    elif leaf == 6:
        a, b, c, d = mask(2), 0, 0, 0
    elif leaf == 7 and sub == 0:
        b = bits(b, clear=mask(1, 2, 12, 15, 25))
        c = bits(c, clear=mask(4, 5, 7, 16, 30)) | (((cr4 >> 22) & 1) << 4)
        d = bits(d, clear=mask(18, 20, 26, 27, 28, 29, 30, 31))
    elif leaf == 0xD and sub == 1:
        a, c, d = bits(a, clear=mask(3)), 0, 0
    elif leaf == 0xB:
        d = vcpu
    elif leaf == 0x80000001:
        c = bits(c, clear=mask(2, 23, 24, 28))
    elif leaf == 0x80000007:
        d &= mask(8)
    elif leaf == 0x80000008:
        b &= mask(0, 2, 9)
    return [a, b, c, d]


def hexs(r):
    return " ".join(f"{x:08x}" for x in r)


def intel(host, part):
    h = host.get((part, 0, 0))
    return h is not None and (h[1], h[3], h[2]) == (0x756E6547, 0x49656E69, 0x6C65746E)


def keel_leaf(leaf, got, views, is_intel):
    """Keel's own leaves; returns a reason or None."""
    top = views.get((KEEL_BASE, 0), [0])[0]
    if leaf == KEEL_BASE:
        sig = b"".join(x.to_bytes(4, "little") for x in got[1:])
        if sig != b"KeelKeelKeel" or got[0] < KEEL_BASE + 1:
            return f"signature leaf {hexs(got)}"
    elif leaf == KEEL_BASE + 1:
        if got[0] != abi_version() or got[1] != (0 if is_intel else 1) or got[2] or got[3]:
            return f"leaf 40000001: {hexs(got)} (ABI {abi_version()}, intel {is_intel})"
    elif leaf == KEEL_TIMING:
        if not got[0] or not got[1] or got[2] or got[3]:
            return f"timing leaf {hexs(got)}"
    elif leaf <= top and any(got):
        return f"leaf {leaf:x} should be empty: {hexs(got)}"
    return None


def timing_leaves(views):
    """Intel: leaves 15h and 16h against Keel's timing leaf; returns a reason or None."""
    t = views.get((KEEL_TIMING, 0))
    l15, l16 = views.get((0x15, 0)), views.get((0x16, 0))
    if t is None or l15 is None or l16 is None:
        return "leaves 15h, 16h and 40000010h are not all in the view"
    if views.get((0, 0), [0])[0] < 0x16:
        return f"leaf 0 max {views[(0, 0)][0]:x} < 16h"
    if not l15[0] or l15[2] * l15[1] // l15[0] != t[0] * 1000:
        return f"leaf 15h {hexs(l15)} is not the TSC of 40000010h {hexs(t)}"
    if l15[2] != t[1] * 1000:
        return f"leaf 15h crystal {l15[2]} Hz is not the timer clock {t[1]} kHz"
    if l16[0] != t[0] // 1000 or l16[1] != l16[0] or l16[2] != t[1] // 1000 or l16[3]:
        return f"leaf 16h {hexs(l16)} against 40000010h {hexs(t)}"
    return None


def judge_part(part, views, host, cr4, vcpu):
    is_intel = intel(host, part)
    host_max = host.get((part, 0, 0), [0])[0]
    for (leaf, sub), got in views.items():
        if leaf & 0xFFFF0000 == KEEL_BASE:
            why = keel_leaf(leaf, got, views, is_intel)
            if why:
                return why
            continue
        if is_intel and leaf in TIMING_LEAVES:
            if (part, leaf, sub) in host:
                return f"leaf {leaf:x} reached the host on Intel"
            continue
        if is_intel and host_max < leaf < TIMING_LEAVES[0]:
            if (part, leaf, sub) in host or any(got):
                return f"leaf {leaf:x} above the host's maximum {host_max:x}: {hexs(got)}"
            continue
        h = host.get((part, leaf, sub))
        if h is None:
            return f"no host line for leaf {leaf:x}.{sub:x}"
        want = expected(leaf, sub, h, cr4, vcpu)
        if leaf == 0 and is_intel:
            want[0] = max(want[0], 0x16)
        if got != want:
            return f"leaf {leaf:x}.{sub:x}: guest {hexs(got)}, host as filtered {hexs(want)}"
    return timing_leaves(views) if is_intel else None


def judge(lines):
    host, state, views, verdicts = {}, {}, {}, {}
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
            v = views.setdefault(m[1], {})
            v[(int(m[2], 16), int(m[3], 16))] = [int(x, 16) for x in m[4].split()]
            continue
        m = END.search(line)
        if m and m[1] not in verdicts:
            n = len(views.get(m[1], {}))
            if n < MIN_LEAVES or n != int(m[2]):
                verdicts[m[1]] = f"FAIL cpuid/leaves-match-host {n} leaves seen of {m[2]}"
                continue
            cr4, vcpu = state.get(m[1], (0, 0))
            why = judge_part(m[1], views[m[1]], host, cr4, vcpu)
            verdicts[m[1]] = f"FAIL cpuid/leaves-match-host {why}" if why else "PASS cpuid/leaves-match-host"
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
