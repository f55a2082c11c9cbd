/* The direct path: an MMIO exit with its translation (VMX: the guest-linear address; SVM: the
 * final GPA), in 64-bit mode, or in 32-bit protected mode on a flat data segment. The decoder's
 * fast path decodes into this frame (with the effective address and the immediate), and if the
 * form has a direct class (FC_*, from its table entry), its one ModRM/moffs memory operand lies
 * within the exit's page in the exit's direction and is a device, the access goes out at once,
 * handled per class: a MOV load's answer goes into its register, a MOV store's data into the
 * request, a calculation (ALU, TEST, INC/DEC, NOT/NEG, BT*, XCHG, XADD, CMPXCHG) takes the
 * answer and writes its result back, a vector move reads or writes its register; the rare
 * rest goes through struct emul_insn and the one-access completion of the general path.
 * Registers and RFLAGS are written only after the last access. Anything else - a fault to
 * raise, a second page, a RAM operand (a spurious exit), an operand the exit does not match -
 * goes to the general path, which decides it with the same decode. */
#include "decode_fast.h"
#include "hot.h"

/* A flat data segment of protected mode (base 0, limit 4 GiB, present, usable, expand-up,
 * writable for a write) adds nothing and refuses nothing (SDM Vol. 3A 5.3, 5.4.1). */
static inline bool direct_flat32(const struct emul_seg *s, bool write)
{
	uint32_t need = SEG_ATTR_P | SEG_ATTR_S | (write ? 2u : 0u);

	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & (SEG_ATTR_UNUSABLE | SEG_ATTR_P | SEG_ATTR_S | 0xcu | need)) == need;
}

/* A form of class FC_ONE: decoded again into e->in, its operand checked as above, then the
 * one-access completion of the general path. */
static __attribute__((noinline)) int
direct_one(struct emul *e, const struct emul_env *env, struct emul_regs *r,
	   const struct emul_exit *x, const uint8_t *b, unsigned len, enum emul_mode mode)
{
	struct emul_insn *in = &e->in;
	struct emul_memop *mo = &e->mop[0];
	unsigned xl, size;
	uint64_t ea, gpa;

	e->env = env;
	e->regs = r;
	e->exit = x;
	e->pend = 0;
	if (emul_decode(b, len, mode, in))
		return emul_start_decoded(e, env, r, x, b, len, mode);
	xl = in->d->xl;
	ea = emul_ea(e);
	size = in->opsz[(xl & XL_OPND1) != 0];
	if (!emul_direct_fits(x, ea, size, xl))
		return emul_general(e, x);
	gpa = (x->gpa & ~0xfffull) | (ea & 0xfff);
	if (!x->dev && env->classify(env->ctx, gpa, size) == EMUL_GPA_RAM)
		return emul_general(e, x);
	*mo = (struct emul_memop){ .la = ea, .gpa = { gpa }, .size = size, .len0 = (uint16_t)size,
				   .seg = in->seg, .read = xl & TR_READ, .write = xl & TR_WRITE,
				   .dev = { true } };
	e->nmop = 1;
	emul_begin_outputs(e);
	return emul_one(e, xl & TR_READ, xl & TR_WRITE);
}

/* FC_VEC: a load into an XMM/YMM register, or a store from it (in elements of up to 8 bytes). */
static inline uint64_t direct_vec_plan(struct emul *e, const struct emul_env *env,
				       const struct emul_opdesc *op, const struct emul_insn *in,
				       unsigned size)
{
	unsigned esz = size > 8 ? 8 : size, n = size > 8 ? size >> 3 : 1;

	e->fx.reg = in->reg;
	if (op->flags & HOT_VLOAD) {
		e->env = env;
		e->fx.vex = (in->pfx & EMUL_PFX_VEX) != 0;
		e->cont = emul_hot_vload;
		return emul_hot_hdr(EMUL_DIR_READ, esz, 0, n);
	}
	env->vec_read(env->ctx, in->reg, e->access.data, size);
	e->cont = emul_hot_vstored;
	return emul_hot_hdr(EMUL_DIR_WRITE, esz, 0, n);
}

static inline __attribute__((always_inline)) int
direct_mode(struct emul *e, const struct emul_env *env, struct emul_regs *r,
	    const struct emul_exit *x, const uint8_t *b, unsigned len, enum emul_mode mode)
{
	const struct emul_opdesc *op;
	struct emul_insn in;
	struct decf_out o;
	unsigned xl, size, fl, reg, pv = EMUL_PEND_VAL;
	uint64_t gpa, v, hdr, rip;

	e->env = env;
	e->regs = r;
	e->exit = x;
	e->bytes = b;
	e->nbytes = len;
	if (emul_decode_fast(b, len, mode, &in, r, &o) || in.segovr != SEG_COUNT)
		return emul_start_again(e, mode);
	op = in.d;
	xl = op->xl;
	fl = op->flags;
	if (mode != EMUL_MODE_LONG64 && !direct_flat32(&r->seg[in.seg], xl & TR_WRITE))
		return emul_start_again(e, mode);
	size = op->hsz & 15 ? op->hsz & 15u : in.osz;
	reg = fl & HOT_ACC ? EMUL_RAX : in.reg;
	switch (F_CLS(fl)) {
	case FC_LOAD:
		if (!emul_direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		v = op->hsz >> 4 ? op->hsz >> 4 : in.osz;
		emul_hot_load_plan(e, reg, size, (unsigned)v, (fl & HOT_SEXT) != 0, in.rex != 0);
		hdr = emul_hot_hdr(EMUL_DIR_READ, size, 0, 1);
		break;
	case FC_STORE:
		if (!emul_direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		v = fl & HOT_IMM ? o.simm : emul_gpr_get(r->gpr, reg, size, in.rex);
		emul_copy(e->access.data, &v, 8);
		e->vcont = emul_hot_stored;
		hdr = emul_hot_hdr(EMUL_DIR_WRITE, size, 0, 1);
		break;
	case FC_RMW:
		if (!emul_direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		hdr = emul_hot_rmw_plan(e, op, r->gpr, reg, in.rex, o.simm, size);
		break;
	case FC_VEC:
		/* a misaligned MOVDQA-style operand (#GP(0)) is the general path's */
		size = decf_size(op->fsz[(xl & XL_OPND1) != 0], in.osz, in.vex_l);
		if (!emul_direct_fits(x, o.ea, size, xl) || ((xl & TR_ALIGN) && (o.ea & (size - 1))))
			return emul_start_again(e, mode);
		hdr = direct_vec_plan(e, env, op, &in, size);
		pv = 0;
		break;
	case FC_ONE:
		return direct_one(e, env, r, x, b, len, mode);
	case FC_STR:
		if (mode != EMUL_MODE_LONG64 || in.asz != 8)
			return emul_start_again(e, mode);
		return emul_direct_str(e, op->sub, in.len, decf_size(op->fsz[0], in.osz, 0), in.pfx);
	default:
		return emul_start_again(e, mode);
	}
	gpa = (x->gpa & ~0xfffull) | (o.ea & 0xfff);
	rip = r->rip + in.len;
	/* sequential EIP wraps at 4 GiB outside 64-bit mode (SDM Vol. 1 3.5) */
	e->fx.rip = mode == EMUL_MODE_LONG64 ? rip : (uint32_t)rip;
	emul_hot_outputs(e, r->rflags);
	__builtin_memcpy(&e->access, &hdr, 8);
	e->access.addr = gpa;
	/* the answer by value (a vector's: by buffer) */
	e->pend = EMUL_PEND | pv | ((hdr >> 8) & 1 ? 0 : size);
	/* last, so that little is live across the call: a RAM operand (a spurious exit) is the
	 * general path's */
	if (!x->dev && env->classify(env->ctx, gpa, size) == EMUL_GPA_RAM)
		return emul_start_again(e, mode);
	return EMUL_ACCESS;
}

int emul_direct64(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		  const struct emul_exit *x, const uint8_t *b, unsigned len)
{
	return direct_mode(e, env, regs, x, b, len, EMUL_MODE_LONG64);
}

int emul_direct32(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		  const struct emul_exit *x, const uint8_t *b, unsigned len)
{
	return direct_mode(e, env, regs, x, b, len, EMUL_MODE_PROT32);
}
