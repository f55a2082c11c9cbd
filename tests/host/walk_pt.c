/* Page-table builder for the page-walker tests (see walk_pt.h). */
#include <stdio.h>
#include <stdlib.h>
#include "walk_pt.h"

/* SDM Vol. 3A: Figure 4-2/4-3 (32-bit: 31:22, 21:12), 4-5/4-6 (PAE: 31:30, 29:21, 20:12),
 * 4-8..4-10 (4-level: 47:39, 38:30, 29:21, 20:12), 5-level adds 56:48 on top. */
const struct ptgeo ptgeo[PTM_COUNT] = {
	[PTM_32] = { "32bit", 2, 4, { 22, 12 }, { 10, 10 } },
	[PTM_PAE] = { "pae", 3, 8, { 30, 21, 12 }, { 2, 9, 9 } },
	[PTM_L4] = { "4level", 4, 8, { 39, 30, 21, 12 }, { 9, 9, 9, 9 } },
	[PTM_L5] = { "5level", 5, 8, { 48, 39, 30, 21, 12 }, { 9, 9, 9, 9, 9 } },
};

static uint64_t ptb_alloc(struct ptb *b)
{
	uint64_t g = b->next;

	if (g + 4096 > b->end) {
		fprintf(stderr, "ptb: table pool exhausted\n");
		exit(2);
	}
	b->next += 4096;
	for (unsigned i = 0; i < 4096; i += 8)
		fakemem_wr(b->m, g + i, 0, 8);
	return g;
}

void ptb_init(struct ptb *b, struct fakemem *m, enum ptm mode, uint64_t pool, uint64_t pool_end)
{
	b->m = m;
	b->mode = mode;
	b->next = pool;
	b->end = pool_end;
	/* PAE: CR3 bits 31:5 locate the 32-byte PDPT; put it off the page start on purpose. */
	b->cr3 = ptb_alloc(b) + (mode == PTM_PAE ? 0x60 : 0);
}

/* The address field of an entry that maps a page of 2^shift bytes at pa (or a table at pa). */
static uint64_t ptb_addr(const struct ptb *b, uint64_t pa, unsigned shift)
{
	if (b->mode == PTM_32 && shift == 22) /* Table 4-4: PA 39:32 live in PDE bits 20:13 */
		return (pa & 0xffc00000u) | (((pa >> 32) & 0xffu) << 13);
	return pa & ~((1ull << shift) - 1);
}

void ptb_map(struct ptb *b, uint64_t la, uint64_t pa, unsigned leaf, uint64_t tflags,
	     uint64_t lflags, struct ptpath *p)
{
	const struct ptgeo *g = &ptgeo[b->mode];
	uint64_t table = b->cr3;

	p->n = leaf + 1;
	for (unsigned i = 0; i <= leaf; i++) {
		uint64_t idx = (la >> g->shift[i]) & ((1ull << g->bits[i]) - 1);
		uint64_t egpa = table + idx * g->esize, e = fakemem_rd(b->m, egpa, g->esize);
		bool pdpte = b->mode == PTM_PAE && i == 0;

		p->gpa[i] = egpa;
		if (i == leaf) {
			p->addr[i] = ptb_addr(b, pa, g->shift[i]);
			ptb_set(b, p, i, lflags | (i + 1 < g->levels ? E_PS : 0));
			return;
		}
		if (!(e & E_P)) {
			e = ptb_alloc(b) | (pdpte ? E_P : tflags);
			fakemem_wr(b->m, egpa, e, g->esize);
		}
		p->addr[i] = e & (b->mode == PTM_32 ? 0xfffff000ull : 0x000ffffffffff000ull);
		table = p->addr[i];
	}
}

void ptb_set(struct ptb *b, const struct ptpath *p, unsigned lvl, uint64_t flags)
{
	bool pdpte = b->mode == PTM_PAE && lvl == 0;

	fakemem_wr(b->m, p->gpa[lvl], p->addr[lvl] | (pdpte ? (flags & E_P) : flags),
		   ptgeo[b->mode].esize);
}

uint64_t ptb_get(const struct ptb *b, const struct ptpath *p, unsigned lvl)
{
	return fakemem_rd(b->m, p->gpa[lvl], ptgeo[b->mode].esize);
}
