/* Executors for the ModRM-addressed integer operations. Each one loads its operands, computes,
 * stores memory first and registers and RFLAGS last (the pass that finishes is the only one that
 * reaches the register writes; see emul.c). */
#include "emul_internal.h"

uint64_t emul_reg_get(const struct emul *e, unsigned reg, unsigned size)
{
	const uint64_t *g = e->regs->gpr;

	/* SDM Vol. 1 3.4.1.1: without REX, byte registers 4-7 are AH, CH, DH, BH */
	if (size == 1 && !e->in.rex && reg >= 4 && reg < 8)
		return (g[reg - 4] >> 8) & 0xff;
	return emul_trunc(g[reg], size);
}

void emul_reg_set(struct emul *e, unsigned reg, unsigned size, uint64_t val)
{
	uint64_t *g = &e->regs->gpr[reg], mask;

	if (size == 1 && !e->in.rex && reg >= 4 && reg < 8) {
		g = &e->regs->gpr[reg - 4];
		*g = (*g & ~0xff00ull) | (val & 0xff) << 8;
		return;
	}
	/* SDM Vol. 1 3.4.1.1: 32-bit results are zero-extended, 8/16-bit ones merged */
	if (size >= 4) {
		*g = emul_trunc(val, size);
		return;
	}
	mask = (1ull << (size * 8)) - 1;
	*g = (*g & ~mask) | (val & mask);
}

/* Effective address of the ModRM/moffs operand, wrapped to the address size. */
uint64_t emul_ea(const struct emul *e)
{
	const struct emul_insn *in = &e->in;
	uint64_t ea = (uint64_t)in->disp;

	if (in->base != EMUL_NOREG)
		ea += e->regs->gpr[in->base];
	if (in->index != EMUL_NOREG)
		ea += e->regs->gpr[in->index] * in->scale;
	if (in->riprel)
		ea += e->regs->rip + in->len;
	return emul_trunc(ea, in->asz);
}

static int opnd_get(struct emul *e, unsigned i, uint64_t *v)
{
	const struct emul_insn *in = &e->in;
	uint8_t o = in->d->opnd[i];
	unsigned size = in->opsz[i];
	const uint8_t *p;
	uint64_t x = 0;
	int r;

	switch (OPND_KIND(o)) {
	case K_E:
	case K_O:
	case K_STK:
		r = emul_load(e, &e->mop[OPND_KIND(o) == K_STK], &p);
		if (r)
			return r;
		x = emul_ld(p, size);
		break;
	case K_G:
		x = emul_reg_get(e, in->reg, size);
		break;
	case K_ACC:
		x = emul_reg_get(e, EMUL_RAX, size);
		break;
	case K_B:
		x = emul_reg_get(e, in->vex_v, size);
		break;
	default: /* K_I, K_IS: sign-extended to the size of the operand they combine with */
		x = emul_trunc(emul_sext(in->imm, (unsigned)in->imm_size), in->opsz[0]);
		break;
	}
	*v = x;
	return 0;
}

static int opnd_put(struct emul *e, unsigned i, uint64_t v)
{
	const struct emul_insn *in = &e->in;
	uint8_t o = in->d->opnd[i];
	unsigned size = in->opsz[i];

	switch (OPND_KIND(o)) {
	case K_E:
	case K_O:
	case K_STK:
		return emul_store(e, &e->mop[OPND_KIND(o) == K_STK], &v);
	case K_G:
		emul_reg_set(e, in->reg, size, v);
		return 0;
	default: /* K_ACC */
		emul_reg_set(e, EMUL_RAX, size, v);
		return 0;
	}
}

/* Load operand 0 (if `both`, or its value is needed) and operand 1. */
static int opnd_get2(struct emul *e, uint64_t *a, uint64_t *b)
{
	int r = opnd_get(e, 0, a);

	return r ? r : opnd_get(e, 1, b);
}

/* MOV 88-8B, C6/C7, A0-A3; MOVNTI 0F C3; MOVZX 0F B6/B7; MOVSX 0F BE/BF; MOVSXD 63. */
int emul_op_mov(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t v;
	int r = opnd_get(e, 1, &v);

	(void)size;
	if (r)
		return r;
	if (e->in.d->op == OP_MOVSX)
		v = emul_sext(v, e->in.opsz[1]);
	return opnd_put(e, 0, v);
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3F, 80/81/83. */
int emul_op_alu(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t a, b, fl = e->regs->rflags, res;
	int r = opnd_get2(e, &a, &b);

	if (r)
		return r;
	res = emul_alu(e->in.d->sub, a, b, size, &fl);
	if (!(e->in.d->flags & F_NOWB)) {
		r = opnd_put(e, 0, res);
		if (r)
			return r;
	}
	e->regs->rflags = fl;
	return 0;
}

/* TEST 84/85, A8/A9, F6/F7 /0. */
int emul_op_test(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t a, b;
	int r = opnd_get2(e, &a, &b);

	if (!r)
		e->regs->rflags = emul_flags_logic(a & b, size, e->regs->rflags);
	return r;
}

/* INC/DEC FE/FF /0 /1: flags as ADD/SUB 1 except CF, which is kept. */
int emul_op_incdec(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t a, fl = e->regs->rflags, cf = fl & EMUL_RFLAGS_CF, res;
	int r = opnd_get(e, 0, &a);

	if (r)
		return r;
	res = emul_alu(e->in.d->sub ? ALU_SUB : ALU_ADD, a, 1, size, &fl);
	r = opnd_put(e, 0, res);
	if (!r)
		e->regs->rflags = (fl & ~(uint64_t)EMUL_RFLAGS_CF) | cf;
	return r;
}

/* NOT F6/F7 /2 (no flags), NEG F6/F7 /3 (flags of 0 - src; CF = src != 0). */
int emul_op_notneg(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t a, fl = e->regs->rflags, res;
	int r = opnd_get(e, 0, &a);

	if (r)
		return r;
	res = e->in.d->op == OP_NOT ? ~a : emul_alu(ALU_SUB, 0, a, size, &fl);
	r = opnd_put(e, 0, res);
	if (!r)
		e->regs->rflags = fl;
	return r;
}

/* BT/BTS/BTR/BTC 0F A3/AB/B3/BB, 0F BA /4-7: CF = the bit; OF SF AF PF undefined (kept). */
int emul_op_bt(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t v, off, bit, fl = e->regs->rflags;
	int r = opnd_get2(e, &v, &off);

	if (r)
		return r;
	off &= size * 8 - 1;
	bit = 1ull << off;
	fl = (fl & ~(uint64_t)EMUL_RFLAGS_CF) | ((v >> off) & 1);
	if (e->in.d->sub != BT_BT) {
		v = e->in.d->sub == BT_BTS ? v | bit : e->in.d->sub == BT_BTR ? v & ~bit : v ^ bit;
		r = opnd_put(e, 0, v);
		if (r)
			return r;
	}
	e->regs->rflags = fl;
	return 0;
}

/* XCHG 86/87. */
int emul_op_xchg(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t m, g;
	int r = opnd_get2(e, &m, &g);

	(void)size;
	if (!r)
		r = opnd_put(e, 0, g);
	if (!r)
		r = opnd_put(e, 1, m);
	return r;
}

/* CMPXCHG 0F B0/B1: the destination is always written (SDM Vol. 2A CMPXCHG). */
int emul_op_cmpxchg(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t d, s, fl = e->regs->rflags, acc = emul_reg_get(e, EMUL_RAX, size);
	int r = opnd_get2(e, &d, &s);

	if (r)
		return r;
	emul_alu(ALU_CMP, acc, d, size, &fl);
	r = opnd_put(e, 0, (fl & EMUL_RFLAGS_ZF) ? s : d);
	if (r)
		return r;
	if (!(fl & EMUL_RFLAGS_ZF))
		emul_reg_set(e, EMUL_RAX, size, d);
	e->regs->rflags = fl;
	return 0;
}

/* XADD 0F C0/C1. */
int emul_op_xadd(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t d, s, fl = e->regs->rflags, sum;
	int r = opnd_get2(e, &d, &s);

	if (r)
		return r;
	sum = emul_alu(ALU_ADD, d, s, size, &fl);
	r = opnd_put(e, 0, sum);
	if (r)
		return r;
	opnd_put(e, 1, d);
	e->regs->rflags = fl;
	return 0;
}

/* IMUL 0F AF: CF = OF = the signed product does not fit; SF ZF AF PF undefined. */
int emul_op_imul(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t a, b, res, fl = e->regs->rflags;
	__int128 p;
	int r = opnd_get2(e, &a, &b);

	if (r)
		return r;
	p = (__int128)(int64_t)emul_sext(a, size) * (int64_t)emul_sext(b, size);
	res = emul_trunc((uint64_t)p, size);
	fl = emul_flags_szp(res, size, fl) & ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF |
							  EMUL_RFLAGS_AF);
	if ((__int128)(int64_t)emul_sext(res, size) != p)
		fl |= EMUL_RFLAGS_CF | EMUL_RFLAGS_OF;
	opnd_put(e, 0, res);
	e->regs->rflags = fl;
	return 0;
}

/* BEXTR VEX.0F38 F7 (BMI1): ZF from the result, CF = OF = 0, AF SF PF undefined. */
int emul_op_bextr(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t src, ctl, res, fl = e->regs->rflags;
	unsigned start, len, bits = size * 8;
	int r = opnd_get(e, 1, &src);

	if (r)
		return r;
	opnd_get(e, 2, &ctl);
	start = ctl & 0xff;
	len = (ctl >> 8) & 0xff;
	res = start >= bits ? 0 : src >> start;
	if (len < 64)
		res &= (1ull << len) - 1;
	fl = emul_flags_szp(res, size, fl) & ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF |
							  EMUL_RFLAGS_AF);
	opnd_put(e, 0, res);
	e->regs->rflags = fl;
	return 0;
}

/* MOVBE 0F 38 F0/F1: byte-swapped move. */
int emul_op_movbe(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	uint64_t v, s = 0;
	int r = opnd_get(e, 1, &v);

	if (r)
		return r;
	for (unsigned i = 0; i < size; i++)
		s = s << 8 | ((v >> (i * 8)) & 0xff);
	return opnd_put(e, 0, s);
}

/* CLFLUSH/CLFLUSHOPT/CLWB: nothing to do on a device once the address checks passed. */
int emul_op_clflush(struct emul *e)
{
	unsigned size = e->in.opsz[0];

	(void)e;
	(void)size;
	return 0;
}
