/* Placing strings and port I/O: element counts, ranges that cross a page in the window and in
 * the scratch pages, REPE/REPNE data that stops where the case wants, and the oracle's source or
 * sink for INS/OUTS. */
#include "suite.h"

#define PAGE 0x1000u
#define CURSOR_AREA 0x1a00u /* the port cursor's bytes: apart from every string side */
#define FIFO_AREA   0x1600u /* INS/OUTS oracle source or sink, in the scratch pages */

static uint32_t str_count(const struct sc *c)
{
	switch (c->count) {
	case CNT_ZERO: return 0;
	case CNT_MANY: return (160 + rnd(320)) / c->msize;
	default: return 1;
	}
}

/* The lowest byte of a range of len bytes: across the page boundary when it can be, else
 * somewhere in [0x400, 0xc00). */
static uint32_t range_low(uint32_t len, bool cross)
{
	if (cross && len > 1)
		return PAGE - 1 - rnd(len - 1);
	return 0x400 + rnd(0x800);
}

/* The first element's offset of a range starting at low (DF = 1 walks down from the top). */
static uint32_t first_elem(const struct sc *c, uint32_t low, uint32_t n)
{
	return c->df && n ? low + (n - 1) * c->msize : low;
}

static void side_region(struct plan *p, unsigned role, uint32_t low, uint32_t len)
{
	if (role == ROLE_WIN)
		plan_window(p, low, low + len);
	else if (role == ROLE_SCR)
		plan_scratch(p, low, low + len);
}

/* A segment engine gives each side's segment the side's role; a 32-bit paged engine with 16-bit
 * addresses gives it the role's linear base. */
static void side_segment(const struct engine *e, struct plan *p, unsigned seg, unsigned role)
{
	if (role == ROLE_NONE)
		return;
	p->segrole[seg] = (uint8_t)role;
	if (!e->seg && e->mode == MODE_P32 && p->c->asz == 2)
		p->segbase[seg] = e->role_lin[role];
}

static uint64_t side_reg(const struct engine *e, const struct plan *p, unsigned role, uint32_t off,
			 unsigned seg)
{
	if (role == ROLE_NONE)
		return rnd64() & mask(reg_bytes(e));
	return addr_reg(e, p->c->asz, plan_addr(e, p, role, off, seg));
}

static void place_sides(const struct sc *c, struct plan *p, uint32_t len)
{
	bool many = c->count == CNT_MANY;
	uint32_t slow = range_low(len, many || rnd(4) == 0), dlow;
	if (c->src == ROLE_WIN && c->dst == ROLE_WIN) {
		uint32_t k = (1 + rnd(3)) * c->msize;
		if (c->flags & SCF_OVERLAP)
			dlow = c->df ? slow - k : slow + k;
		else
			dlow = 0x200 + rnd(0x100);
	} else {
		dlow = range_low(len, many || rnd(4) == 0);
	}
	p->soff = first_elem(c, slow, p->n);
	p->doff = first_elem(c, dlow, p->n);
	side_region(p, c->src, slow, len ? len : c->msize);
	side_region(p, c->dst, dlow, len ? len : c->msize);
}

void plan_strings(const struct engine *e, const struct sc *c, struct plan *p)
{
	uint64_t *g = p->in.gpr;
	p->n = str_count(c);
	uint32_t len = p->n * c->msize;
	place_sides(c, p, len);
	if (c->str == STR_INS || c->str == STR_OUTS) {
		p->cursor = CURSOR_AREA;
		p->fifo = FIFO_AREA;
		plan_window(p, p->cursor, p->cursor + len + c->msize);
		g[RDX] = addr_reg(e, 2, KEEL_TESTDEV_PORT + c->port);
	}
	unsigned sseg = c->seg, src = c->src, dst = c->dst;
	if (c->str == STR_INS)
		src = ROLE_SCR;
	if (c->str == STR_OUTS)
		dst = ROLE_SCR;
	side_segment(e, p, sseg, src);
	side_segment(e, p, SEG_ES, dst);
	uint32_t so = c->str == STR_INS ? first_elem(c, p->fifo, p->n) : p->soff;
	uint32_t dof = c->str == STR_OUTS ? first_elem(c, p->fifo, p->n) : p->doff;
	g[RSI] = side_reg(e, p, src, so, sseg);
	g[RDI] = side_reg(e, p, dst, dof, SEG_ES);
	if (c->rep)
		g[RCX] = addr_reg(e, c->asz, p->n);
}

void plan_io(const struct engine *e, const struct sc *c, struct plan *p)
{
	uint64_t *g = p->in.gpr;
	p->cursor = CURSOR_AREA + rnd(0x100);
	p->n = 1;
	plan_window(p, p->cursor, p->cursor + c->msize);
	g[RDX] = addr_reg(e, 2, KEEL_TESTDEV_PORT + c->port);
	g[c->str == STR_IN ? RSI : RDI] = addr_reg(e, c->asz, plan_addr(e, p, ROLE_WIN, p->cursor, SEG_DS));
}

/* The address of string element i of a side. */
static uint8_t *elem(const struct sc *c, unsigned role, uint32_t first, uint32_t i)
{
	return role_ram(role) + first + (c->df ? -(int32_t)(i * c->msize) : (int32_t)(i * c->msize));
}

/* CMPS/SCAS: REPE runs while equal, REPNE while not; make element k the one that stops it. */
static void shape_compare(const struct sc *c, struct plan *p)
{
	uint32_t k = rnd(p->n + 1);
	bool repe = c->rep && !(c->flags & SCF_REPNE), repne = c->rep && (c->flags & SCF_REPNE);
	for (uint32_t i = 0; i < p->n; i++) {
		bool eq = repe ? i < k : repne ? i == k : rnd(2);
		uint8_t *d = elem(c, c->dst, p->doff, i);
		const uint8_t *s = c->str == STR_CMPS ? elem(c, c->src, p->soff, i) : (const uint8_t *)&p->in.gpr[RAX];
		memcpy(d, s, c->msize);
		if (!eq)
			d[rnd(c->msize)] ^= (uint8_t)(1 + rnd(255));
	}
}

/* INS's oracle MOVS reads the elements the port will deliver (the window's bytes at the
 * cursor) from the scratch pages, laid out so that its DF walk meets them in port order. */
static void shape_fifo(const struct sc *c, struct plan *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		memcpy(elem(c, ROLE_SCR, first_elem(c, p->fifo, p->n), i), win_ram + p->cursor + i * c->msize,
		       c->msize);
}

void plan_finish(const struct engine *e, const struct sc *c, struct plan *p)
{
	(void)e;
	if (c->flags & SCF_CMPEQ)
		memcpy(&p->in.gpr[RAX], win_ram + p->off, c->osz);
	if (c->kind != SC_STR)
		return;
	if (c->str == STR_CMPS || c->str == STR_SCAS)
		shape_compare(c, p);
	if (c->str == STR_INS)
		shape_fifo(c, p);
}
