/* CPUID as the guest sees it: the filtered bits hidden (VMX, SVM, leaf 8000_000Ah), the
 * hypervisor bit set, OSXSAVE following the guest's CR4, the initial APIC ID its vCPU index; and
 * one "cpuid-view" line per leaf for tests/guest/suite/cpuid_check.py, which holds them against
 * the host values Keel logs at each CPUID exit (loglevel=debug). */
#include "suite.h"

static void view(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	cpuid(leaf, sub, r);
	g_printf("cpuid-view %08x.%08x %08x %08x %08x %08x\n", leaf, sub, r[0], r[1], r[2], r[3]);
}

static uint32_t view_range(uint32_t base, uint32_t last_max)
{
	uint32_t r[4], n = 0;
	view(base, 0, r);
	uint32_t max = r[0] > base + last_max ? base + last_max : r[0];
	for (uint32_t l = base + 1; l <= max; l++) {
		uint32_t subs = (l == 4 || l == 7 || l == 0xb || l == 0xd || l == 0x8000001d) ? 3 : 1;
		for (uint32_t s = 0; s < subs; s++, n++)
			view(l, s, r);
	}
	return n + 1;
}

void cpuid_suite(const char *s, const struct keel_start_info *si)
{
	uint32_t r1[4], e[4], a[4];
	ureg cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	g_printf("cpuid-view-state cr4 %lx vcpu %u\n", (unsigned long)cr4, si->vcpu);
	uint32_t n = view_range(0, 0x20) + view_range(0x80000000u, 0x21) +
		     view_range(0x40000000u, 0x10);
	cpuid(1, 0, r1);
	verdict_check(s, "hypervisor-bit", r1[2] >> 31, "leaf 1 ecx %x", r1[2]);
	verdict_check(s, "vmx-hidden", !(r1[2] & (1u << 5)), "leaf 1 ecx %x", r1[2]);
	verdict_check(s, "osxsave-is-cr4", !!(r1[2] & (1u << 27)) == !!(cr4 & (1u << 18)),
		      "leaf 1 ecx %x cr4 %lx", r1[2], (unsigned long)cr4);
	verdict_check(s, "initial-apic-id", r1[1] >> 24 == si->vcpu, "leaf 1 ebx %x vcpu %u", r1[1],
		      si->vcpu);
	cpuid(0x80000000u, 0, e);
	cpuid(0x80000001u, 0, a);
	verdict_check(s, "svm-hidden", e[0] < 0x80000001u || !(a[2] & (1u << 2)), "ext max %x ecx %x",
		      e[0], a[2]);
	cpuid(0x8000000au, 0, a);
	verdict_check(s, "svm-leaf-empty", !(a[0] | a[1] | a[2] | a[3]), "8000000a: %x %x %x %x", a[0],
		      a[1], a[2], a[3]);
	g_printf("cpuid-view-end %u leaves\n", n);
}

/* With lencheck=1 Keel holds its decoded length against the hardware's for every exit that has
 * one (VMX: all instruction exits; SVM: with NRIPS). The payload's command line says whether
 * this CPU reports lengths (hwlen=1). Each form is run with redundant prefixes too. */
static void run_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	a = 0, c = 0;
	__asm__ volatile(".byte 0x2e, 0x66, 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static void run_rdmsr(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x277u));
	__asm__ volatile(".byte 0x3e, 0x0f, 0x32" : "=a"(lo), "=d"(hi) : "c"(0x277u));
}

static void run_hc(void)
{
	(void)hc(KEEL_HC_VERSION, 0, 0, 0);
	(void)hc(KEEL_HC_VERSION, 0, 0, 0);
}

void len_suite(const char *s, bool hwlen)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} forms[] = { { "cpuid", run_cpuid }, { "rdmsr", run_rdmsr }, { "hypercall", run_hc } };
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t m0 = hc_stat(KEEL_STAT_LEN_MISMATCH), x0 = hc_stat(KEEL_STAT_EXITS);
		uint64_t c0 = hc_stat(KEEL_STAT_LEN_CHECKED);
		forms[i].fn();
		uint64_t c1 = hc_stat(KEEL_STAT_LEN_CHECKED), x1 = hc_stat(KEEL_STAT_EXITS);
		uint64_t m1 = hc_stat(KEEL_STAT_LEN_MISMATCH);
		/* Between the reads: the two instructions, and the two STAT calls after c0's (each
		 * counter includes the call that reads it). */
		uint64_t c = c1 - c0 - (hwlen ? 1 : 0), exits = x1 - x0 - 3, m = m1 - m0;
		if (!hwlen && !c && !m && exits == 2) {
			verdict_skip(s, forms[i].name, "the CPU reports no instruction length for it (SVM without NRIPS): Keel measures it alone");
			continue;
		}
		verdict_check(s, forms[i].name, c == 2 && !m && exits == 2,
			      "lengths checked %lu mismatched %lu exits %lu (want 2, 0, 2)",
			      (unsigned long)c, (unsigned long)m, (unsigned long)exits);
	}
}
