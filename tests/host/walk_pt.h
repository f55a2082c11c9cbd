/* Page-table builder for the page-walker tests: lays out tables in fake guest RAM from the
 * SDM's linear-address split (Vol. 3A Figures 4-2..4-11), independently of emul/walk.c. */
#ifndef TESTS_HOST_WALK_PT_H
#define TESTS_HOST_WALK_PT_H

#include <stdint.h>
#include "walk_mem.h"

enum ptm { PTM_32, PTM_PAE, PTM_L4, PTM_L5, PTM_COUNT };

struct ptgeo {
	const char *name;
	unsigned levels, esize;
	unsigned shift[5], bits[5];
};
extern const struct ptgeo ptgeo[PTM_COUNT];

/* Entry bits (SDM Vol. 3A 4.3-4.5). */
#define E_P  (1ull << 0)
#define E_RW (1ull << 1)
#define E_US (1ull << 2)
#define E_A  (1ull << 5)
#define E_D  (1ull << 6)
#define E_PS (1ull << 7)
#define E_XD (1ull << 63)

/* The entries that translate one linear address, top level first. */
struct ptpath {
	unsigned n;
	uint64_t gpa[5];  /* where each entry lives */
	uint64_t addr[5]; /* each entry's address field (entry = addr | flags) */
};

struct ptb {
	struct fakemem *m;
	enum ptm mode;
	uint64_t next, end; /* table pool */
	uint64_t cr3;
};

void ptb_init(struct ptb *b, struct fakemem *m, enum ptm mode, uint64_t pool, uint64_t pool_end);
/* Maps la to pa with the leaf at depth `leaf` (0 = top; a large page if above the last level).
 * Tables on the way are created as needed with flags `tflags`; the leaf gets `lflags` (plus PS
 * for a large page). A PAE PDPTE always gets only P. */
void ptb_map(struct ptb *b, uint64_t la, uint64_t pa, unsigned leaf, uint64_t tflags,
	     uint64_t lflags, struct ptpath *p);
/* Rewrites entry `lvl` of a path as addr | flags. */
void ptb_set(struct ptb *b, const struct ptpath *p, unsigned lvl, uint64_t flags);
uint64_t ptb_get(const struct ptb *b, const struct ptpath *p, unsigned lvl);

#endif
