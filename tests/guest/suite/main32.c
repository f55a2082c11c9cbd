/* The 32-bit suite payload: every manifest form in real mode and 16-bit protected mode (the
 * segment engine, paging off), then in 32-bit protected mode under PAE paging (the paged
 * engine), then the 32-bit page-walk cases. */
#include "suite.h"
#include "paging.h"
#include "walk.h"


#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)

static struct engine eng_real = {
	.mode = MODE_REAL, .suite = "formsrm", .nregs = 8, .vec_regs = 8, .seg = true, .run = seg_run,
};
static struct engine eng16 = {
	.mode = MODE_P16, .suite = "forms16", .nregs = 8, .vec_regs = 8, .seg = true, .run = seg_run,
};
static struct engine eng32 = {
	.mode = MODE_P32, .suite = "forms32", .nregs = 8, .vec_regs = 8,
	.role_lin = { SC_TA, SC_SCR, SC_STK }, .run = flat_run,
};

/* From paging off (or on: it is turned off first) to mode m (SDM Vol. 3A 4.1.2). */
static void paging_on(enum pgmode m)
{
	uint32_t cr0, cr4;
	pg_build(m);
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~CR0_PG) : "memory");
	cr4 = m == PG_PAE ? cr4 | CR4_PAE : (cr4 & ~CR4_PAE) | (1u << 4); /* CR4.PSE for 4 MiB */
	__asm__ volatile("mov %0, %%cr3; mov %1, %%cr4; mov %2, %%cr0"
			 : : "r"(pg_cr3(0)), "r"(cr4), "r"(cr0 | CR0_PG) : "memory");
}

int guest_main(const struct keel_start_info *si)
{
	g_printf("suite: partition %s, protected mode\n", si->name);
	bool avx = vector_init();
	eng_real.avx = eng16.avx = eng32.avx = avx;
	cpu_features_init();
	suite_trace = cmdline_has(si, "trace=1");
	seg_init();
	/* "part=seg" runs only the 16-bit modes, "part=paged" only 32-bit protected mode: Bochs
	 * takes them in two boots of about the same length. */
	bool seg = !cmdline_has(si, "part=paged"), paged = !cmdline_has(si, "part=seg");
	if (seg) {
		suite_run(&eng_real);
		suite_run(&eng16);
	}
	if (paged) {
		/* "nopae=1": QEMU 7.2 TCG raises #PF(RSVD) on every fetch of a PAE guest under nested
		 * paging (Bochs runs it): 32-bit paging there instead. */
		bool pae = !cmdline_has(si, "nopae=1");
		paging_on(pae ? PG_PAE : PG_32);
		suite_run(&eng32);
		if (pae)
			walk_suite(&eng32, "walk32", "pae-", false, true);
		else
			walk_skip_all("walk32", "pae-", false, true,
				      "PAE guests do not run under QEMU 7.2's nested paging (#PF RSVD on every fetch)");
		paging_on(PG_32);
		walk_suite(&eng32, "walk32", "pg32-", false, true);
		ud_suite(&eng32, "ud");
		misc_suites(si);
	}
	guest_exit_hlt();
}
