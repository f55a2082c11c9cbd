/* CPUID and MSR filter payload: what a Linux guest relies on (docs/linux.md "CPUID and MSRs").
 * Every bit position below is written from the SDM (Vol. 2A CPUID, Vol. 4 MSRs) and the APM
 * (Vol. 3 Appendix E), not from Keel's table; the host CPU (QEMU's or Bochs' model) supplies
 * the leaves Keel filters. */
#include "lib/guest.h"

#define S "cpufilt"
#define B(n) (1u << (n))

enum { EAX, EBX, ECX, EDX };

static uint32_t max_leaf, max_ext;
static bool intel;

static void cpuid_chk(const char *name, uint32_t leaf, uint32_t sub, int reg, uint32_t zero,
		      uint32_t one)
{
	uint32_t r[4];
	cpuid(leaf, sub, r);
	verdict_check(S, name, !(r[reg] & zero) && (r[reg] & one) == one,
		      "leaf %x.%u reg %d = %x: hidden bits %x, required %x", leaf, sub, reg, r[reg],
		      r[reg] & zero, one & ~r[reg]);
}

static void cpuid_zero(const char *name, uint32_t leaf, uint32_t sub, uint32_t avail)
{
	uint32_t r[4];
	if (leaf > avail) {
		verdict_skip(S, name, "leaf not offered");
		return;
	}
	cpuid(leaf, sub, r);
	verdict_check(S, name, !(r[0] | r[1] | r[2] | r[3]), "leaf %x: %x %x %x %x", leaf, r[0],
		      r[1], r[2], r[3]);
}

static void check_cpuid(void)
{
	/* 1.ECX: DTES64 2, MONITOR 3, DS-CPL 4, VMX 5, SMX 6, EST 7, TM2 8, PDCM 15, x2APIC 21;
	 * TSC-deadline 24 and hypervisor 31 set. 1.EDX: MCE 7, MCA 14, DS 21, ACPI 22, TM 29,
	 * PBE 31 hidden; APIC 9 set. */
	cpuid_chk("leaf1-ecx", 1, 0, ECX, B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(15) |
		  B(21), B(24) | B(31));
	cpuid_chk("leaf1-edx", 1, 0, EDX, B(7) | B(14) | B(21) | B(22) | B(29) | B(31), B(9));
	cpuid_zero("leaf5-monitor", 5, 0, max_leaf);
	uint32_t r[4];
	cpuid(6, 0, r);
	verdict_check(S, "leaf6-arat-only", r[0] == B(2) && !r[1] && !r[2] && !r[3],
		      "%x %x %x %x", r[0], r[1], r[2], r[3]);
	if (max_leaf >= 7) {
		/* EBX: TSC_ADJUST 1, SGX 2, PQM 12, PQE 15, PT 25. ECX: WAITPKG 5, CET_SS 7,
		 * LA57 16, SGX_LC 30. EDX: PCONFIG 18, CET_IBT 20, 26-31 (IBRS, STIBP, L1D_FLUSH,
		 * ARCH_CAPABILITIES, CORE_CAPABILITIES, SSBD). */
		cpuid_chk("leaf7-ebx", 7, 0, EBX, B(1) | B(2) | B(12) | B(15) | B(25), 0);
		cpuid_chk("leaf7-ecx", 7, 0, ECX, B(5) | B(7) | B(16) | B(30), 0);
		cpuid_chk("leaf7-edx", 7, 0, EDX, B(18) | B(20) | 0xfc000000u, 0);
	} else {
		verdict_skip(S, "leaf7-ebx", "leaf 7 not offered");
		verdict_skip(S, "leaf7-ecx", "leaf 7 not offered");
		verdict_skip(S, "leaf7-edx", "leaf 7 not offered");
	}
	cpuid_zero("leafa-pmu", 0xa, 0, max_leaf);
	if (max_leaf >= 0xd) {
		cpuid(0xd, 1, r);
		verdict_check(S, "leafd1-no-xsaves", !(r[0] & B(3)) && !r[2] && !r[3], "%x %x %x",
			      r[0], r[2], r[3]);
	} else {
		verdict_skip(S, "leafd1-no-xsaves", "leaf 0xd not offered");
	}
	if (max_ext >= 0x80000008) {
		cpuid_chk("ext7-invariant-tsc-only", 0x80000007, 0, EDX, ~B(8), 0);
		cpuid_chk("ext8-ebx", 0x80000008, 0, EBX, ~(B(0) | B(2) | B(9)), 0);
	} else {
		verdict_skip(S, "ext7-invariant-tsc-only", "leaf 0x80000008 not offered");
		verdict_skip(S, "ext8-ebx", "leaf 0x80000008 not offered");
	}
	cpuid_zero("ext1f-sme-sev", 0x8000001f, 0, max_ext);
}

/* 0 = read with value *val; 13 = #GP; anything else = another exception. */
static unsigned msr_read(uint32_t msr, uint64_t *val)
{
	struct guest_exc x;
	msr_read_try(msr, val, &x);
	return x.raised ? x.vector : 0;
}

static unsigned msr_write(uint32_t msr, uint64_t val)
{
	struct guest_exc x;
	msr_write_try(msr, val, &x);
	return x.raised ? x.vector : 0;
}

static void msr_reads(const char *name, uint32_t msr, uint64_t want)
{
	uint64_t v = ~0ull;
	unsigned e = msr_read(msr, &v);
	verdict_check(S, name, !e && v == want, "msr %x: exception %u value %lx", msr, e,
		      (unsigned long)v);
}

static void msr_faults(const char *name, uint32_t msr)
{
	uint64_t v;
	unsigned e = msr_read(msr, &v);
	verdict_check(S, name, e == 13, "msr %x: exception %u (want #GP)", msr, e);
}

static void check_msrs(void)
{
	/* Machine check (SDM Vol. 4 2-1): MCG_CAP 179h, MCG_STATUS 17Ah, MCG_CTL 17Bh,
	 * MC0_STATUS 401h, MC0_CTL2 280h read 0 and take writes. */
	msr_reads("mcg-cap-zero", 0x179, 0);
	msr_reads("mcg-status-zero", 0x17a, 0);
	msr_reads("mcg-ctl-zero", 0x17b, 0);
	msr_reads("mc0-status-zero", 0x401, 0);
	unsigned e = msr_write(0x401, 0) | msr_write(0x17a, 0) | msr_write(0x280, 0);
	verdict_check(S, "mca-writes-taken", !e, "exception %u", e);
	msr_reads("ucode-rev-zero", 0x8b, 0);
	/* MTRRs: IA32_MTRRCAP FEh (no variable or fixed ranges), IA32_MTRR_DEF_TYPE 2FFh (E, WB). */
	msr_reads("mtrrcap-empty", 0xfe, 0);
	msr_reads("mtrr-deftype-wb", 0x2ff, 0x806);
	uint64_t v = 0;
	bool ok = !msr_write(0x2ff, 0x800) && !msr_read(0x2ff, &v) && v == 0x800 &&
		  msr_write(0x2ff, 0x1806) == 13 && msr_write(0x2ff, 0x802) == 13 &&
		  !msr_write(0x2ff, 0x806);
	verdict_check(S, "mtrr-deftype-write", ok, "read back %lx", (unsigned long)v);
	if (intel) {
		ok = !msr_read(0x1a0, &v) && (v & 1);
		verdict_check(S, "misc-enable", ok, "IA32_MISC_ENABLE %lx", (unsigned long)v);
		msr_reads("platform-id", 0x17, 0);
		msr_faults("k8-int-pending", 0xc0010055);
	} else {
		msr_faults("misc-enable", 0x1a0);
		msr_faults("platform-id", 0x17);
		msr_reads("k8-int-pending", 0xc0010055, 0);
	}
	msr_faults("sev-status-gp", 0xc0010131);
	msr_faults("x2apic-msr-gp", 0x802);
}

static inline void xsetbv_raw(void *arg)
{
	uint64_t v = *(uint64_t *)arg;
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static ureg cr4_read(void)
{
	ureg v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void cr4_write(ureg v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

/* XSAVE offered means XSETBV works for every state leaf 0xD.0 lists, #GPs for others, and
 * CPUID.1:ECX.OSXSAVE follows CR4 (SDM Vol. 2A CPUID, Vol. 2C XSETBV). */
static void check_xsave(void)
{
	uint32_t r[4], d[4];
	cpuid(1, 0, r);
	if (!(r[2] & B(26)) || max_leaf < 0xd) {
		verdict_skip(S, "xsave-consistent", "XSAVE not offered");
		return;
	}
	cpuid(0xd, 0, d);
	uint64_t sup = (uint64_t)d[3] << 32 | d[0], want = sup & 7, bad = 0;
	for (int i = 0; i < 63 && !bad; i++)
		if (!(sup >> i & 1))
			bad = want | 1ull << i;
	cr4_write(cr4_read() | (ureg)1 << 18);
	cpuid(1, 0, r);
	bool osx = r[2] & B(27);
	struct guest_exc x1, x2;
	exc_try(xsetbv_raw, &want, &x1);
	uint64_t got = xgetbv0();
	exc_try(xsetbv_raw, &bad, &x2);
	verdict_check(S, "xsave-consistent", osx && !x1.raised && got == want && x2.raised &&
		      x2.vector == 13 && (sup & 3) == 3, "osxsave %u set %lx got %lx (supported "
		      "%lx), bad %lx raised %u/%u", osx, (unsigned long)want, (unsigned long)got,
		      (unsigned long)sup, (unsigned long)bad, x2.raised, x2.vector);
}

int guest_main(const struct keel_start_info *si)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	max_leaf = r[0];
	intel = r[1] == 0x756e6547u; /* "Genu" */
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	g_printf("cpufilt: partition %s, %s vendor, max leaf %x, max extended leaf %x\n", si->name,
		 intel ? "Intel" : "non-Intel", max_leaf, max_ext);
	check_cpuid();
	check_msrs();
	check_xsave();
	return 0;
}
