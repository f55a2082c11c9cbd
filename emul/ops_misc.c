/* Address preparation for ModRM/moffs operands, PUSH/POP m, IN/OUT and the SSE/AVX moves. */
#include "emul_internal.h"

/* BT* with a register bit offset: the operand moves by offset DIV width, signed
 * (SDM Vol. 2A BT, "bit base" addressing). */
static uint64_t prep_bt_shift(const struct emul *e, uint64_t ea)
{
	const struct emul_insn *in = &e->in;
	int64_t off = (int64_t)emul_sext(emul_reg_get(e, in->reg, in->osz), in->osz);
	unsigned shift = in->osz == 2 ? 4 : in->osz == 4 ? 5 : 6;

	return emul_trunc(ea + (uint64_t)((off >> shift) * in->osz), in->asz);
}

int emul_prep_generic(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	const struct emul_opdesc *d = in->d;
	unsigned i = OPND_KIND(d->opnd[0]) == K_E || OPND_KIND(d->opnd[0]) == K_O ? 0 : 1;
	unsigned size = in->opsz[i], how = TR_READ;
	uint64_t ea;

	if (!in->has_mem)
		return 0;
	if (i == 0 && !(d->flags & F_NOWB))
		how = TR_WRITE | ((d->flags & F_RMW) ? TR_READ : 0);
	if (d->flags & F_ALIGN)
		how |= TR_ALIGN;
	if (d->op == OP_CLFLUSH)
		size = 1; /* SDM Vol. 2A CLFLUSH: checked like a byte read, no access made */
	ea = emul_ea(e);
	if (d->op == OP_BT && OPND_KIND(d->opnd[1]) == K_G)
		ea = prep_bt_shift(e, ea);
	e->nmop = 1;
	return emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, how);
}

/* Stack address size: SS.B outside 64-bit mode (SDM Vol. 3A 3.4.5). */
static unsigned stack_size(const struct emul *e)
{
	if (e->in.mode == EMUL_MODE_LONG64)
		return 8;
	return (e->regs->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

/* PUSH m (FF /6): read the operand, then write SS:rSP-size.
 * POP m (8F /0): read SS:rSP, then write the operand, whose address uses the incremented rSP
 * when rSP is its base (SDM Vol. 2A POP). mop[0] is the ModRM operand, mop[1] the stack. */
int emul_prep_stack(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	unsigned ss = stack_size(e), size = in->osz;
	uint64_t rsp = e->regs->gpr[EMUL_RSP], ea = emul_ea(e);
	int r;

	e->nmop = 2;
	if (in->d->op == OP_PUSH) {
		r = emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, TR_READ);
		return r ? r : emul_translate(e, &e->mop[1], SEG_SS, emul_trunc(rsp - size, ss),
					      size, TR_WRITE);
	}
	r = emul_translate(e, &e->mop[1], SEG_SS, emul_trunc(rsp, ss), size, TR_READ);
	if (r)
		return r;
	if (in->base == EMUL_RSP)
		ea = emul_trunc(ea + size, in->asz);
	return emul_translate(e, &e->mop[0], (enum emul_segreg)in->seg, ea, size, TR_WRITE);
}

int emul_exec_stack(struct emul *e)
{
	unsigned size = e->in.osz, ss = stack_size(e);
	bool push = e->in.d->op == OP_PUSH;
	const struct emul_memop *src = &e->mop[push ? 0 : 1], *dst = &e->mop[push ? 1 : 0];
	uint64_t rsp = e->regs->gpr[EMUL_RSP];
	const uint8_t *p;
	int r = emul_load(e, src, &p);

	if (!r)
		r = emul_store(e, dst, p);
	if (r)
		return r;
	emul_reg_set(e, EMUL_RSP, ss, push ? rsp - size : rsp + size);
	return 0;
}

/* IN E4/E5/EC/ED, OUT E6/E7/EE/EF. I/O permission (IOPL, TSS bitmap) is checked by the CPU
 * before the exit is taken, since the core intercepts port I/O (SDM Vol. 1 19.5). */
int emul_exec_io(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	bool out = in->d->op == OP_OUT;
	uint8_t po = in->d->opnd[out ? 0 : 1];
	unsigned size = in->opsz[out ? 1 : 0];
	uint16_t port = OPND_KIND(po) == K_IP ? (uint16_t)in->imm :
			(uint16_t)emul_reg_get(e, EMUL_RDX, 2);
	uint64_t v = emul_reg_get(e, EMUL_RAX, size);
	const uint8_t *p;
	int r;

	if (out)
		return emul_dev_batch(e, EMUL_KIND_PIO, EMUL_DIR_WRITE, port, size, 1, 0, &v, NULL);
	r = emul_dev_batch(e, EMUL_KIND_PIO, EMUL_DIR_READ, port, size, 1, 0, NULL, &p);
	if (r)
		return r;
	emul_reg_set(e, EMUL_RAX, size, emul_ld(p, size));
	return 0;
}

/* MOVD/MOVQ/MOVDQU/MOVDQA/MOVUPS/MOVAPS/MOVNTDQ and their VEX forms: a legacy-SSE load keeps
 * YMM bits 255:128, a VEX load zeroes them (SDM Vol. 1 14.1.3). */
int emul_exec_vmov(struct emul *e)
{
	const struct emul_insn *in = &e->in;
	const struct emul_env *env = e->env;
	bool store = OPND_KIND(in->d->opnd[0]) == K_E;
	unsigned size = in->opsz[store ? 0 : 1];
	uint8_t buf[32];
	const uint8_t *p;
	int r;

	if (store) {
		env->vec_read(env->ctx, in->reg, buf, size);
		return emul_store(e, &e->mop[0], buf);
	}
	r = emul_load(e, &e->mop[0], &p);
	if (r)
		return r;
	env->vec_write(env->ctx, in->reg, p, size, (in->pfx & EMUL_PFX_VEX) ? 32 : 16);
	return 0;
}
