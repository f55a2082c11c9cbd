/* The general path: every form, every mode. Preparation translates each memory operand (segment
 * checks, alignment, the page walk or the exit's translation, classification) and sets up up
 * to two sides; the instruction then runs as a fixed sequence of steps: load each side that is
 * read (a memory operand's page pieces, or a port), calculate, store each side that is
 * written, commit the registers. A step that needs a device returns EMUL_ACCESS and the
 * sequence resumes in emul_complete() after it; nothing is replayed. */
#include "emul_internal.h"

/* Steps, one bit each, run lowest first. */
#define STEP_LOAD(side, piece) (1u << ((side) * 2 + (piece)))
#define STEP_CALC (1u << 4)
#define STEP_STORE(side, piece) (1u << (5 + (side) * 2 + (piece)))
#define STEP_COMMIT (1u << 9)

static int (*const emul_preps[OP_COUNT])(struct emul *e) = {
	[OP_MOV] = emul_prep_generic, [OP_MOVZX] = emul_prep_generic,
	[OP_MOVSX] = emul_prep_generic, [OP_ALU] = emul_prep_generic,
	[OP_TEST] = emul_prep_generic, [OP_INCDEC] = emul_prep_generic,
	[OP_NOT] = emul_prep_generic, [OP_NEG] = emul_prep_generic, [OP_BT] = emul_prep_generic,
	[OP_XCHG] = emul_prep_generic, [OP_CMPXCHG] = emul_prep_generic,
	[OP_XADD] = emul_prep_generic, [OP_IMUL] = emul_prep_generic,
	[OP_BEXTR] = emul_prep_generic, [OP_MOVBE] = emul_prep_generic,
	[OP_CLFLUSH] = emul_prep_generic, [OP_PUSH] = emul_prep_stack, [OP_POP] = emul_prep_stack,
	[OP_IN] = emul_prep_io, [OP_OUT] = emul_prep_io, [OP_STR] = emul_prep_str,
	[OP_VMOV] = emul_prep_generic,
};

int emul_set_fault(struct emul *e, uint8_t vector, bool has_error, uint32_t error)
{
	e->fault = (struct emul_fault){ .vector = vector, .has_error = has_error, .error = error };
	return EMUL_FAULT;
}

/* la -> gpa: from the exit when it reported this page for an access at least as strong (the
 * CPU walked it), else walked. Without the exit's linear address, the final GPA of a fault is
 * the translation of the one memory operand a prep_generic form has, on the piece at the same
 * page offset (the other piece of a page-crossing operand starts at offset 0). */
static inline int emul_walk_one(struct emul *e, uint64_t la, unsigned access, uint64_t *gpa)
{
	const struct emul_exit *x = e->exit;
	uint8_t op = e->in.d->op;
	bool page = x && (x->la_valid ? (x->la >> 12) == (la >> 12) :
			  x->gpa_final && ((x->gpa ^ la) & 0xfff) == 0 && op != OP_STR &&
			  op != OP_PUSH && op != OP_POP && op != OP_IN && op != OP_OUT);

	if (page && (x->write || !(access & WALK_WRITE))) {
		*gpa = (x->gpa & ~0xfffull) | (la & 0xfff);
		return 0;
	}
	return emul_walk_page(e, la, access, gpa);
}

/* 64-bit mode without FS/GS: the linear address is the effective address, every byte
 * canonical (SDM Vol. 3A 3.4.2.1, 3.3.7.1) - emul_seg_linear's rule for the common case. */
static inline bool xlate_flat64(uint64_t ea, uint32_t size, uint64_t cr4)
{
	unsigned sh = (cr4 & (1u << 12)) ? 56 : 47; /* CR4.LA57 */
	int64_t a = (int64_t)ea >> sh, b = (int64_t)(ea + size - 1) >> sh;

	return (a == 0 || a == -1) && (b == 0 || b == -1);
}

/* Segment checks, alignment, page walk and classification of one memory operand, before any
 * access is made (so a fault never follows a device access of the same instruction). */
int emul_translate(struct emul *e, struct emul_memop *m, enum emul_segreg sr, uint64_t ea,
		   uint32_t size, unsigned how)
{
	const struct emul_regs *regs = e->regs;
	unsigned access = (how & TR_WRITE) ? WALK_WRITE : 0;
	uint64_t la = ea, la2;
	int r;

	if (!(e->in.mode == EMUL_MODE_LONG64 && sr < SEG_FS && xlate_flat64(ea, size, regs->cr4)) &&
	    emul_seg_linear(regs->seg, (enum emul_mode)e->in.mode, sr, ea, size,
			    access | emul_seg_width(regs->cr4), &la, &e->fault))
		return EMUL_FAULT;
	/* SDM Vol. 2A MOVDQA/MOVAPS: a misaligned operand is #GP(0), before any page fault */
	if ((how & TR_ALIGN) && (la & (size - 1)))
		return emul_set_fault(e, 13, true, 0);
	m->la = la;
	m->size = size;
	m->len0 = (uint16_t)size;
	m->seg = (uint8_t)sr;
	m->read = (how & TR_READ) != 0;
	m->write = (how & TR_WRITE) != 0;
	m->dev[1] = false;
	r = emul_walk_one(e, la, access, &m->gpa[0]);
	if (r)
		return r;
	if ((la & 0xfff) + size > 0x1000) {
		m->len0 = (uint16_t)(0x1000 - (la & 0xfff));
		la2 = (la | 0xfff) + 1;
		if (!(e->regs->efer & (1u << 10)))
			la2 &= 0xffffffffu; /* linear addresses are 32-bit outside IA-32e mode */
		r = emul_walk_one(e, la2, access, &m->gpa[1]);
		if (r)
			return r;
		m->dev[1] = e->env->classify(e->env->ctx, m->gpa[1], size - m->len0) != EMUL_GPA_RAM;
	}
	m->dev[0] = e->env->classify(e->env->ctx, m->gpa[0], m->len0) != EMUL_GPA_RAM;
	return 0;
}

/* BT* with a register bit offset: the operand moves by offset DIV width, signed
 * (SDM Vol. 2A BT, "bit base" addressing). */
static uint64_t prep_bt_shift(const struct emul *e, uint64_t ea)
{
	const struct emul_insn *in = &e->in;
	int64_t off = (int64_t)emul_sext(emul_reg_get(e, in->reg, in->osz), in->osz);
	unsigned shift = in->osz == 2 ? 4 : in->osz == 4 ? 5 : 6;

	return emul_trunc(ea + (uint64_t)((off >> shift) * in->osz), in->asz);
}

/* The ModRM or moffs operand (side 0, its data in e->data) of the one-operand forms. */
int emul_prep_generic(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	unsigned xl = in->d->xl, size = in->opsz[(xl & XL_OPND1) != 0], how = xl & XL_HOW;
	bool clflush = in->d->op == OP_CLFLUSH;
	uint64_t ea;
	int r;

	if (!in->has_mem)
		return 0;
	ea = emul_ea(e);
	if (xl & XL_MORE) {
		if (clflush)
			size = 1; /* SDM Vol. 2A CLFLUSH: checked like a byte load, no access made */
		else
			ea = prep_bt_shift(e, ea);
	}
	e->nmop = 1;
	r = emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, how);
	if (!r && !clflush)
		emul_side_add(e, 0, e->data, how & TR_READ, how & TR_WRITE);
	return r;
}

/* Element size for `len` device bytes: accesses are 1, 2, 4 or 8 bytes wide. */
static inline unsigned emul_elem(unsigned len)
{
	static const uint8_t elem[8] = { 8, 1, 2, 1, 4, 1, 2, 1 };

	return elem[len & 7];
}

/* A batch in RAM is read and written in address order; its buffer is in access order. */
static void emul_reverse(uint8_t *dst, const uint8_t *src, unsigned n, unsigned sz)
{
	for (unsigned i = 0; i < n; i++)
		emul_copy(dst + i * sz, src + (n - 1 - i) * sz, sz);
}

/* Batch (n > 1 elements, within one page) or port side: one access of n elements. */
static int emul_batch(struct emul *e, const struct emul_side *s, uint8_t dir)
{
	const struct emul_mem *mem = &e->env->mem;
	unsigned sz = s->esz, len = sz * s->n;
	uint8_t tmp[EMUL_BATCH_MAX_BYTES];
	const struct emul_memop *m;

	if (s->mop == EMUL_SIDE_PORT)
		return emul_request(e, EMUL_KIND_PIO, dir, s->port, sz, s->n, 0, s->buf, false);
	m = &e->mop[s->mop];
	if (m->dev[0])
		return emul_request(e, EMUL_KIND_MMIO, dir,
				    m->gpa[0] + (s->down ? (uint64_t)(s->n - 1) * sz : 0), sz, s->n,
				    s->down ? -(int)sz : (int)sz, s->buf, s->load && s->store);
	if (dir == EMUL_DIR_WRITE) {
		if (s->down)
			emul_reverse(tmp, s->buf, s->n, sz);
		(void)mem->write(mem->ctx, m->gpa[0], s->down ? tmp : s->buf, len); /* outside RAM: dropped */
		return 0;
	}
	if (mem->read(mem->ctx, m->gpa[0], s->down ? tmp : s->buf, len))
		__builtin_memset(s->down ? tmp : s->buf, 0xff, len); /* nothing there: all-ones */
	if (s->down)
		emul_reverse(s->buf, tmp, s->n, sz);
	return 0;
}

/* One page piece of a plain operand. */
static int emul_piece(struct emul *e, const struct emul_side *s, unsigned piece, uint8_t dir)
{
	const struct emul_memop *m = &e->mop[s->mop];
	const struct emul_mem *mem = &e->env->mem;
	unsigned off = piece ? m->len0 : 0, len = piece ? m->size - m->len0 : m->len0, sz;
	uint64_t gpa = m->gpa[piece];
	uint8_t *buf = s->buf + off;

	if (m->dev[piece]) {
		sz = emul_elem(len);
		return emul_request(e, EMUL_KIND_MMIO, dir, gpa, sz, len / sz, (int)sz, buf,
				    s->load && s->store);
	}
	if (dir == EMUL_DIR_WRITE)
		(void)mem->write(mem->ctx, gpa, buf, len); /* outside RAM: dropped */
	else if (mem->read(mem->ctx, gpa, buf, len))
		__builtin_memset(buf, 0xff, len); /* nothing there: reads all-ones */
	return 0;
}

static int emul_move(struct emul *e, unsigned side, unsigned piece, uint8_t dir)
{
	const struct emul_side *s = &e->side[side];

	return s->esz ? emul_batch(e, s, dir) : emul_piece(e, s, piece, dir);
}

int emul_steps_run(struct emul *e)
{
	while (e->steps) {
		unsigned step = (unsigned)__builtin_ctz(e->steps);
		int r = 0;

		e->steps &= (uint16_t)(e->steps - 1);
		if (step < 4)
			r = emul_move(e, step >> 1, step & 1, EMUL_DIR_READ);
		else if (step == 4)
			emul_calc(e);
		else if (step < 9)
			r = emul_move(e, (step - 5) >> 1, (step - 5) & 1, EMUL_DIR_WRITE);
		else
			emul_commit(e);
		if (r)
			return r;
	}
	return emul_finish(e);
}

/* The steps for the sides prep set up. */
static uint16_t emul_plan(const struct emul *e)
{
	uint16_t steps = STEP_CALC | STEP_COMMIT;

	for (unsigned i = 0; i < e->nside; i++) {
		const struct emul_side *s = &e->side[i];
		bool two = !s->esz && e->mop[s->mop].len0 < e->mop[s->mop].size; /* esz: ports too */
		if (s->load)
			steps |= STEP_LOAD(i, 0) | (two ? STEP_LOAD(i, 1) : 0);
		if (s->store)
			steps |= STEP_STORE(i, 0) | (two ? STEP_STORE(i, 1) : 0);
	}
	return steps;
}

/* RETRY when the instruction cannot have caused the reported exit. */
static bool emul_matches(const struct emul *e, const struct emul_exit *x)
{
	uint8_t op = e->in.d->op;

	if (!x || x->kind == EMUL_EXIT_NONE)
		return true;
	if (x->kind == EMUL_EXIT_PIO)
		return op == OP_IN || op == OP_OUT ||
		       (op == OP_STR && (e->in.d->sub == STR_INS || e->in.d->sub == STR_OUTS));
	for (unsigned i = 0; i < e->nmop; i++) {
		const struct emul_memop *m = &e->mop[i];
		bool hit = (m->gpa[0] >> 12) == (x->gpa >> 12) ||
			   (m->len0 < m->size && (m->gpa[1] >> 12) == (x->gpa >> 12));
		if (hit && (x->write ? m->write : m->read))
			return true;
	}
	return false;
}

int emul_general(struct emul *e, const struct emul_exit *x)
{
	int r;

	e->nmop = 0;
	e->nside = 0;
	e->batch = 1;
	emul_begin_outputs(e);
	r = emul_preps[e->in.d->op](e);
	if (r)
		return r;
	if (!emul_matches(e, x))
		return EMUL_RETRY;
	if (e->nside == 1 && !e->side[0].esz && e->mop[0].dev[0] && e->mop[0].len0 == e->mop[0].size)
		return emul_one(e, e->side[0].load, e->side[0].store);
	e->next = NEXT_STEPS;
	e->steps = emul_plan(e);
	return emul_steps_run(e);
}
