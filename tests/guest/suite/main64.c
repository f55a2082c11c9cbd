/* The long-mode suite payload: every manifest form in 64-bit code against the test device, then
 * the page-walk, #UD, CPUID/MSR and instruction-length cases. "part=device" runs only what goes
 * through the device (forms, page walks, #UD): the forwarded cases, whose device is the service
 * VM's. "half=0" runs every other form only, "half=1" the others and the rest. */
#include "suite.h"
#include "paging.h"
#include "walk.h"


void la57_enable(uint64_t pml5);

static struct engine eng64 = {
	.mode = MODE_L64, .suite = "forms64", .nregs = 16, .vec_regs = 16,
	.role_lin = { SC_TA, SC_SCR, SC_STK }, .run = flat_run,
};

int guest_main(const struct keel_start_info *si)
{
	g_printf("suite: partition %s, long mode\n", si->name);
	eng64.avx = vector_init();
	cpu_features_init();
	suite_trace = cmdline_has(si, "trace=1");
	suite_half = cmdline_has(si, "half=0") ? 0 : cmdline_has(si, "half=1") ? 1 : -1;
	pg_build(PG_4L);
	__asm__ volatile("mov %0, %%cr3" : : "r"(pg_cr3(0)) : "memory");
	suite_run(&eng64);
	if (suite_half == 0)
		guest_exit_hlt();
	walk_suite(&eng64, "walk64", "4l-", true, true);
	ud_suite(&eng64, "ud");
	if (!cmdline_has(si, "part=device"))
		misc_suites(si);
	uint32_t r[4];
	cpuid(7, 0, r);
	if (r[2] & (1u << 16)) { /* CPUID.7.0:ECX.LA57 */
		pg_build(PG_5L);
		la57_enable(pg_cr3(0));
		walk_suite(&eng64, "walk64", "5l-", true, false);
	} else {
		walk_skip_all("walk64", "5l-", true, false, "CPUID shows no LA57 (5-level paging)");
	}
	guest_exit_hlt();
}
