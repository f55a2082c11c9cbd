/* The request/complete state machine. An instruction runs as a pass of its executor over a list
 * of memory steps; a step that needs a device returns EMUL_ACCESS, and emul_complete() stores the
 * answer and runs the pass again, which now finds that step (and every earlier one) finished.
 * Registers are written only by the final pass, so an abort or a fault leaves them untouched. */
#include "emul_internal.h"

struct emul_opsdesc {
	int (*prep)(struct emul *e);
	int (*exec)(struct emul *e);
};

static const struct emul_opsdesc emul_ops[OP_COUNT] = {
	[OP_MOV] = { emul_prep_generic, emul_op_mov },
	[OP_MOVZX] = { emul_prep_generic, emul_op_mov },
	[OP_MOVSX] = { emul_prep_generic, emul_op_mov },
	[OP_ALU] = { emul_prep_generic, emul_op_alu },
	[OP_TEST] = { emul_prep_generic, emul_op_test },
	[OP_INCDEC] = { emul_prep_generic, emul_op_incdec },
	[OP_NOT] = { emul_prep_generic, emul_op_notneg },
	[OP_NEG] = { emul_prep_generic, emul_op_notneg },
	[OP_BT] = { emul_prep_generic, emul_op_bt },
	[OP_XCHG] = { emul_prep_generic, emul_op_xchg },
	[OP_CMPXCHG] = { emul_prep_generic, emul_op_cmpxchg },
	[OP_XADD] = { emul_prep_generic, emul_op_xadd },
	[OP_IMUL] = { emul_prep_generic, emul_op_imul },
	[OP_BEXTR] = { emul_prep_generic, emul_op_bextr },
	[OP_MOVBE] = { emul_prep_generic, emul_op_movbe },
	[OP_CLFLUSH] = { emul_prep_generic, emul_op_clflush },
	[OP_PUSH] = { emul_prep_stack, emul_exec_stack },
	[OP_POP] = { emul_prep_stack, emul_exec_stack },
	[OP_IN] = { NULL, emul_exec_io },
	[OP_OUT] = { NULL, emul_exec_io },
	[OP_STR] = { emul_prep_str, emul_exec_str },
	[OP_VMOV] = { emul_prep_generic, emul_exec_vmov },
};

int emul_set_fault(struct emul *e, uint8_t vector, bool has_error, uint32_t error)
{
	e->fault = (struct emul_fault){ .vector = vector, .has_error = has_error, .error = error };
	return EMUL_FAULT;
}

static int emul_walk_one(struct emul *e, uint64_t la, unsigned access, uint64_t *gpa)
{
	const struct emul_regs *r = e->regs;
	const struct emul_exit *x = e->exit;

	if (x && x->la_valid && (x->la >> 12) == (la >> 12) && (x->write || !(access & WALK_WRITE)) &&
	    !(access & WALK_FETCH)) {
		*gpa = (x->gpa & ~0xfffull) | (la & 0xfff);
		return 0;
	}
	struct walk_ctl ctl = { .cr0 = r->cr0, .cr3 = r->cr3, .cr4 = r->cr4, .efer = r->efer,
				.rflags = r->rflags, .cpl = r->cpl };
	int ret = emul_walk(&ctl, &e->env->mem, la, access, gpa, &e->fault);

	if (ret > 0)
		return EMUL_FAULT;
	if (ret == -11) /* -EAGAIN: an entry kept changing under the A/D update */
		return EMUL_RETRY;
	/* a paging structure outside guest RAM: nothing sane to emulate */
	return ret < 0 ? EMUL_UNSUPPORTED : 0;
}

/* Segment checks, alignment, page walk and classification of one memory operand, before any
 * access is made (so a fault never follows a device access of the same instruction). */
int emul_translate(struct emul *e, struct emul_memop *m, enum emul_segreg sr, uint64_t ea,
		   uint32_t size, unsigned how)
{
	unsigned access = (how & TR_WRITE) ? WALK_WRITE : 0;
	uint64_t la, la2;
	int r;

	if (emul_seg_linear(e->regs->seg, (enum emul_mode)e->in.mode, sr, ea, size, access, &la,
			    &e->fault))
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

/* True if this step finished in an earlier pass. */
static bool emul_step_done(struct emul *e)
{
	return e->seq++ < e->ndone;
}

/* Element size for `len` device bytes: accesses are 1, 2, 4 or 8 bytes wide. */
static unsigned emul_elem(unsigned len)
{
	return (len & 7) == 0 ? 8 : (len & 3) == 0 ? 4 : (len & 1) == 0 ? 2 : 1;
}

static int emul_request(struct emul *e, uint8_t kind, uint8_t dir, uint64_t addr, unsigned size,
			unsigned count, int stride, const void *wdata, uint16_t rd_off)
{
	struct emul_access *a = &e->access;

	a->kind = kind;
	a->dir = dir;
	a->addr = addr;
	a->size = (uint8_t)size;
	a->count = (uint16_t)count;
	a->stride = (int16_t)stride;
	if (dir == EMUL_DIR_WRITE)
		emul_copy(a->data, wdata, size * count);
	e->pend_off = rd_off;
	e->pend_len = (uint16_t)(dir == EMUL_DIR_READ ? size * count : 0);
	return EMUL_ACCESS;
}

/* Reserve `len` bytes of the arena for this pass's read data. */
static uint8_t *emul_arena(struct emul *e, unsigned len)
{
	uint8_t *p = e->arena + e->aoff;

	e->aoff = (uint16_t)(e->aoff + ((len + 7) & ~7u));
	return p;
}

static int emul_piece_load(struct emul *e, uint64_t gpa, bool dev, uint8_t *buf, unsigned len)
{
	unsigned sz;

	if (emul_step_done(e))
		return 0;
	if (!dev) {
		if (e->env->mem.read(e->env->mem.ctx, gpa, buf, len))
			__builtin_memset(buf, 0xff, len); /* nothing there: reads all-ones */
		e->ndone++;
		return 0;
	}
	sz = emul_elem(len);
	return emul_request(e, EMUL_KIND_MMIO, EMUL_DIR_READ, gpa, sz, len / sz, (int)sz, NULL,
			    (uint16_t)(buf - e->arena));
}

static int emul_piece_store(struct emul *e, uint64_t gpa, bool dev, const uint8_t *buf,
			    unsigned len)
{
	unsigned sz;

	if (emul_step_done(e))
		return 0;
	if (!dev) {
		(void)e->env->mem.write(e->env->mem.ctx, gpa, buf, len); /* outside RAM: dropped */
		e->ndone++;
		return 0;
	}
	sz = emul_elem(len);
	return emul_request(e, EMUL_KIND_MMIO, EMUL_DIR_WRITE, gpa, sz, len / sz, (int)sz, buf, 0);
}

int emul_load(struct emul *e, const struct emul_memop *m, const uint8_t **data)
{
	uint8_t *buf = emul_arena(e, m->size);
	int r = emul_piece_load(e, m->gpa[0], m->dev[0], buf, m->len0);

	if (!r && m->len0 < m->size)
		r = emul_piece_load(e, m->gpa[1], m->dev[1], buf + m->len0, m->size - m->len0);
	*data = buf;
	return r;
}

int emul_store(struct emul *e, const struct emul_memop *m, const void *data)
{
	const uint8_t *buf = data;
	int r = emul_piece_store(e, m->gpa[0], m->dev[0], buf, m->len0);

	if (!r && m->len0 < m->size)
		r = emul_piece_store(e, m->gpa[1], m->dev[1], buf + m->len0, m->size - m->len0);
	return r;
}

int emul_dev_batch(struct emul *e, uint8_t kind, uint8_t dir, uint64_t addr, unsigned size,
		   unsigned count, int stride, const void *wdata, const uint8_t **rdata)
{
	uint8_t *buf = dir == EMUL_DIR_READ ? emul_arena(e, size * count) : NULL;

	if (rdata)
		*rdata = buf;
	if (emul_step_done(e))
		return 0;
	return emul_request(e, kind, dir, addr, size, count, stride, wdata,
			    (uint16_t)(buf ? buf - e->arena : 0));
}

static int emul_finish(struct emul *e)
{
	struct emul_regs *r = e->regs;

	if (e->rip_advanced) {
		uint64_t rip = r->rip + e->in.len;
		/* sequential EIP/IP wraps at the code segment's size (SDM Vol. 1 3.5) */
		if (e->in.mode != EMUL_MODE_LONG64)
			rip &= (e->in.mode == EMUL_MODE_PROT32) ? 0xffffffffu : 0xffffu;
		r->rip = rip;
	}
	/* SDM Vol. 3A 17.3.1.1: TF set before the instruction → single-step #DB trap after it */
	e->single_step = (r->rflags & EMUL_RFLAGS_TF) != 0;
	r->rflags &= ~(uint64_t)EMUL_RFLAGS_RF;
	e->shadow_clear = true;
	e->state = ES_IDLE;
	return EMUL_DONE;
}

static int emul_run(struct emul *e)
{
	int r;

	e->seq = 0;
	e->aoff = 0;
	r = emul_ops[e->in.d->op].exec(e);
	if (r == 0)
		return emul_finish(e);
	e->state = r == EMUL_ACCESS ? ES_WAIT : ES_IDLE;
	return r;
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

static int emul_begin(struct emul *e, const struct emul_exit *x)
{
	int (*prep)(struct emul *) = emul_ops[e->in.d->op].prep;
	int r;

	e->nmop = 0;
	e->batch = 1;
	e->rip_advanced = true;
	e->single_step = false;
	e->shadow_clear = false;
	if (prep) {
		r = prep(e);
		if (r)
			return r;
	}
	if (!emul_matches(e, x))
		return EMUL_RETRY;
	e->ndone = 0;
	e->state = ES_RUN;
	return emul_run(e);
}

static int emul_decoded(struct emul *e, int dec)
{
	switch (dec) {
	case EMUL_DEC_OK:
		return 0;
	case EMUL_DEC_UD:
		return emul_set_fault(e, 6, false, 0);
	case EMUL_DEC_GP:
		return emul_set_fault(e, 13, true, 0);
	default:
		return EMUL_UNSUPPORTED;
	}
}

int emul_start_bytes(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len)
{
	enum emul_mode mode = emul_mode_of(regs->cr0, regs->efer, regs->rflags, &regs->seg[SEG_CS]);
	int r;

	e->env = env;
	e->regs = regs;
	e->exit = exit;
	e->state = ES_IDLE;
	r = emul_decoded(e, emul_decode(bytes, len, mode, &e->in));
	return r ? r : emul_begin(e, exit);
}

/* Fetch at CS:RIP: the bytes up to the page end, the next page only if decoding needs it. */
int emul_start(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
	       const struct emul_exit *exit)
{
	enum emul_mode mode = emul_mode_of(regs->cr0, regs->efer, regs->rflags, &regs->seg[SEG_CS]);
	uint8_t buf[EMUL_INSN_MAX];
	unsigned n = 0, chunk;
	uint64_t la, gpa, ip = regs->rip;
	int r;

	e->env = env;
	e->regs = regs;
	e->exit = exit;
	e->state = ES_IDLE;
	e->in.mode = (uint8_t)mode;
	for (;;) {
		if (emul_seg_linear(regs->seg, mode, SEG_CS, ip, 1, WALK_FETCH, &la, &e->fault))
			return EMUL_FAULT;
		r = emul_walk_one(e, la, WALK_FETCH, &gpa);
		if (r)
			return r;
		chunk = 0x1000 - (unsigned)(la & 0xfff);
		chunk = chunk < EMUL_INSN_MAX - n ? chunk : EMUL_INSN_MAX - n;
		if (env->mem.read(env->mem.ctx, gpa, buf + n, chunk))
			return EMUL_UNSUPPORTED; /* executing from a device: not emulated */
		n += chunk;
		r = emul_decode(buf, n, mode, &e->in);
		if (r != EMUL_DEC_SHORT || n == EMUL_INSN_MAX)
			break;
		ip = regs->rip + n;
		if (mode != EMUL_MODE_LONG64)
			ip &= 0xffffffffu;
	}
	r = emul_decoded(e, r);
	if (r)
		return r;
	/* the whole instruction must lie within CS (SDM Vol. 3A 5.3) */
	if (emul_seg_linear(regs->seg, mode, SEG_CS, regs->rip, e->in.len, WALK_FETCH, &la,
			    &e->fault))
		return EMUL_FAULT;
	return emul_begin(e, exit);
}

int emul_complete(struct emul *e, const void *data, uint32_t len)
{
	if (e->state != ES_WAIT || len != e->pend_len || (len && !data))
		return EMUL_EINVAL;
	if (len)
		emul_copy(e->arena + e->pend_off, data, len);
	e->ndone++;
	return emul_run(e);
}

void emul_abort(struct emul *e)
{
	e->state = ES_IDLE;
}
