/* Calculations of the ModRM-addressed integer operations: operand values from the loaded
 * memory side and the registers; results into the store data and the staged registers. */
#include "emul_internal.h"

/* Operand i's value: the memory operand from e->data (loaded), else a register or the
 * immediate (sign-extended to the size of the operand it combines with). */
static inline __attribute__((always_inline)) uint64_t opnd_get(const struct emul *e, unsigned i)
{
	const struct emul_insn *in = &e->in;
	unsigned size = in->opsz[i];

	switch (OPND_KIND(in->d->opnd[i])) {
	case K_E:
	case K_O:
		return emul_ld(e->data, size);
	case K_G:
		return emul_reg_get(e, in->reg, size);
	case K_ACC:
		return emul_reg_get(e, EMUL_RAX, size);
	case K_B:
		return emul_reg_get(e, in->vex_v, size);
	default: /* K_I, K_IS */
		return emul_trunc(emul_sext(in->imm, (unsigned)in->imm_size), in->opsz[0]);
	}
}

/* Operand i gets v: the memory operand's store data, or a staged register write. */
static inline __attribute__((always_inline)) void opnd_put(struct emul *e, unsigned i, uint64_t v)
{
	const struct emul_insn *in = &e->in;
	unsigned size = in->opsz[i];

	switch (OPND_KIND(in->d->opnd[i])) {
	case K_E:
	case K_O:
		emul_copy(e->data, &v, size);
		break;
	case K_G:
		emul_stage_reg(e, in->reg, size, v);
		break;
	default: /* K_ACC */
		emul_stage_reg(e, EMUL_RAX, size, v);
		break;
	}
}

/* MOV 88-8B, C6/C7, A0-A3; MOVNTI 0F C3; MOVZX 0F B6/B7; MOVSX 0F BE/BF; MOVSXD 63. */
void emul_op_mov(struct emul *e)
{
	uint64_t v = opnd_get(e, 1);

	if (e->in.d->op == OP_MOVSX)
		v = emul_sext(v, e->in.opsz[1]);
	opnd_put(e, 0, v);
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3F, 80/81/83. */
void emul_op_alu(struct emul *e)
{
	uint64_t res = emul_alu(e->in.d->sub, opnd_get(e, 0), opnd_get(e, 1), e->in.opsz[0],
				&e->stage.rflags);

	if (!(e->in.d->flags & F_NOWB))
		opnd_put(e, 0, res);
}

/* TEST 84/85, A8/A9, F6/F7 /0. */
void emul_op_test(struct emul *e)
{
	e->stage.rflags = emul_flags_logic(opnd_get(e, 0) & opnd_get(e, 1), e->in.opsz[0],
					   e->stage.rflags);
}

/* INC/DEC FE/FF /0 /1: flags as ADD/SUB 1 except CF, which is kept. */
void emul_op_incdec(struct emul *e)
{
	uint64_t fl = e->stage.rflags, cf = fl & EMUL_RFLAGS_CF;

	opnd_put(e, 0, emul_alu(e->in.d->sub ? ALU_SUB : ALU_ADD, opnd_get(e, 0), 1, e->in.opsz[0],
				&fl));
	e->stage.rflags = (fl & ~(uint64_t)EMUL_RFLAGS_CF) | cf;
}

/* NOT F6/F7 /2 (no flags), NEG F6/F7 /3 (flags of 0 - src; CF = src != 0). */
void emul_op_notneg(struct emul *e)
{
	uint64_t a = opnd_get(e, 0);

	opnd_put(e, 0, e->in.d->op == OP_NOT ? ~a :
		 emul_alu(ALU_SUB, 0, a, e->in.opsz[0], &e->stage.rflags));
}

/* BT/BTS/BTR/BTC 0F A3/AB/B3/BB, 0F BA /4-7: CF = the bit; OF SF AF PF undefined (kept). */
void emul_op_bt(struct emul *e)
{
	unsigned size = e->in.opsz[0];
	uint64_t v = opnd_get(e, 0), off = opnd_get(e, 1) & (size * 8 - 1), bit = 1ull << off;

	e->stage.rflags = (e->stage.rflags & ~(uint64_t)EMUL_RFLAGS_CF) | ((v >> off) & 1);
	if (e->in.d->sub != BT_BT)
		opnd_put(e, 0, e->in.d->sub == BT_BTS ? v | bit : e->in.d->sub == BT_BTR ? v & ~bit :
			 v ^ bit);
}

/* XCHG 86/87. */
void emul_op_xchg(struct emul *e)
{
	uint64_t m = opnd_get(e, 0), g = opnd_get(e, 1);

	opnd_put(e, 0, g);
	opnd_put(e, 1, m);
}

/* CMPXCHG 0F B0/B1: the destination is always written (SDM Vol. 2A CMPXCHG). */
void emul_op_cmpxchg(struct emul *e)
{
	unsigned size = e->in.opsz[0];
	uint64_t d = opnd_get(e, 0), s = opnd_get(e, 1);

	emul_alu(ALU_CMP, emul_reg_get(e, EMUL_RAX, size), d, size, &e->stage.rflags);
	opnd_put(e, 0, (e->stage.rflags & EMUL_RFLAGS_ZF) ? s : d);
	if (!(e->stage.rflags & EMUL_RFLAGS_ZF))
		emul_stage_reg(e, EMUL_RAX, size, d);
}

/* XADD 0F C0/C1. */
void emul_op_xadd(struct emul *e)
{
	uint64_t d = opnd_get(e, 0), s = opnd_get(e, 1);

	opnd_put(e, 0, emul_alu(ALU_ADD, d, s, e->in.opsz[0], &e->stage.rflags));
	opnd_put(e, 1, d);
}

/* IMUL 0F AF: CF = OF = the signed product does not fit; SF ZF AF PF undefined. */
void emul_op_imul(struct emul *e)
{
	unsigned size = e->in.opsz[0];
	uint64_t res, fl;
	__int128 p = (__int128)(int64_t)emul_sext(opnd_get(e, 0), size) *
		     (int64_t)emul_sext(opnd_get(e, 1), size);

	res = emul_trunc((uint64_t)p, size);
	fl = emul_flags_szp(res, size, e->stage.rflags) &
	     ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF | EMUL_RFLAGS_AF);
	if ((__int128)(int64_t)emul_sext(res, size) != p)
		fl |= EMUL_RFLAGS_CF | EMUL_RFLAGS_OF;
	opnd_put(e, 0, res);
	e->stage.rflags = fl;
}

/* BEXTR VEX.0F38 F7 (BMI1): ZF from the result, CF = OF = 0, AF SF PF undefined. */
void emul_op_bextr(struct emul *e)
{
	unsigned size = e->in.opsz[0], bits = size * 8;
	uint64_t src = opnd_get(e, 1), ctl = opnd_get(e, 2), res;
	unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;

	res = start >= bits ? 0 : src >> start;
	if (len < 64)
		res &= (1ull << len) - 1;
	e->stage.rflags = emul_flags_szp(res, size, e->stage.rflags) &
			  ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF | EMUL_RFLAGS_AF);
	opnd_put(e, 0, res);
}

/* MOVBE 0F 38 F0/F1: byte-swapped move. */
void emul_op_movbe(struct emul *e)
{
	unsigned size = e->in.opsz[0];
	uint64_t v = opnd_get(e, 1), s = 0;

	for (unsigned i = 0; i < size; i++)
		s = s << 8 | ((v >> (i * 8)) & 0xff);
	opnd_put(e, 0, s);
}

/* CLFLUSH/CLFLUSHOPT/CLWB: nothing to do on a device once the address checks passed. */
void emul_op_clflush(struct emul *e)
{
	(void)e;
}
