/* The CPUID a guest sees: the host's leaves filtered by one table (features whose MSRs or
 * instructions Keel does not virtualise are hidden; docs/linux.md lists them and why), the
 * hypervisor bit set, OS-controlled bits taken from the guest's own CR4, the virtual LAPIC's
 * features (xAPIC with TSC-deadline and ARAT, no x2APIC; docs/interrupts.md), the TSC and
 * LAPIC timer frequencies, and Keel's leaves at 0x40000000. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/time.h>
#include <keel/vlapic.h>
#include "cpuid_kept.h"

#define KEEL_CPUID_BASE 0x40000000u
#define KEEL_CPUID_TIMING     (KEEL_CPUID_BASE + 0x10)
#define CPUID_TSC_LEAF        0x15u
#define CPUID_FREQ_LEAF       0x16u
#define ANY_SUB               0xffffffffu
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_ECX_TSC_DL     BIT(24)
#define CPUID1_EDX_APIC       BIT(9)
#define CPUID6_EAX_ARAT       BIT(2)
#define CPUID7_ECX_OSPKE      BIT(4)
#define CR4_PKE     BIT(22)

/* One row: in leaf/subleaf, register `reg` keeps only `keep` bits, then gains `set`. */
struct cpuid_rule {
	u32 leaf, sub;
	u8 reg;
	u32 keep, set;
};

/* Bits are the SDM's (Vol. 2A CPUID) and the APM's (Vol. 3 Appendix E). */
static const struct cpuid_rule cpuid_rules[] = {
	/* 1.ECX: DTES64 2, MONITOR 3, DS-CPL 4, VMX 5, SMX 6, EST 7, TM2 8, PDCM 15, x2APIC 21
	 * (their MSRs or instructions are not virtualised); OSXSAVE 27 follows CR4 below. */
	{ 1, ANY_SUB, ECX, ~(u32)(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) |
				BIT(15) | BIT(21) | BIT(27)), CPUID1_ECX_HYPERVISOR | CPUID1_ECX_TSC_DL },
	/* 1.EDX: MCE 7, MCA 14, DS 21, ACPI thermal 22, TM 29, PBE 31. */
	{ 1, ANY_SUB, EDX, ~(u32)(BIT(7) | BIT(14) | BIT(21) | BIT(22) | BIT(29) | BIT(31)),
	  CPUID1_EDX_APIC },
	{ 5, ANY_SUB, EAX, 0, 0 }, { 5, ANY_SUB, EBX, 0, 0 },   /* MONITOR/MWAIT: hidden */
	{ 5, ANY_SUB, ECX, 0, 0 }, { 5, ANY_SUB, EDX, 0, 0 },
	/* 6: only ARAT (the vLAPIC timer runs in every C-state); no thermal or APERF/MPERF MSRs. */
	{ 6, ANY_SUB, EAX, 0, CPUID6_EAX_ARAT }, { 6, ANY_SUB, EBX, 0, 0 },
	{ 6, ANY_SUB, ECX, 0, 0 }, { 6, ANY_SUB, EDX, 0, 0 },
	/* 7.0.EBX: TSC_ADJUST 1 (one TSC offset per partition), SGX 2, PQM 12, PQE 15, PT 25. */
	{ 7, 0, EBX, ~(u32)(BIT(1) | BIT(2) | BIT(12) | BIT(15) | BIT(25)), 0 },
	/* 7.0.ECX: OSPKE 4 follows CR4; WAITPKG 5, CET_SS 7, LA57 16 (no5lvl), SGX_LC 30. */
	{ 7, 0, ECX, ~(u32)(BIT(4) | BIT(5) | BIT(7) | BIT(16) | BIT(30)), 0 },
	/* 7.0.EDX: PCONFIG 18, CET_IBT 20, IBRS/IBPB 26, STIBP 27, L1D_FLUSH 28,
	 * ARCH_CAPABILITIES 29, CORE_CAPABILITIES 30, SSBD 31: all MSR-backed. */
	{ 7, 0, EDX, ~(u32)(BIT(18) | BIT(20) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) |
			    BIT(31)), 0 },
	/* 0xA: no architectural PMU. */
	{ 0xa, ANY_SUB, EAX, 0, 0 }, { 0xa, ANY_SUB, EBX, 0, 0 },
	{ 0xa, ANY_SUB, ECX, 0, 0 }, { 0xa, ANY_SUB, EDX, 0, 0 },
	/* 0xD.1: XSAVES 3 needs IA32_XSS; no supervisor state components. */
	{ 0xd, 1, EAX, ~(u32)BIT(3), 0 }, { 0xd, 1, ECX, 0, 0 }, { 0xd, 1, EDX, 0, 0 },
	/* 0x80000001.ECX: SVM 2; PERFCTR_CORE 23, PERFCTR_NB 24, PERFCTR_LLC 28 (PMU MSRs). */
	{ 0x80000001, ANY_SUB, ECX, ~(u32)(BIT(2) | BIT(23) | BIT(24) | BIT(28)), 0 },
	/* 0x80000007.EDX: only the invariant TSC (bit 8); no power-management MSRs. */
	{ 0x80000007, ANY_SUB, EDX, BIT(8), 0 },
	/* 0x80000008.EBX: CLZERO 0, XSAVEERPTR 2, WBNOINVD 9; the rest are MSR-backed. */
	{ 0x80000008, ANY_SUB, EBX, BIT(0) | BIT(2) | BIT(9), 0 },
	/* SVM features: none for the guest. */
	{ 0x8000000a, ANY_SUB, EAX, 0, 0 }, { 0x8000000a, ANY_SUB, EBX, 0, 0 },
	{ 0x8000000a, ANY_SUB, ECX, 0, 0 }, { 0x8000000a, ANY_SUB, EDX, 0, 0 },
	/* SME/SEV: hidden, so the kernel never reads SEV_STATUS before its IDT exists. */
	{ 0x8000001f, ANY_SUB, EAX, 0, 0 }, { 0x8000001f, ANY_SUB, EBX, 0, 0 },
	{ 0x8000001f, ANY_SUB, ECX, 0, 0 }, { 0x8000001f, ANY_SUB, EDX, 0, 0 },
};

static void cpuid_host(u32 leaf, u32 sub, u32 out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[EAX]), "=b"(out[EBX]), "=c"(out[ECX]), "=d"(out[EDX])
			 : "a"(leaf), "c"(sub));
}

/* Keel's own leaves: the signature "KeelKeelKeel", then the ABI version and which instruction
 * is the hypercall (0 = VMCALL, 1 = VMMCALL). */
static void cpuid_keel(u32 leaf, u32 out[4])
{
	static const char sig[12] = "KeelKeelKeel";
	out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
	if (leaf == KEEL_CPUID_BASE) {
		out[EAX] = KEEL_CPUID_TIMING;
		__builtin_memcpy(&out[EBX], sig, 4);
		__builtin_memcpy(&out[ECX], sig + 4, 4);
		__builtin_memcpy(&out[EDX], sig + 8, 4);
	} else if (leaf == KEEL_CPUID_BASE + 1) {
		out[EAX] = KEEL_ABI_VERSION;
		out[EBX] = virt->hypercall_insn[2] == 0xd9; /* 0f 01 d9 = VMMCALL */
	} else if (leaf == KEEL_CPUID_TIMING) {
		out[EAX] = (u32)tsc_khz(); /* the layout VMware and ACRN use for this leaf */
		out[EBX] = VLAPIC_BUS_KHZ;
	}
}

/* Intel's TSC and frequency leaves (SDM Vol. 2A CPUID 15H, 16H): TSC = crystal × EBX / EAX,
 * the crystal being the LAPIC timer's clock, which is what Linux assumes of leaf 15H. */
static bool cpuid_timing(u32 leaf, u32 out[4])
{
	if (virt != &vmx_ops || (leaf != CPUID_TSC_LEAF && leaf != CPUID_FREQ_LEAF))
		return false;
	if (leaf == CPUID_TSC_LEAF) {
		out[EAX] = VLAPIC_BUS_KHZ;
		out[EBX] = (u32)tsc_khz();
		out[ECX] = VLAPIC_BUS_KHZ * 1000;
		out[EDX] = 0;
	} else {
		out[EAX] = out[EBX] = (u32)(tsc_khz() / 1000);
		out[ECX] = VLAPIC_BUS_KHZ / 1000;
		out[EDX] = 0;
	}
	return true;
}

/* Leaves past the host's largest basic leaf that Keel's raised maximum (leaf 0 on VMX) now
 * covers: a CPU answers those with its largest basic leaf's data (SDM Vol. 2A CPUID, "If a
 * value entered for CPUID.EAX is higher than the maximum"), which would describe leaf 0xd as,
 * say, leaf 0x12 (SGX). They are reserved to the guest: zero. */
static bool cpuid_gap(u32 leaf, u32 out[4])
{
	static u32 host_max; /* the same on every CPU: a racing first store writes one value */
	if (virt != &vmx_ops || leaf >= CPUID_TSC_LEAF)
		return false;
	if (!host_max) {
		u32 r[4];
		cpuid_host(0, 0, r);
		host_max = r[EAX];
	}
	if (leaf <= host_max)
		return false;
	out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
	return true;
}

static void cpuid_apply_rules(u32 leaf, u32 sub, u32 out[4])
{
	for (unsigned i = 0; i < ARRAY_SIZE(cpuid_rules); i++) {
		const struct cpuid_rule *r = &cpuid_rules[i];
		if (r->leaf == leaf && (r->sub == ANY_SUB || r->sub == sub))
			out[r->reg] = (out[r->reg] & r->keep) | r->set;
	}
}

/* What depends on the vCPU: its APIC ID, and the bits that mirror the guest's CR4
 * (SDM Vol. 2A CPUID: OSXSAVE, OSPKE). */
static void cpuid_per_vcpu(struct vcpu *v, u32 leaf, u32 sub, u32 out[4])
{
	u64 cr4;
	if (leaf == 0xb) {
		out[EDX] = v->id; /* x2APIC ID = the vLAPIC's ID */
		return;
	}
	if (leaf != 1 && !(leaf == 7 && sub == 0))
		return;
	cr4 = virt->vcpu_get_cr4(v);
	if (leaf == 1) {
		out[EBX] = (out[EBX] & 0x00ffffffu) | (v->id << 24); /* initial APIC ID */
		if (cr4 & CR4_OSXSAVE)
			out[ECX] |= CPUID1_ECX_OSXSAVE;
	} else if (cr4 & CR4_PKE) {
		out[ECX] |= CPUID7_ECX_OSPKE;
	}
}

static inline void cpuid_emulate(struct vcpu *v, u32 leaf, u32 sub, u32 out[4])
{
	if ((leaf & 0xffff0000u) == KEEL_CPUID_BASE) {
		cpuid_keel(leaf, out);
		return;
	}
	if (cpuid_timing(leaf, out) || cpuid_gap(leaf, out))
		return;
	cpuid_host(leaf, sub, out);
	/* The raw values, so a test can hold the guest's view against the CPU's (loglevel=debug). */
	if (log_get_level() >= LOG_DEBUG)
		pr_debug("%s: cpuid %08x.%08x host %08x %08x %08x %08x", v->part->name, leaf, sub,
			 out[EAX], out[EBX], out[ECX], out[EDX]);
	if (leaf == 0 && virt == &vmx_ops && out[EAX] < CPUID_FREQ_LEAF)
		out[EAX] = CPUID_FREQ_LEAF;
	cpuid_apply_rules(leaf, sub, out);
	cpuid_per_vcpu(v, leaf, sub, out);
}

/* Leaves whose answer depends on the leaf alone (no subleaf in ECX, no state besides the
 * guest's CR4.OSXSAVE in leaf 1): the host's values and Keel's changes are fixed once the
 * vCPU runs. Leaf 2 is left out (old processors count its repeats). */
static bool cpuid_fixed(u32 leaf)
{
	switch (leaf) {
	case 0: case 1: case 3: case 5: case 6: case 0xa: case CPUID_TSC_LEAF: case CPUID_FREQ_LEAF:
	case 0x80000000: case 0x80000001: case 0x80000002: case 0x80000003: case 0x80000004:
	case 0x80000005: case 0x80000006: case 0x80000007: case 0x80000008: case 0x8000000a:
	case KEEL_CPUID_BASE: case KEEL_CPUID_BASE + 1: case KEEL_CPUID_TIMING:
		return true;
	}
	return false;
}

/* Computes the answer, and keeps it when the leaf's answer is fixed. */
static __attribute__((noinline)) void cpuid_compute(struct vcpu *v, u32 leaf)
{
	u32 out[4];
	cpuid_emulate(v, leaf, (u32)v->regs.gpr[VCPU_RCX], out);
	/* at loglevel=debug every call logs the host's values (tests/guest/suite/cpuid_check.py) */
	if (cpuid_fixed(leaf) && log_get_level() < LOG_DEBUG) {
		struct vcpu_cpuid *c = cpuid_slot(v, leaf);
		*c = (struct vcpu_cpuid){ .leaf = leaf, .valid = true, .osxsave = leaf == 1,
					  .out = { out[EAX], out[EBX], out[ECX], out[EDX] } };
		if (leaf == 1)
			c->out[ECX] &= ~CPUID1_ECX_OSXSAVE;
	}
	cpuid_set_regs(v, out);
}

/* RIP first: nothing then lives across that call, and a fault leaves the registers alone. */
enum exit_action exit_cpuid(struct vcpu *v)
{
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	u32 leaf = (u32)v->regs.gpr[VCPU_RAX];
	const struct vcpu_cpuid *c = cpuid_slot(v, leaf);
	if (__builtin_expect(!c->valid || c->leaf != leaf, 0)) {
		cpuid_compute(v, leaf);
		return EXIT_RESUME;
	}
	cpuid_answer_kept(v, c);
	return EXIT_RESUME;
}
