/* The long-mode suite payload: every manifest form in 64-bit code against the test device, then
 * the page-walk, #UD, CPUID/MSR and instruction-length cases. */
#include "suite.h"
#include "paging.h"

void flat_run(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
	      unsigned len, struct ctx *out, struct xres *x);

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

static struct engine eng64 = {
	.mode = MODE_L64, .suite = "forms64", .nregs = 16, .vec_regs = 16,
	.role_lin = { SC_TA, SC_SCR, SC_STK }, .run = flat_run,
};

/* SSE needs CR4.OSFXSR, AVX CR4.OSXSAVE and XCR0.SSE|AVX (SDM Vol. 1 13.1, 14.3). */
static bool vector_init(void)
{
	uint32_t r[4];
	ureg cr0, cr4;
	cpuid(1, 0, r);
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	bool xsave = r[2] & (1u << 26), avx = r[2] & (1u << 28);
	if (xsave)
		cr4 |= CR4_OSXSAVE;
	__asm__ volatile("mov %0, %%cr0; mov %1, %%cr4" : : "r"(cr0), "r"(cr4));
	if (xsave && avx)
		__asm__ volatile("xsetbv" : : "c"(0), "a"(7), "d"(0));
	return xsave && avx;
}

int guest_main(const struct keel_start_info *si)
{
	g_printf("suite: partition %s, long mode\n", si->name);
	eng64.avx = vector_init();
	cpu_features_init();
	pg_build(PG_4L);
	__asm__ volatile("mov %0, %%cr3" : : "r"(pg_cr3(0)) : "memory");
	suite_run(&eng64);
	return 0;
}
