/* PUSH/POP m, IN/OUT and the SSE/AVX moves. */
#include "emul_internal.h"

/* Stack address size: SS.B outside 64-bit mode (SDM Vol. 3A 3.4.5). */
static unsigned stack_size(const struct emul *e)
{
	if (e->in.mode == EMUL_MODE_LONG64)
		return 8;
	return (e->regs->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

/* PUSH m (FF /6): read the operand, then write SS:rSP-size.
 * POP m (8F /0): read SS:rSP, then write the operand, whose address uses the incremented rSP
 * when rSP is its base (SDM Vol. 2A POP). mop[0] is the ModRM operand, mop[1] the stack; the
 * loaded side's buffer is the stored side's. */
int emul_prep_stack(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	unsigned ss = stack_size(e), size = in->osz;
	uint64_t rsp = e->regs->gpr[EMUL_RSP], ea = emul_ea(e);
	bool push = in->d->op == OP_PUSH;
	int r;

	e->nmop = 2;
	if (push) {
		r = emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, TR_READ);
		if (!r)
			r = emul_translate(e, &e->mop[1], SEG_SS, emul_trunc(rsp - size, ss), size,
					   TR_WRITE);
	} else {
		r = emul_translate(e, &e->mop[1], SEG_SS, emul_trunc(rsp, ss), size, TR_READ);
		if (!r && in->base == EMUL_RSP)
			ea = emul_trunc(ea + size, in->asz);
		if (!r)
			r = emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, TR_WRITE);
	}
	if (r)
		return r;
	emul_side_add(e, push ? 0 : 1, e->data, true, false);
	emul_side_add(e, push ? 1 : 0, e->data, false, true);
	return 0;
}

void emul_calc_stack(struct emul *e)
{
	unsigned size = e->in.osz;
	uint64_t rsp = e->regs->gpr[EMUL_RSP];

	emul_stage_reg(e, EMUL_RSP, stack_size(e), e->in.d->op == OP_PUSH ? rsp - size : rsp + size);
}

/* IN E4/E5/EC/ED, OUT E6/E7/EE/EF: one port side. I/O permission (IOPL, TSS bitmap) is checked
 * by the CPU before the exit is taken, since the core intercepts port I/O (SDM Vol. 1 19.5). */
int emul_prep_io(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	bool out = in->d->op == OP_OUT;
	struct emul_side *s = emul_side_add(e, EMUL_SIDE_PORT, e->data, !out, out);

	s->esz = in->opsz[out ? 1 : 0];
	s->port = OPND_KIND(in->d->opnd[out ? 0 : 1]) == K_IP ? (uint16_t)in->imm :
		  (uint16_t)emul_reg_get(e, EMUL_RDX, 2);
	return 0;
}

void emul_calc_io(struct emul *e)
{
	unsigned size = e->side[0].esz;

	if (e->in.d->op == OP_OUT) {
		uint64_t v = emul_reg_get(e, EMUL_RAX, size);
		emul_copy(e->data, &v, size);
	} else {
		emul_stage_reg(e, EMUL_RAX, size, emul_ld(e->data, size));
	}
}

/* MOVD/MOVQ/MOVDQU/MOVDQA/MOVUPS/MOVAPS/MOVNTDQ and their VEX forms: a store reads the register
 * now; a load writes it at the commit, where a legacy-SSE load keeps YMM bits 255:128 and a
 * VEX load zeroes them (SDM Vol. 1 14.1.3). */
void emul_calc_vmov(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	const struct emul_env *env = e->env;

	if (OPND_KIND(in->d->opnd[0]) == K_E)
		env->vec_read(env->ctx, in->reg, e->data, in->opsz[0]);
	else
		e->stage.vec = (int8_t)in->reg;
}
