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

/* The sides: source and destination memory operands (mop[0], mop[1] in that order) or the
 * port, one shared buffer for what flows from the source to the destination. A batch of more
 * than one element stays within one page: one access of n elements. */
static void str_setup(struct emul *e, const struct str_ctx *c, unsigned n)
{
	unsigned sub = e->in.d->sub, mop = 0;
	struct emul_side *s;

	if (sub == STR_INS) {
		s = emul_side_add(e, EMUL_SIDE_PORT, e->data, true, false);
		s->esz = (uint8_t)c->size;
		s->n = (uint16_t)n;
		s->port = (uint16_t)e->regs->gpr[EMUL_RDX];
	}
	if (c->sides & SIDE_SRC)
		emul_side_add(e, (uint8_t)mop++, e->data, true, false);
	if (c->sides & SIDE_DST)
		emul_side_add(e, (uint8_t)mop, sub == STR_CMPS ? e->data2 : e->data,
			      (c->sides & SIDE_DSTRD) != 0, !(c->sides & SIDE_DSTRD));
	if (sub == STR_OUTS) {
		s = emul_side_add(e, EMUL_SIDE_PORT, e->data, false, true);
		s->esz = (uint8_t)c->size;
		s->n = (uint16_t)n;
		s->port = (uint16_t)e->regs->gpr[EMUL_RDX];
	}
	for (unsigned i = 0; i < e->nside; i++) {
		s = &e->side[i];
		if (s->mop != EMUL_SIDE_PORT && n > 1) {
			s->esz = (uint8_t)c->size;
			s->n = (uint16_t)n;
			s->down = c->down;
		}
	}
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
	if (r)
		return r;
	e->batch = (uint32_t)n;
	str_setup(e, &c, (unsigned)n);
	return 0;
}

static uint64_t str_elem(const uint8_t *p, unsigned i, unsigned sz)
{
	return emul_ld(p + i * sz, sz);
}

/* The data between the loads and the stores, flags for CMPS/SCAS, then rSI/rDI/rCX. */
void emul_calc_str(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	struct str_ctx c;
	uint64_t acc, left, step;
	unsigned n = e->batch;

	str_ctx(e, &c);
	if (!n)
		return;
	acc = emul_reg_get(e, EMUL_RAX, c.size);
	switch (in->d->sub) {
	case STR_STOS:
		for (unsigned i = 0; i < n; i++)
			emul_copy(e->data + i * c.size, &acc, c.size);
		break;
	case STR_LODS:
		emul_stage_reg(e, EMUL_RAX, c.size, str_elem(e->data, n - 1, c.size));
		break;
	case STR_CMPS:
		emul_alu(ALU_CMP, str_elem(e->data, 0, c.size), str_elem(e->data2, 0, c.size), c.size,
			 &e->stage.rflags);
		break;
	case STR_SCAS:
		emul_alu(ALU_CMP, acc, str_elem(e->data, 0, c.size), c.size, &e->stage.rflags);
		break;
	default: /* MOVS, INS, OUTS: the loaded buffer is the stored one */
		break;
	}
	step = c.down ? -(uint64_t)c.size * n : (uint64_t)c.size * n;
	if (c.sides & SIDE_SRC)
		emul_stage_reg(e, EMUL_RSI, in->asz, e->regs->gpr[EMUL_RSI] + step);
	if (c.sides & SIDE_DST)
		emul_stage_reg(e, EMUL_RDI, in->asz, e->regs->gpr[EMUL_RDI] + step);
	if (!c.rep)
		return;
	left = c.count - n;
	emul_stage_reg(e, EMUL_RCX, in->asz, left);
	/* REPE stops on ZF = 0, REPNE on ZF = 1 (CMPS and SCAS only) */
	if ((in->d->flags & F_REPCC) && !!(e->stage.rflags & EMUL_RFLAGS_ZF) != (in->mand == 0xf3))
		left = 0;
	e->rip_advanced = left == 0;
}
