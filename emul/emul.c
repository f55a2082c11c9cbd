/* The request/complete state machine: emul_start*, emul_complete, emul_abort. With the exit's
 * translation (VMX's linear address or SVM's final GPA) an MMIO exit takes the direct path
 * (direct.c); everything else, and whatever the direct path does not take, goes through the
 * general path (steps.c). One memory operand on one device page runs there without the step
 * engine: its accesses are issued at once and e->next says what each answer leads to.
 * Registers, RFLAGS and RIP are written only after the last access, so an abort or a fault
 * leaves them untouched. */
#include "hot.h"

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

int emul_decoded(struct emul *e, int dec)
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

/* The CPU mode; 64-bit mode tested first. */
static inline enum emul_mode emul_mode(const struct emul_regs *r)
{
	if (emul_mode_l64(r))
		return EMUL_MODE_LONG64;
	return emul_mode_of(r->cr0, r->efer, r->rflags, &r->seg[SEG_CS]);
}

int emul_start_decoded(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		       const struct emul_exit *exit, const uint8_t *bytes, unsigned len,
		       enum emul_mode mode)
{
	int r;

	e->env = env;
	e->regs = regs;
	e->exit = exit;
	e->pend = 0;
	r = emul_decoded(e, emul_decode(bytes, len, mode, &e->in));
	return r ? r : emul_general(e, exit);
}

int emul_start_again(struct emul *e, enum emul_mode mode)
{
	return emul_start_decoded(e, e->env, e->regs, e->exit, e->bytes, e->nbytes, mode);
}

/* Not 64-bit mode with an MMIO exit's translation: the direct path in 32-bit protected mode,
 * else the general path. */
int emul_start_other(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len)
{
	enum emul_mode mode = emul_mode(regs);

	if (mode == EMUL_MODE_PROT32 && exit && (exit->la_valid || exit->gpa_final) &&
	    exit->kind == EMUL_EXIT_MMIO)
		return emul_direct32(e, env, regs, exit, bytes, len);
	return emul_start_decoded(e, env, regs, exit, bytes, len, mode);
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
	e->pend = 0;
	st = emul_fetch_run(&env->mem, regs, mode, buf, &n, &e->fault);
	if (!st && exit && (exit->la_valid || exit->gpa_final) && exit->kind == EMUL_EXIT_MMIO) {
		if (mode == EMUL_MODE_LONG64)
			return emul_hot64(e, env, regs, exit, buf, n);
		if (mode == EMUL_MODE_PROT32)
			return emul_direct32(e, env, regs, exit, buf, n);
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

int emul_cont(struct emul *e, const uint8_t *data, uint32_t len)
{
	if (e->next == NEXT_LOAD)
		return emul_load_reg(e, data, len);
	if (len)
		emul_copy(e->pend_buf, data, len);
	return e->next != NEXT_STEPS ? emul_one_next(e) : emul_steps_run(e);
}

int emul_complete(struct emul *e, const void *data, uint32_t len)
{
	uint32_t p = e->pend;

	/* len + EMUL_PEND (| EMUL_PEND_VAL) is one-to-one: only the pending length matches */
	if (p & EMUL_PEND_VAL) {
		if (p != len + (EMUL_PEND | EMUL_PEND_VAL) || (len && !data))
			return EMUL_EINVAL;
		e->pend = 0;
		return e->vcont(e, len ? emul_ld(data, len) : 0);
	}
	if (p != len + EMUL_PEND || (len && !data))
		return EMUL_EINVAL;
	e->pend = 0;
	return e->cont(e, data, len);
}

/* A value for a continuation that takes a buffer (x86: the value's bytes, little-endian). */
static __attribute__((noinline)) int emul_complete_buf(struct emul *e, uint64_t v)
{
	uint32_t p = e->pend;

	if (!p || e->access.count != 1)
		return EMUL_EINVAL;
	return emul_complete(e, &v, p & ~EMUL_PEND);
}

int emul_complete_value(struct emul *e, uint64_t v)
{
	if (__builtin_expect((e->pend & EMUL_PEND_VAL) != 0, 1)) {
		e->pend = 0;
		return e->vcont(e, v);
	}
	return emul_complete_buf(e, v);
}

void emul_abort(struct emul *e)
{
	e->pend = 0;
}
