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

/* The element size, sides, direction and count (e->str), once per emulation. */
static void str_ctx(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	unsigned k = OPND_KIND(in->d->opnd[0]);

	e->str.size = in->opsz[k == K_XS || k == K_YD ? 0 : 1];
	e->str.sides = str_sides[in->d->sub];
	e->str.down = (e->regs->rflags & EMUL_RFLAGS_DF) != 0;
	e->str.rep = (in->pfx & (EMUL_PFX_REP | EMUL_PFX_REPNE)) != 0;
	e->str.count = e->str.rep ? emul_trunc(e->regs->gpr[EMUL_RCX], in->asz) : 1;
	/* SDM Vol. 2B MOVS: the source segment can be overridden, the destination is ES */
	e->str.ssrc = (in->d->flags & F_SEGX) && in->segovr != SEG_COUNT ? in->segovr : SEG_DS;
}

/* The base of segment sr (64-bit mode ignores the DS/ES bases, SDM Vol. 3A 3.4.4). */
static uint64_t str_base(const struct emul *e, unsigned sr)
{
	return e->in.mode == EMUL_MODE_LONG64 && sr < SEG_FS ? 0 : e->regs->seg[sr].base;
}

/* Elements from `ea` in the string direction before a page or address-size wrap (0 when the
 * first one runs into the next page, in either direction). */
static uint64_t str_room(const struct emul *e, unsigned sr, uint64_t ea)
{
	unsigned size = e->str.size, asz = e->in.asz;
	uint64_t off = (str_base(e, sr) + ea) & 0xfff, room, wrap;

	if (off + size > 0x1000)
		return 0;
	room = e->str.down ? off / size + 1 : (0x1000 - off) / size;
	if (asz < 8) {
		wrap = e->str.down ? ea / size + 1 : ((1ull << (asz * 8)) - ea) / size;
		room = wrap < room ? wrap : room;
	}
	return room;
}

static int str_translate(struct emul *e, uint64_t n, uint64_t si, uint64_t di)
{
	unsigned size = e->str.size, sides = e->str.sides;
	uint64_t span = (n - 1) * size;
	int r;

	e->nmop = 0;
	if (sides & SIDE_SRC) {
		r = emul_translate(e, &e->mop[e->nmop++], (enum emul_segreg)e->str.ssrc,
				   e->str.down ? si - span : si, (uint32_t)(span + size), TR_READ);
		if (r)
			return r;
	}
	if (sides & SIDE_DST)
		return emul_translate(e, &e->mop[e->nmop++], SEG_ES, e->str.down ? di - span : di,
				      (uint32_t)(span + size),
				      (sides & SIDE_DSTRD) ? TR_READ : TR_WRITE);
	return 0;
}

/* MOVS whose destination runs into source elements not yet read: a batch must not read ahead
 * of earlier writes (the result is that of element-by-element execution). */
static uint64_t str_overlap(const struct emul *e, uint64_t n, uint64_t si, uint64_t di)
{
	unsigned size = e->str.size;
	uint64_t src = si + str_base(e, e->str.ssrc), dst = di + str_base(e, SEG_ES);
	uint64_t gap = e->str.down ? src - dst : dst - src;

	if (e->in.d->sub != STR_MOVS || gap == 0 || gap >= n * size)
		return n;
	return gap / size ? gap / size : 1;
}

/* The sides: source and destination memory operands (mop[0], mop[1] in that order) or the
 * port, one shared buffer for what flows from the source to the destination. A batch of more
 * than one element stays within one page: one access of n elements. */
static void str_setup(struct emul *e, unsigned n)
{
	unsigned sub = e->in.d->sub, sides = e->str.sides, mop = 0;
	struct emul_side *s;

	if (sub == STR_INS) {
		s = emul_side_add(e, EMUL_SIDE_PORT, e->data, true, false);
		s->esz = e->str.size;
		s->n = (uint16_t)n;
		s->port = (uint16_t)e->regs->gpr[EMUL_RDX];
	}
	if (sides & SIDE_SRC)
		emul_side_add(e, (uint8_t)mop++, e->data, true, false);
	if (sides & SIDE_DST)
		emul_side_add(e, (uint8_t)mop, sub == STR_CMPS ? e->data2 : e->data,
			      (sides & SIDE_DSTRD) != 0, !(sides & SIDE_DSTRD));
	if (sub == STR_OUTS) {
		s = emul_side_add(e, EMUL_SIDE_PORT, e->data, false, true);
		s->esz = e->str.size;
		s->n = (uint16_t)n;
		s->port = (uint16_t)e->regs->gpr[EMUL_RDX];
	}
	if (n <= 1)
		return;
	for (unsigned i = 0; i < e->nside; i++) {
		s = &e->side[i];
		if (s->mop != EMUL_SIDE_PORT) {
			s->esz = e->str.size;
			s->n = (uint16_t)n;
			s->down = e->str.down;
		}
	}
}

int emul_prep_str(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	uint64_t n, room, si, di;
	int r;

	str_ctx(e);
	e->batch = 0;
	e->nmop = 0;
	if (!e->str.count)
		return 0; /* REP with rCX = 0: no access at all */
	n = EMUL_BATCH_MAX_BYTES / e->str.size;
	n = e->str.count < n ? e->str.count : n;
	/* one element at a time when single-stepping or when a compare may end the run early
	 * (device reads have side effects: never read past the terminating element) */
	if ((e->regs->rflags & EMUL_RFLAGS_TF) || in->d->sub == STR_CMPS || in->d->sub == STR_SCAS)
		n = 1;
	si = emul_trunc(e->regs->gpr[EMUL_RSI], in->asz);
	di = emul_trunc(e->regs->gpr[EMUL_RDI], in->asz);
	if (e->str.sides & SIDE_SRC) {
		room = str_room(e, e->str.ssrc, si);
		n = room < n ? room : n;
	}
	if (e->str.sides & SIDE_DST) {
		room = str_room(e, SEG_ES, di);
		n = room < n ? room : n;
	}
	n = n ? str_overlap(e, n, si, di) : 1; /* 0: the first element crosses a page */
	r = str_translate(e, n, si, di);
	if (r && n > 1) {
		n = 1; /* the fault belongs to the first element that takes it */
		r = str_translate(e, n, si, di);
	}
	if (r)
		return r;
	e->batch = (uint32_t)n;
	str_setup(e, (unsigned)n);
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
	unsigned n = e->batch, size = e->str.size;
	uint64_t acc, left, step;

	if (!n)
		return;
	acc = emul_reg_get(e, EMUL_RAX, size);
	switch (in->d->sub) {
	case STR_STOS:
		for (unsigned i = 0; i < n; i++)
			emul_copy(e->data + i * size, &acc, size);
		break;
	case STR_LODS:
		emul_stage_reg(e, EMUL_RAX, size, str_elem(e->data, n - 1, size));
		break;
	case STR_CMPS:
		emul_alu(ALU_CMP, str_elem(e->data, 0, size), str_elem(e->data2, 0, size), size,
			 &e->stage.rflags);
		break;
	case STR_SCAS:
		emul_alu(ALU_CMP, acc, str_elem(e->data, 0, size), size, &e->stage.rflags);
		break;
	default: /* MOVS, INS, OUTS: the loaded buffer is the stored one */
		break;
	}
	step = e->str.down ? -(uint64_t)size * n : (uint64_t)size * n;
	if (e->str.sides & SIDE_SRC)
		emul_stage_reg(e, EMUL_RSI, in->asz, e->regs->gpr[EMUL_RSI] + step);
	if (e->str.sides & SIDE_DST)
		emul_stage_reg(e, EMUL_RDI, in->asz, e->regs->gpr[EMUL_RDI] + step);
	if (!e->str.rep)
		return;
	left = e->str.count - n;
	emul_stage_reg(e, EMUL_RCX, in->asz, left);
	/* REPE stops on ZF = 0, REPNE on ZF = 1 (CMPS and SCAS only) */
	if ((in->d->flags & F_REPCC) && !!(e->stage.rflags & EMUL_RFLAGS_ZF) != (in->mand == 0xf3))
		left = 0;
	e->rip_advanced = left == 0;
}
