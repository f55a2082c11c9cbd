/* The request/complete state machine: emul_start*, emul_complete, emul_abort. One memory
 * operand on one device page (the common case) runs without the step engine: its accesses are
 * issued at once and e->next says what each answer leads to; with the exit's linear address
 * it takes the direct path, which takes the translation from the exit. Everything else goes
 * through the general path (steps.c). Registers, RFLAGS and RIP are written only after the
 * last access, so an abort or a fault leaves them untouched. */
#include "decode_fast.h"

const uint64_t emul_size_mask[8] = { 0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull,
				     0xffffffffffffull, 0xffffffffffffffull };

void (*const emul_calcs[OP_COUNT])(struct emul *e) = {
	[OP_MOV] = emul_op_mov, [OP_MOVZX] = emul_op_mov, [OP_MOVSX] = emul_op_mov,
	[OP_ALU] = emul_op_alu, [OP_TEST] = emul_op_test, [OP_INCDEC] = emul_op_incdec,
	[OP_NOT] = emul_op_notneg, [OP_NEG] = emul_op_notneg, [OP_BT] = emul_op_bt,
	[OP_XCHG] = emul_op_xchg, [OP_CMPXCHG] = emul_op_cmpxchg, [OP_XADD] = emul_op_xadd,
	[OP_IMUL] = emul_op_imul, [OP_BEXTR] = emul_op_bextr, [OP_MOVBE] = emul_op_movbe,
	[OP_CLFLUSH] = emul_op_clflush, [OP_PUSH] = emul_calc_stack, [OP_POP] = emul_calc_stack,
	[OP_IN] = emul_calc_io, [OP_OUT] = emul_calc_io, [OP_STR] = emul_calc_str,
	[OP_VMOV] = emul_calc_vmov,
};

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

/* 64-bit mode: IA-32e mode with CS.L (SDM Vol. 3A 2.2). */
static inline bool emul_mode_l64(const struct emul_regs *r)
{
	return (r->efer & (1u << 10)) && (r->seg[SEG_CS].attr & SEG_ATTR_L) && (r->cr0 & 1);
}

/* The CPU mode; 64-bit mode tested first. */
static inline enum emul_mode emul_mode(const struct emul_regs *r)
{
	if (emul_mode_l64(r))
		return EMUL_MODE_LONG64;
	return emul_mode_of(r->cr0, r->efer, r->rflags, &r->seg[SEG_CS]);
}

/* Decode and run the general path. */
static __attribute__((noinline)) int emul_start_general(struct emul *e, const uint8_t *bytes,
							unsigned len)
{
	int r = emul_decode(bytes, len, emul_mode(e->regs), &e->in);

	return r ? emul_decoded(e, r) : emul_general(e, e->exit);
}

/* The same when the fast path already declined the bytes. */
static __attribute__((noinline)) int emul_start_full(struct emul *e, const uint8_t *bytes,
						     unsigned len, enum emul_mode mode)
{
	int r = emul_decode_full(bytes, len, mode, &e->in);

	return r ? emul_decoded(e, r) : emul_general(e, e->exit);
}

/* The register or immediate a MOV stores (SDM Vol. 2A MOV: C7 with REX.W sign-extends its
 * imm32). */
static inline uint64_t emul_mov_src(const struct emul *e, const struct emul_opdesc *d,
				    unsigned reg, uint64_t imm, unsigned imm_size, unsigned size)
{
	switch (OPND_KIND(d->opnd[1])) {
	case K_G:
		return emul_reg_get(e, reg, size);
	case K_ACC:
		return emul_reg_get(e, EMUL_RAX, size);
	default:
		return emul_sext(imm, imm_size);
	}
}

/* A flat data segment of protected mode (base 0, limit 4 GiB, present, usable, expand-up,
 * writable for a write) adds nothing and refuses nothing (SDM Vol. 3A 5.3, 5.4.1). */
static inline bool emul_flat32(const struct emul_seg *s, bool write)
{
	uint32_t need = SEG_ATTR_P | SEG_ATTR_S | (write ? 2u : 0u);

	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & (SEG_ATTR_UNUSABLE | SEG_ATTR_P | SEG_ATTR_S | 0xcu | need)) == need;
}

/* The direct path: a form of the decoder's fast path whose one memory operand lies, in 64-bit
 * mode outside FS/GS or in 32-bit protected mode on a flat segment, within the page the exit
 * reported with its linear address (VMX). The exit's translation stands for the walk (the CPU
 * just made it for this access), one classification, then the access at once; a MOV load's
 * answer goes straight into the register, a MOV store's data straight into the request.
 * Anything else - a fault to raise, a second page, a RAM operand, an operand the exit does not
 * match - goes to the general path (DEC_FULL), which decides it. */
static inline __attribute__((always_inline)) int
emul_direct_try(struct emul *e, const struct emul_exit *x, enum emul_mode mode)
{
	const struct emul_regs *r = e->regs;
	struct emul_insn *in = &e->in;
	const struct emul_opdesc *op = in->d;
	struct emul_memop *mo = &e->mop[0];
	unsigned xl = op->xl, size;
	uint64_t ea, gpa;

	if (!(op->flags & F_DIRECT) || in->segovr != SEG_COUNT ||
	    (mode != EMUL_MODE_LONG64 && !emul_flat32(&r->seg[in->seg], xl & TR_WRITE)))
		return DEC_FULL;
	ea = (uint64_t)in->disp;
	if (in->base != EMUL_NOREG)
		ea += r->gpr[in->base];
	if (in->index != EMUL_NOREG)
		ea += r->gpr[in->index] * in->scale;
	if (in->riprel)
		ea += r->rip + in->len;
	ea = emul_trunc(ea, in->asz);
	size = in->opsz[(xl & XL_OPND1) != 0];
	/* On the exit's page and within it, the operand is canonical: the CPU checked that page
	 * (SDM Vol. 3A 3.3.7.1); a write takes the exit's translation only from a write exit.
	 * Without a linear address (gpa_final) the one operand of a direct form is the access
	 * that faulted: the same offset in the page stands for the page. */
	if ((x->la_valid ? (ea ^ x->la) >> 12 : (ea ^ x->gpa) & 0xfff) ||
	    (ea & 0xfff) + size > 0x1000 ||
	    (x->write ? !(xl & TR_WRITE) : (xl & (TR_READ | TR_WRITE)) != TR_READ) ||
	    ((xl & TR_ALIGN) && (ea & (size - 1))))
		return DEC_FULL;
	gpa = (x->gpa & ~0xfffull) | (ea & 0xfff);
	*mo = (struct emul_memop){ .la = ea, .gpa = { gpa }, .size = size, .len0 = (uint16_t)size,
				   .seg = in->seg, .read = xl & TR_READ, .write = xl & TR_WRITE,
				   .dev = { true } };
	e->nmop = 1;
	if (op->flags & F_LOADREG) {
		emul_load_plan(e);
		emul_request(e, EMUL_KIND_MMIO, EMUL_DIR_READ, gpa, size, 1, (int)size, e->data,
			     false);
	} else if (op->flags & F_STOREMOV) {
		uint64_t v = emul_mov_src(e, op, in->reg, in->imm, (unsigned)in->imm_size, size);
		e->next = NEXT_DONE;
		emul_copy(e->data, &v, 8);
		emul_request(e, EMUL_KIND_MMIO, EMUL_DIR_WRITE, gpa, size, 1, (int)size, e->data,
			     false);
	} else {
		emul_begin_outputs(e);
		emul_one(e, xl & TR_READ, xl & TR_WRITE);
	}
	/* last, so that little is live across the call: a RAM operand (a spurious exit) is the
	 * general path's */
	if (e->env->classify(e->env->ctx, gpa, size) == EMUL_GPA_RAM) {
		e->state = ES_IDLE;
		return DEC_FULL;
	}
	return EMUL_ACCESS;
}

/* The exit's linear address in 64-bit mode or 32-bit protected mode: the direct path, or the
 * general one with the same decode. */
/* The fast decode, or the kept one (k may be NULL); an instruction the fast decoder declines
 * is never kept. */
static inline __attribute__((always_inline)) int
emul_direct_mode(struct emul *e, const struct emul_exit *x, const uint8_t *b, unsigned len,
		 enum emul_mode mode, struct emul_kept *k)
{
	int r;

	if (k && k->mode == mode + 1) {
		e->in = k->in;
	} else {
		if (emul_decode_fast(b, len, mode, &e->in))
			return emul_start_full(e, b, len, mode);
		if (k) {
			k->in = e->in;
			k->mode = (uint8_t)(mode + 1);
		}
	}
	r = emul_direct_try(e, x, mode);
	return r == DEC_FULL ? emul_general(e, x) : r;
}

static __attribute__((noinline)) int emul_direct(struct emul *e, const struct emul_exit *x,
						 const uint8_t *b, unsigned len, struct emul_kept *k)
{
	return emul_direct_mode(e, x, b, len, EMUL_MODE_LONG64, k);
}

/* Outside 64-bit mode: the direct path in 32-bit protected mode, else the general one. */
static __attribute__((noinline)) int emul_direct32(struct emul *e, const struct emul_exit *x,
						   const uint8_t *b, unsigned len,
						   struct emul_kept *k)
{
	if (emul_mode(e->regs) != EMUL_MODE_PROT32)
		return emul_start_general(e, b, len);
	return emul_direct_mode(e, x, b, len, EMUL_MODE_PROT32, k);
}

static inline __attribute__((always_inline)) int
emul_start_with(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		const struct emul_exit *exit, const uint8_t *bytes, unsigned len, struct emul_kept *k)
{
	e->env = env;
	e->regs = regs;
	e->exit = exit;
	e->state = ES_IDLE;
	if (exit && (exit->la_valid || exit->gpa_final) && exit->kind == EMUL_EXIT_MMIO)
		return emul_mode_l64(regs) ? emul_direct(e, exit, bytes, len, k) :
		       emul_direct32(e, exit, bytes, len, k);
	return emul_start_general(e, bytes, len);
}

int emul_start_kept(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		    const struct emul_exit *exit, struct emul_kept *k)
{
	return emul_start_with(e, env, regs, exit, k->bytes, k->len, k);
}

int emul_start_bytes(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len)
{
	return emul_start_with(e, env, regs, exit, bytes, len, NULL);
}

/* Fetch at CS:RIP (both pages if the instruction may span them), then as emul_start_bytes. */
int emul_start(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
	       const struct emul_exit *exit)
{
	enum emul_mode mode = emul_mode(regs);
	uint8_t buf[EMUL_INSN_MAX];
	unsigned n;
	int st, r;

	e->env = env;
	e->regs = regs;
	e->exit = exit;
	e->state = ES_IDLE;
	st = emul_fetch_run(&env->mem, regs, mode, buf, &n, &e->fault);
	if (!st && exit && (exit->la_valid || exit->gpa_final) && exit->kind == EMUL_EXIT_MMIO) {
		if (mode == EMUL_MODE_LONG64)
			return emul_direct(e, exit, buf, n, NULL);
		if (mode == EMUL_MODE_PROT32)
			return emul_direct32(e, exit, buf, n, NULL);
	}
	r = emul_decode(buf, n, mode, &e->in);
	if (r == EMUL_DEC_SHORT && st)
		return st; /* the fetch stopped where the instruction goes on */
	r = emul_decoded(e, r);
	return r ? r : emul_general(e, exit);
}

/* What is left of a one-access form after its answer. */
static inline int emul_one_next(struct emul *e)
{
	if (e->next != NEXT_COMMIT) {
		emul_calc(e);
		if (e->next == NEXT_CALC_WRITE)
			return emul_one_write(e, true);
	}
	emul_commit(e);
	return emul_finish(e);
}

/* A MOV load's register, from the answer (1, 2, 4 or 8 bytes) itself. */
static inline int emul_load_reg(struct emul *e, const uint8_t *data, uint32_t len)
{
	uint64_t v = emul_ld(data, len);

	if (e->ld_sext)
		v = emul_sext(v, len);
	emul_reg_set(e, e->ld_reg, e->ld_size, v);
	return emul_finish_plain(e);
}

int emul_complete(struct emul *e, const void *data, uint32_t len)
{
	if (e->state != ES_WAIT || len != e->pend_len || (len && !data))
		return EMUL_EINVAL;
	e->state = ES_IDLE;
	if (e->next == NEXT_LOAD)
		return emul_load_reg(e, data, len);
	if (e->next == NEXT_DONE)
		return emul_finish_plain(e);
	if (len)
		emul_copy(e->pend_buf, data, len);
	return e->next != NEXT_STEPS ? emul_one_next(e) : emul_steps_run(e);
}

void emul_abort(struct emul *e)
{
	e->state = ES_IDLE;
}
