/* Shared helpers of the page-walker host tests (walk_test.c, walk_cases.c). */
#ifndef TESTS_HOST_WALK_TEST_H
#define TESTS_HOST_WALK_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include "emul/walk.h"
#include "walk_pt.h"

/* Control-register bits (SDM Vol. 3A 2.5, 2.2.1). */
#define T_CR0_PE   (1ull << 0)
#define T_CR0_WP   (1ull << 16)
#define T_CR0_PG   (1ull << 31)
#define T_CR4_PSE  (1ull << 4)
#define T_CR4_PAE  (1ull << 5)
#define T_CR4_LA57 (1ull << 12)
#define T_CR4_SMEP (1ull << 20)
#define T_CR4_SMAP (1ull << 21)
#define T_CR4_PKE  (1ull << 22)
#define T_CR4_PKS  (1ull << 24)
#define T_EFER_LME (1ull << 8)
#define T_EFER_LMA (1ull << 10)
#define T_EFER_NXE (1ull << 11)
#define T_RFL_AC   (1ull << 18)

struct tstate {
	bool wp, smap, smep, ac, nxe, pse, pke, pks;
	unsigned m, cpl;
	uint32_t pkru, pkrs;
};

/* A walk_ctl for paging mode `mode` with tables at cr3. */
struct walk_ctl tctl(enum ptm mode, uint64_t cr3, const struct tstate *t);

/* Records one case: prints VERDICT and counts failures. fmt describes a failure. */
void verdict(const char *name, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void verdict_skip(const char *name, const char *why);
extern unsigned t_failures;

/* Groups of cases in walk_cases.c. */
void cases_hand(void);
void cases_outside(void);
void cases_ad(void);
void cases_canonical(void);
void cases_pdpte(void);

#endif
