/* String instructions MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS with REP/REPE/REPNE (SDM Vol. 2B
 * "REP/REPE/REPZ/REPNE/REPNZ"). One emulation handles one batch: up to EMUL_BATCH_MAX_BYTES of
 * elements that stay within one page and one address-size wrap on every memory side, so that
 * every page is walked (and write-checked) before the first device access. RIP stays while
 * elements remain, so the guest re-executes the instruction and interrupts are taken. */
#include "emul_internal.h"

enum { SIDE_SRC = 1, SIDE_DST = 2, SIDE_DSTRD = 4 };

static const uint8_t str_sides[] = {
	[STR_MOVS] = SIDE_SRC | SIDE_DST, [STR_CMPS] = SIDE_SRC | SIDE_DST | SIDE_DSTRD,
	[STR_STOS] = SIDE_DST, [STR_LODS] = SIDE_SRC, [STR_SCAS] = SIDE_DST | SIDE_DSTRD,
	[STR_INS] = SIDE_DST, [STR_OUTS] = SIDE_SRC,
};

struct str_ctx {
	unsigned size, sides;
	bool down, rep;
	uint64_t count;
};

static void str_ctx(const struct emul *e, struct str_ctx *c)
{
	const struct emul_insn *in = &e->in;
	unsigned k = OPND_KIND(in->d->opnd[0]);

	c->size = in->opsz[k == K_XS || k == K_YD ? 0 : 1];
	c->sides = str_sides[in->d->sub];
	c->down = (e->regs->rflags & EMUL_RFLAGS_DF) != 0;
	c->rep = (in->pfx & (EMUL_PFX_REP | EMUL_PFX_REPNE)) != 0;
	c->count = c->rep ? emul_trunc(e->regs->gpr[EMUL_RCX], in->asz) : 1;
}

/* Elements from `ea` in the string direction before a page or address-size wrap. */
static uint64_t str_room(const struct emul *e, const struct str_ctx *c, enum emul_segreg sr,
			 uint64_t ea)
{
	/* 64-bit mode ignores the DS/ES bases (SDM Vol. 3A 3.4.4) */
	uint64_t base = e->in.mode == EMUL_MODE_LONG64 && sr < SEG_FS ? 0 : e->regs->seg[sr].base;
	uint64_t off = (base + ea) & 0xfff, room, wrap;
	unsigned asz = e->in.asz;

	room = c->down ? off / c->size + 1 : (0x1000 - off) / c->size;
	if (asz < 8) {
		wrap = c->down ? ea / c->size + 1 : ((1ull << (asz * 8)) - ea) / c->size;
		room = wrap < room ? wrap : room;
	}
	return room;
}

static int str_translate(struct emul *e, const struct str_ctx *c, uint64_t n)
{
	const struct emul_insn *in = &e->in;
	uint64_t span = (n - 1) * c->size;
	enum emul_segreg ssrc = (in->d->flags & F_SEGX) && in->segovr != SEG_COUNT ?
				(enum emul_segreg)in->segovr : SEG_DS;
	uint64_t si = emul_trunc(e->regs->gpr[EMUL_RSI], in->asz);
	uint64_t di = emul_trunc(e->regs->gpr[EMUL_RDI], in->asz);
	int r;

	e->nmop = 0;
	if (c->sides & SIDE_SRC) {
		r = emul_translate(e, &e->mop[e->nmop++], ssrc, c->down ? si - span : si,
				   (uint32_t)(span + c->size), TR_READ);
		if (r)
			return r;
	}
	if (c->sides & SIDE_DST) {
		/* SDM Vol. 2B MOVS: the destination is always ES, no override */
		r = emul_translate(e, &e->mop[e->nmop++], SEG_ES, c->down ? di - span : di,
				   (uint32_t)(span + c->size),
				   (c->sides & SIDE_DSTRD) ? TR_READ : TR_WRITE);
		if (r)
			return r;
	}
	return 0;
}

/* MOVS whose destination runs into source elements not yet read: a batch must not read ahead
 * of earlier writes (the result is that of element-by-element execution). */
static uint64_t str_overlap(const struct emul *e, const struct str_ctx *c, uint64_t n)
{
	const struct emul_insn *in = &e->in;
	enum emul_segreg ssrc = (in->d->flags & F_SEGX) && in->segovr != SEG_COUNT ?
				(enum emul_segreg)in->segovr : SEG_DS;
	bool l64 = in->mode == EMUL_MODE_LONG64;
	uint64_t src = emul_trunc(e->regs->gpr[EMUL_RSI], in->asz) +
		       (l64 && ssrc < SEG_FS ? 0 : e->regs->seg[ssrc].base);
	uint64_t dst = emul_trunc(e->regs->gpr[EMUL_RDI], in->asz) +
		       (l64 ? 0 : e->regs->seg[SEG_ES].base);
	uint64_t gap = c->down ? src - dst : dst - src;

	if (!n)
		return 1;
	if (in->d->sub != STR_MOVS || gap == 0 || gap >= n * c->size)
		return n;
	return gap / c->size ? gap / c->size : 1;
}

int emul_prep_str(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	struct str_ctx c;
	uint64_t n, room;
	int r;

	str_ctx(e, &c);
	e->batch = 0;
	e->nmop = 0;
	if (!c.count)
		return 0; /* REP with rCX = 0: no access at all */
	n = c.count < EMUL_BATCH_MAX_BYTES / c.size ? c.count : EMUL_BATCH_MAX_BYTES / c.size;
	/* one element at a time when single-stepping or when a compare may end the run early
	 * (device reads have side effects: never read past the terminating element) */
	if ((e->regs->rflags & EMUL_RFLAGS_TF) || in->d->sub == STR_CMPS || in->d->sub == STR_SCAS)
		n = 1;
	if (c.sides & SIDE_SRC) {
		room = str_room(e, &c, (in->d->flags & F_SEGX) && in->segovr != SEG_COUNT ?
				(enum emul_segreg)in->segovr : SEG_DS,
				emul_trunc(e->regs->gpr[EMUL_RSI], in->asz));
		n = room < n ? room : n;
	}
	if (c.sides & SIDE_DST) {
		room = str_room(e, &c, SEG_ES, emul_trunc(e->regs->gpr[EMUL_RDI], in->asz));
		n = room < n ? room : n;
	}
	n = str_overlap(e, &c, n);
	r = str_translate(e, &c, n);
	if (r && n > 1) {
		n = 1; /* the fault belongs to the first element that takes it */
		r = str_translate(e, &c, n);
	}
	e->batch = (uint32_t)n;
	return r;
}

/* Read `n` elements of side `m` into the arena, in the order the CPU accesses them. */
static int str_load(struct emul *e, const struct emul_memop *m, const struct str_ctx *c,
		    unsigned n, const uint8_t **out)
{
	unsigned sz = c->size;
	uint64_t first = m->gpa[0] + (c->down ? (uint64_t)(n - 1) * sz : 0);
	const uint8_t *p;
	uint8_t *rev;
	int r;

	if (n > 1 && m->dev[0])
		return emul_dev_batch(e, EMUL_KIND_MMIO, EMUL_DIR_READ, first, sz, n,
				      c->down ? -(int)sz : (int)sz, NULL, out);
	r = emul_load(e, m, &p);
	if (r || !c->down || n == 1) {
		*out = p;
		return r;
	}
	rev = e->arena + e->aoff; /* RAM read in address order: reverse into access order */
	e->aoff = (uint16_t)(e->aoff + n * sz);
	for (unsigned i = 0; i < n; i++)
		emul_copy(rev + i * sz, p + (n - 1 - i) * sz, sz);
	*out = rev;
	return 0;
}

/* Write `n` elements given in access order. */
static int str_store(struct emul *e, const struct emul_memop *m, const struct str_ctx *c,
		     unsigned n, const uint8_t *data)
{
	unsigned sz = c->size;
	uint64_t first = m->gpa[0] + (c->down ? (uint64_t)(n - 1) * sz : 0);
	uint8_t tmp[EMUL_BATCH_MAX_BYTES];

	if (n > 1 && m->dev[0])
		return emul_dev_batch(e, EMUL_KIND_MMIO, EMUL_DIR_WRITE, first, sz, n,
				      c->down ? -(int)sz : (int)sz, data, NULL);
	if (!c->down || n == 1)
		return emul_store(e, m, data);
	for (unsigned i = 0; i < n; i++)
		emul_copy(tmp + i * sz, data + (n - 1 - i) * sz, sz);
	return emul_store(e, m, tmp);
}

static uint64_t str_elem(const uint8_t *p, unsigned i, unsigned sz)
{
	return emul_ld(p + i * sz, sz);
}

/* Moves data for one batch; for CMPS/SCAS sets *flags. */
static int str_move(struct emul *e, const struct str_ctx *c, unsigned n, uint64_t *fl)
{
	const struct emul_insn *in = &e->in;
	const struct emul_memop *src = &e->mop[0], *dst = &e->mop[(c->sides & SIDE_SRC) ? 1 : 0];
	uint16_t port = (uint16_t)e->regs->gpr[EMUL_RDX];
	uint64_t acc = emul_reg_get(e, EMUL_RAX, c->size);
	uint8_t buf[EMUL_BATCH_MAX_BYTES];
	const uint8_t *a = NULL, *b;
	int r = 0;

	if (c->sides & SIDE_SRC)
		r = str_load(e, src, c, n, &a);
	else if (in->d->sub == STR_INS)
		r = emul_dev_batch(e, EMUL_KIND_PIO, EMUL_DIR_READ, port, c->size, n, 0, NULL, &a);
	if (r)
		return r;
	switch (in->d->sub) {
	case STR_STOS:
		for (unsigned i = 0; i < n; i++)
			emul_copy(buf + i * c->size, &acc, c->size);
		return str_store(e, dst, c, n, buf);
	case STR_MOVS:
	case STR_INS:
		return str_store(e, dst, c, n, a);
	case STR_OUTS:
		return emul_dev_batch(e, EMUL_KIND_PIO, EMUL_DIR_WRITE, port, c->size, n, 0, a,
				      NULL);
	case STR_LODS:
		emul_reg_set(e, EMUL_RAX, c->size, str_elem(a, n - 1, c->size));
		return 0;
	case STR_CMPS:
		r = str_load(e, dst, c, 1, &b);
		if (!r)
			emul_alu(ALU_CMP, str_elem(a, 0, c->size), str_elem(b, 0, c->size),
				 c->size, fl);
		return r;
	default: /* STR_SCAS */
		r = str_load(e, dst, c, 1, &b);
		if (!r)
			emul_alu(ALU_CMP, acc, str_elem(b, 0, c->size), c->size, fl);
		return r;
	}
}

int emul_exec_str(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	struct str_ctx c;
	uint64_t fl = e->regs->rflags, left, step;
	unsigned n = e->batch;
	int r;

	str_ctx(e, &c);
	if (!n)
		return 0;
	r = str_move(e, &c, n, &fl);
	if (r)
		return r;
	step = c.down ? -(uint64_t)c.size * n : (uint64_t)c.size * n;
	if (c.sides & SIDE_SRC)
		emul_reg_set(e, EMUL_RSI, in->asz, e->regs->gpr[EMUL_RSI] + step);
	if (c.sides & SIDE_DST)
		emul_reg_set(e, EMUL_RDI, in->asz, e->regs->gpr[EMUL_RDI] + step);
	e->regs->rflags = fl;
	if (!c.rep)
		return 0;
	left = c.count - n;
	emul_reg_set(e, EMUL_RCX, in->asz, left);
	/* REPE stops on ZF = 0, REPNE on ZF = 1 (CMPS and SCAS only) */
	if ((in->d->flags & F_REPCC) && !!(fl & EMUL_RFLAGS_ZF) != (in->mand == 0xf3))
		left = 0;
	e->rip_advanced = left == 0;
	return 0;
}
