/* What both payloads set up first: SSE and AVX state (SDM Vol. 1 13.1, 14.3: CR4.OSFXSR, and
 * CR4.OSXSAVE with XCR0.SSE|AVX). */
#include "suite.h"

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)

bool vector_init(void)
{
	uint32_t r[4];
	ureg cr0, cr4;
	cpuid(1, 0, r);
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	cr0 = (cr0 | CR0_MP) & ~(ureg)(CR0_EM | CR0_TS);
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	bool xsave = r[2] & (1u << 26), avx = r[2] & (1u << 28);
	if (xsave)
		cr4 |= CR4_OSXSAVE;
	__asm__ volatile("mov %0, %%cr0; mov %1, %%cr4" : : "r"(cr0), "r"(cr4));
	if (xsave && avx)
		__asm__ volatile("xsetbv" : : "c"(0), "a"(7), "d"(0));
	return xsave && avx;
}

bool cmdline_has(const struct keel_start_info *si, const char *w)
{
	const char *s = (const char *)(uintptr_t)si->cmdline;
	size_t n = strlen(w);
	for (; *s; s++) {
		if ((s == (const char *)(uintptr_t)si->cmdline || s[-1] == ' ') && !memcmp(s, w, n) &&
		    (s[n] == ' ' || !s[n]))
			return true;
	}
	return false;
}

void misc_suites(const struct keel_start_info *si)
{
	msr_suite("msr", si->vcpu);
	cpuid_suite("cpuid", si);
	len_suite("len", cmdline_has(si, "hwlen=1"));
}
