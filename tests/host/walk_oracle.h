/* Expected page-walk outcomes from rules transcribed from the SDM (Vol. 3A 4.6, 4.7 and the
 * entry-format tables of 4.3-4.5), evaluated apart from emul/walk.c's code path. */
#ifndef TESTS_HOST_WALK_ORACLE_H
#define TESTS_HOST_WALK_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include "walk_pt.h"

/* One access to a translated linear address: the combined paging-entry bits and the state. */
struct oracle_access {
	enum ptm mode;
	unsigned n;          /* entries that carry rights (a PAE PDPTE carries none) */
	bool us[5], rw[5], xd[5];
	unsigned key;        /* protection key of the leaf (bits 62:59) */
	char who;            /* 'U' user (CPL 3), 'S' explicit supervisor, 'I' implicit supervisor */
	char op;             /* 'R', 'W' or 'X' */
	bool wp, smap, smep, ac, nxe, pke, pks;
	uint32_t pkru, pkrs;
};

/* Returns true if the SDM allows the access; otherwise sets *error to the #PF error code. */
bool oracle_allows(const struct oracle_access *a, uint32_t *error);

/* Entry kinds for the reserved-bit table. */
enum oracle_ekind { EK_TABLE, EK_PAGE_LARGE, EK_PAGE_4K, EK_PDPTE_PAE };

/* Reserved-bit mask of an entry at depth `lvl` of `mode` (SDM Tables 4-4..4-20), for
 * MAXPHYADDR m and EFER.NXE nxe. */
uint64_t oracle_rsvd(enum ptm mode, unsigned lvl, enum oracle_ekind k, unsigned m, bool nxe);
/* Address-field mask of the same entry. */
uint64_t oracle_addr(enum ptm mode, unsigned lvl, enum oracle_ekind k, unsigned m);

#endif
