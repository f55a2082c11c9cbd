/* Page-walk cases (walk.c): a REP MOVS with a condition on one side's page or on CR0/CR4. */
#ifndef SUITE_WALK_H
#define SUITE_WALK_H

#include "suite.h"

struct walk {
	const char *name;
	unsigned elem;     /* 1, 4 or 8 */
	bool down;         /* DF = 1 */
	uint8_t src, dst;  /* roles (enum sc_role) */
	uint32_t page;     /* a test-region page whose entry changes, or 0 */
	bool alias;        /* the scratch side through the alias region's large page */
	bool giant;        /* ... a 1 GiB one */
	uint64_t set, clear;
	ureg cr0_clear, cr4_set;
	uint64_t rflags;   /* extra RFLAGS bits (AC) */
	bool fault;        /* a #PF is expected */
	bool partway;      /* ... after some elements */
	bool cpu_fault;    /* ... raised by the CPU itself (a RAM source: the CPU reads it first) */
};

bool walk_run(const struct engine *e, const struct walk *w, char *why, size_t len);
int walk_stale(const struct engine *e, uint32_t off, uint32_t pg, uint64_t set, uint64_t clear,
	       char *why, size_t len);
bool walk_cpu_smep(void);
bool walk_cpu_smap(void);
void walk_smep(bool on);
/* Runs the table: one verdict per entry, in suite `suite`, names prefixed with `prefix`. */
void walk_suite(const struct engine *e, const char *suite, const char *prefix, bool giant_ok,
		bool stale);

void walk_skip_all(const char *suite, const char *prefix, bool giant_ok, bool stale, const char *why);

#endif
