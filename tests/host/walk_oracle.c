/* Page-walk oracle: decision tables transcribed from the SDM prose and entry-format tables,
 * evaluated row by row (first match wins). Nothing here is shared with emul/walk.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "walk_oracle.h"

/* SDM Vol. 3A 4.6.1, one row per bullet. Columns:
 *   who  U = user-mode access, S = supervisor-mode access (explicit or implicit)
 *   op   R = data read, W = data write, X = instruction fetch
 *   addr U = user-mode address (U/S = 1 at every level), S = supervisor-mode address
 *   WP   CR0.WP          SMAP  CR4.SMAP        ACX  EFLAGS.AC = 1 and the access is explicit
 *   SMEP CR4.SMEP        NXA   PAE/4-/5-level paging with EFER.NXE = 1
 *   RWA  R/W = 1 at every level                XDA  XD = 1 at some level
 * then A (allowed) or D (denied); '-' matches anything. */
static const char *const rights_rules[] = {
	/* who op addr WP SMAP ACX SMEP NXA RWA XDA */
	"S R S  -  -  -  -  -  -  -  A", /* read any supervisor-mode address */
	"S R U  -  0  -  -  -  -  -  A", /* SMAP = 0: read any user-mode address */
	"S R U  -  1  1  -  -  -  -  A", /* SMAP = 1, AC = 1, explicit */
	"S R U  -  1  0  -  -  -  -  D", /* SMAP = 1, AC = 0 or implicit */
	"S W S  0  -  -  -  -  -  -  A", /* WP = 0: write any supervisor-mode address */
	"S W S  1  -  -  -  -  1  -  A", /* WP = 1: only with R/W = 1 everywhere */
	"S W S  1  -  -  -  -  0  -  D",
	"S W U  0  0  -  -  -  -  -  A", /* WP = 0, SMAP = 0: write any user-mode address */
	"S W U  0  1  1  -  -  -  -  A", /* WP = 0, SMAP = 1, AC = 1, explicit */
	"S W U  0  1  0  -  -  -  -  D",
	"S W U  1  0  -  -  -  1  -  A", /* WP = 1, SMAP = 0: R/W = 1 everywhere */
	"S W U  1  0  -  -  -  0  -  D",
	"S W U  1  1  1  -  -  1  -  A", /* WP = 1, SMAP = 1, AC = 1, explicit: R/W = 1 */
	"S W U  1  1  1  -  -  0  -  D",
	"S W U  1  1  0  -  -  -  -  D", /* WP = 1, SMAP = 1, AC = 0 or implicit */
	"S X S  -  -  -  -  0  -  -  A", /* 32-bit paging or NXE = 0: fetch anywhere */
	"S X S  -  -  -  -  1  -  0  A", /* NXE = 1: XD = 0 everywhere */
	"S X S  -  -  -  -  1  -  1  D",
	"S X U  -  -  -  1  -  -  -  D", /* SMEP = 1: no fetch from user-mode addresses */
	"S X U  -  -  -  0  0  -  -  A",
	"S X U  -  -  -  0  1  -  0  A",
	"S X U  -  -  -  0  1  -  1  D",
	"U R U  -  -  -  -  -  -  -  A", /* user mode: read any user-mode address */
	"U R S  -  -  -  -  -  -  -  D",
	"U W U  -  -  -  -  -  1  -  A", /* write user-mode addresses with R/W = 1 everywhere */
	"U W U  -  -  -  -  -  0  -  D",
	"U W S  -  -  -  -  -  -  -  D",
	"U X U  -  -  -  -  0  -  -  A",
	"U X U  -  -  -  -  1  -  0  A",
	"U X U  -  -  -  -  1  -  1  D",
	"U X S  -  -  -  -  -  -  -  D",
};

/* SDM 4.6.2 (protection keys; 4-/5-level paging, data accesses only). Columns:
 *   addr U = user-mode address (key from PKRU, needs CR4.PKE), S = supervisor (IA32_PKRS, CR4.PKS)
 *   op   R / W        who U / S        WP CR0.WP        AD, WD the key's bits
 * then D (denied); no match means the key allows the access. */
static const char *const key_rules[] = {
	/* addr op who WP AD WD */
	"U  -  -  -  1  -  D", /* ADi = 1: no data access */
	"U  W  U  -  -  1  D", /* WDi = 1: no user-mode write */
	"U  W  S  1  -  1  D", /* WDi = 1: no supervisor-mode write if CR0.WP = 1 */
	"S  -  -  -  1  -  D",
	"S  W  -  1  -  1  D",
};

static bool rule_match(const char *row, const char *vals, size_t n, char *result)
{
	size_t k = 0;

	for (const char *c = row; *c; c++) {
		if (isspace((unsigned char)*c))
			continue;
		if (k == n) {
			*result = *c;
			return true;
		}
		if (*c != '-' && *c != vals[k])
			return false;
		k++;
	}
	fprintf(stderr, "oracle: malformed rule '%s'\n", row);
	exit(2);
}

static char rule_eval(const char *const *rules, size_t nrules, const char *vals, char dflt)
{
	char r;

	for (size_t i = 0; i < nrules; i++)
		if (rule_match(rules[i], vals, strlen(vals), &r))
			return r;
	return dflt;
}

static char b01(bool b)
{
	return b ? '1' : '0';
}

static bool oracle_key_denies(const struct oracle_access *a, bool user_addr)
{
	char vals[7];
	uint32_t reg = user_addr ? a->pkru : a->pkrs;

	if (a->mode < PTM_L4 || a->op == 'X' || !(user_addr ? a->pke : a->pks))
		return false;
	vals[0] = user_addr ? 'U' : 'S';
	vals[1] = a->op;
	vals[2] = a->who == 'U' ? 'U' : 'S';
	vals[3] = b01(a->wp);
	vals[4] = b01((reg >> (2 * a->key)) & 1u);
	vals[5] = b01((reg >> (2 * a->key + 1)) & 1u);
	vals[6] = 0;
	return rule_eval(key_rules, sizeof(key_rules) / sizeof(key_rules[0]), vals, 'A') == 'D';
}

bool oracle_allows(const struct oracle_access *a, uint32_t *error)
{
	bool user_addr = true, rw_all = true, xd_any = false, key_deny, deny;
	bool nxa = a->mode != PTM_32 && a->nxe;
	char vals[11], r;

	for (unsigned i = 0; i < a->n; i++) {
		user_addr &= a->us[i];
		rw_all &= a->rw[i];
		xd_any |= a->xd[i];
	}
	vals[0] = a->who == 'U' ? 'U' : 'S';
	vals[1] = a->op;
	vals[2] = user_addr ? 'U' : 'S';
	vals[3] = b01(a->wp);
	vals[4] = b01(a->smap);
	vals[5] = b01(a->ac && a->who != 'I');
	vals[6] = b01(a->smep);
	vals[7] = b01(nxa);
	vals[8] = b01(rw_all);
	vals[9] = b01(xd_any);
	vals[10] = 0;
	r = rule_eval(rights_rules, sizeof(rights_rules) / sizeof(rights_rules[0]), vals, '?');
	if (r == '?') {
		fprintf(stderr, "oracle: no rule for %s\n", vals);
		exit(2);
	}
	key_deny = oracle_key_denies(a, user_addr);
	deny = r == 'D' || key_deny;
	/* SDM 4.7: the error code describes the access, plus PK when the key forbade it. */
	*error = deny ? 0x1u : 0;
	*error |= a->op == 'W' ? 0x2u : 0;
	*error |= a->who == 'U' ? 0x4u : 0;
	*error |= (a->op == 'X' && (a->smep || nxa)) ? 0x10u : 0;
	*error |= key_deny ? 0x20u : 0;
	return !deny;
}

/* Entry formats (SDM Vol. 3A 4.3 Tables "32-bit PDE/PTE", 4.4 "PAE PDPTE/PDE/PTE", 4.5
 * "PML5E/PML4E/PDPTE/PDE/PTE"). Bit ranges use M = MAXPHYADDR and M40 = min(M, 40);
 * a trailing ! marks bit 63 (XD), reserved only when EFER.NXE = 0. */
struct entry_fmt {
	enum ptm mode;
	int depth; /* from the top of the mode's hierarchy */
	enum oracle_ekind kind;
	const char *rsvd, *addr;
};

static const struct entry_fmt entry_fmts[] = {
	{ PTM_32, 0, EK_TABLE, "", "31:12" },                       /* PDE -> page table */
	{ PTM_32, 0, EK_PAGE_LARGE, "21:M40-19", "31:22 M40-20:13" }, /* PDE, 4-MByte page */
	{ PTM_32, 1, EK_PAGE_4K, "", "31:12" },                     /* PTE */
	{ PTM_PAE, 0, EK_PDPTE_PAE, "63:M 8:5 2:1", "M-1:12" },    /* PDPTE */
	{ PTM_PAE, 1, EK_TABLE, "62:M 63!", "M-1:12" },            /* PDE -> page table */
	{ PTM_PAE, 1, EK_PAGE_LARGE, "62:M 20:13 63!", "M-1:21" }, /* PDE, 2-MByte page */
	{ PTM_PAE, 2, EK_PAGE_4K, "62:M 63!", "M-1:12" },          /* PTE */
	{ PTM_L5, 0, EK_TABLE, "51:M 7 63!", "M-1:12" },           /* PML5E */
	{ PTM_L4, 0, EK_TABLE, "51:M 7 63!", "M-1:12" },           /* PML4E */
	{ PTM_L4, 1, EK_TABLE, "51:M 63!", "M-1:12" },             /* PDPTE -> page directory */
	{ PTM_L4, 1, EK_PAGE_LARGE, "51:M 29:13 63!", "M-1:30" },  /* PDPTE, 1-GByte page */
	{ PTM_L4, 2, EK_TABLE, "51:M 63!", "M-1:12" },             /* PDE -> page table */
	{ PTM_L4, 2, EK_PAGE_LARGE, "51:M 20:13 63!", "M-1:21" },  /* PDE, 2-MByte page */
	{ PTM_L4, 3, EK_PAGE_4K, "51:M 63!", "M-1:12" },           /* PTE */
};

static int spec_num(const char **s, unsigned m)
{
	int v;
	char *end;

	if (strncmp(*s, "M40", 3) == 0) {
		v = m < 40 ? (int)m : 40;
		*s += 3;
	} else if (**s == 'M') {
		v = (int)m;
		*s += 1;
	} else {
		v = (int)strtol(*s, &end, 10);
		*s = end;
		return v;
	}
	if (**s == '-') {
		v -= (int)strtol(*s + 1, &end, 10);
		*s = end;
	}
	return v;
}

static uint64_t spec_mask(const char *s, unsigned m, bool nxe)
{
	uint64_t mask = 0;

	while (*s) {
		int hi, lo;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		hi = lo = spec_num(&s, m);
		if (*s == ':') {
			s++;
			lo = spec_num(&s, m);
		}
		if (*s == '!') {
			s++;
			if (nxe)
				continue;
		}
		for (int b = lo; b <= hi && b < 64; b++)
			mask |= 1ull << b;
	}
	return mask;
}

/* 5-level paging adds the PML5E on top of the 4-level formats. */
static const struct entry_fmt *oracle_row(enum ptm mode, unsigned lvl, enum oracle_ekind k)
{
	enum ptm look = mode;

	if (mode == PTM_L5 && lvl > 0) {
		look = PTM_L4;
		lvl--;
	} else if (mode == PTM_L5) {
		look = PTM_L5;
	}
	for (size_t i = 0; i < sizeof(entry_fmts) / sizeof(entry_fmts[0]); i++)
		if (entry_fmts[i].mode == look && entry_fmts[i].depth == (int)lvl &&
		    entry_fmts[i].kind == k)
			return &entry_fmts[i];
	fprintf(stderr, "oracle: no entry format for mode %d level %u kind %d\n", mode, lvl, k);
	exit(2);
}

uint64_t oracle_rsvd(enum ptm mode, unsigned lvl, enum oracle_ekind k, unsigned m, bool nxe)
{
	return spec_mask(oracle_row(mode, lvl, k)->rsvd, m, nxe);
}

uint64_t oracle_addr(enum ptm mode, unsigned lvl, enum oracle_ekind k, unsigned m)
{
	return spec_mask(oracle_row(mode, lvl, k)->addr, m, true);
}
