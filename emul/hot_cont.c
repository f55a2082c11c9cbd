/* The continuations of the direct paths (hot.c, direct.c): what emul_complete and
 * emul_complete_value do with the answer of a one-element access (by value) or of a vector
 * move (by buffer). Registers, RFLAGS and RIP are written only here, after the last access. */
#include "hot.h"

const uint64_t emul_hot_mask[9] = { [1] = 0xff, [2] = 0xffff, [4] = 0xffffffffu, [8] = ~0ull };

/* RIP (computed at the start) and RFLAGS less RF (SDM Vol. 3A 17.3.1.1). */
static inline int hot_done(struct emul *e, struct emul_regs *r, uint64_t rflags)
{
	r->rip = e->fx.rip;
	r->rflags = rflags & ~(uint64_t)EMUL_RFLAGS_RF;
	return EMUL_DONE;
}

/* A MOV load into a 32- or 64-bit register: the answer zero-extended (SDM Vol. 1 3.4.1.1). */
int emul_hot_load_zx(struct emul *e, uint64_t v)
{
	struct emul_regs *r = e->regs;

	r->gpr[e->fx.reg] = v & e->fx.mask;
	return hot_done(e, r, r->rflags);
}

/* Any other MOV load: sign-extended from the operand, or merged into an 8/16-bit register. */
int emul_hot_load(struct emul *e, uint64_t v)
{
	struct emul_regs *r = e->regs;

	v &= e->fx.mask;
	if (e->fx.sext)
		v = emul_sext(v, e->fx.msize);
	emul_gpr_set(r->gpr, e->fx.reg, e->fx.dsize, v, e->fx.rex);
	return hot_done(e, r, r->rflags);
}

/* A write sent: nothing left but RIP (MOV, a vector store). */
int emul_hot_stored(struct emul *e, uint64_t v)
{
	(void)v;
	return hot_done(e, e->regs, e->regs->rflags);
}

/* The answer of a vector load: the XMM/YMM register; a legacy-SSE load keeps YMM bits 255:128,
 * a VEX load zeroes them (SDM Vol. 1 14.1.3). */
int emul_hot_vload(struct emul *e, const uint8_t *data, uint32_t len)
{
	const struct emul_env *env = e->env;

	env->vec_write(env->ctx, e->fx.reg, data, len, e->fx.vex ? 32 : 16);
	return hot_done(e, e->regs, e->regs->rflags);
}

/* A vector store sent: nothing left but RIP. */
int emul_hot_vstored(struct emul *e, const uint8_t *data, uint32_t len)
{
	(void)data;
	(void)len;
	return hot_done(e, e->regs, e->regs->rflags);
}

/* The end of a calculation: its register result (if any) and the flags. */
static inline int hot_commit(struct emul *e, uint64_t rflags)
{
	struct emul_regs *r = e->regs;

	if (e->fx.rw)
		emul_gpr_set(r->gpr, e->fx.reg, e->fx.dsize, e->fx.rv, e->fx.rex);
	return hot_done(e, r, rflags);
}

/* The write half of a read-modify-write sent. */
static int hot_written(struct emul *e, uint64_t v)
{
	(void)v;
	return hot_commit(e, e->fx.src);
}

/* The calculation of an FC_RMW form on the memory operand's value m (SDM Vol. 2A/2B per
 * instruction): the value written back, e->fx.rv/rw the register result, *fl the flags. */
static inline uint64_t hot_calc(struct emul *e, uint64_t m, unsigned size, uint64_t *fl)
{
	uint64_t s = e->fx.src, f = *fl, bit;

	switch (e->fx.dop) {
	case DOP_ALUM:
		return emul_alu(e->fx.sub, m, s, size, fl);
	case DOP_ALUR:
		e->fx.rv = emul_alu(e->fx.sub, s, m, size, fl);
		return m;
	case DOP_INCDEC: /* flags of ADD/SUB 1, CF kept */
		m = emul_alu(e->fx.sub ? ALU_SUB : ALU_ADD, m, 1, size, fl);
		*fl = (*fl & ~(uint64_t)EMUL_RFLAGS_CF) | (f & EMUL_RFLAGS_CF);
		return m;
	case DOP_NOT:
		return ~m;
	case DOP_NEG: /* flags of 0 - m: CF = m != 0 */
		return emul_alu(ALU_SUB, 0, m, size, fl);
	case DOP_BT: /* CF = the bit; OF SF AF PF undefined (kept) */
		s &= size * 8 - 1;
		bit = 1ull << s;
		*fl = (f & ~(uint64_t)EMUL_RFLAGS_CF) | ((m >> s) & 1);
		return e->fx.sub == BT_BTS ? m | bit : e->fx.sub == BT_BTR ? m & ~bit :
		       e->fx.sub == BT_BTC ? m ^ bit : m;
	case DOP_XCHG:
		e->fx.rv = m;
		return s;
	case DOP_XADD:
		e->fx.rv = m;
		return emul_alu(ALU_ADD, m, s, size, fl);
	default: /* CMPXCHG: the destination is always written (SDM Vol. 2A CMPXCHG) */
		emul_alu(ALU_CMP, e->fx.rv, m, size, fl);
		if (*fl & EMUL_RFLAGS_ZF)
			return s;
		e->fx.rw = true; /* rAX gets the destination */
		e->fx.rv = m;
		return m;
	}
}

/* The answer of an FC_RMW form: calculate, then write back (the write half of the
 * read-modify-write) or commit. */
int emul_hot_rmw(struct emul *e, uint64_t v)
{
	unsigned size = e->access.size;
	uint64_t fl = e->regs->rflags, res = hot_calc(e, v & e->fx.mask, size, &fl);

	if (!e->fx.wb)
		return hot_commit(e, fl);
	e->fx.src = fl;
	emul_copy(e->access.data, &res, 8);
	e->access.dir = EMUL_DIR_WRITE;
	e->pend = EMUL_PEND | EMUL_PEND_VAL;
	e->vcont = hot_written;
	return EMUL_ACCESS;
}

uint64_t emul_hot_rmw_plan(struct emul *e, const struct emul_opdesc *op, const uint64_t *gpr,
			   unsigned reg, unsigned rex, uint64_t simm, unsigned size)
{
	return emul_hot_rmw_plan_in(e, op, gpr, reg, rex, simm, size);
}

