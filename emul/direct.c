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

/* A flat data segment of protected mode (base 0, limit 4 GiB, present, usable, expand-up,
 * writable for a write) adds nothing and refuses nothing (SDM Vol. 3A 5.3, 5.4.1). */
static inline bool direct_flat32(const struct emul_seg *s, bool write)
{
	uint32_t need = SEG_ATTR_P | SEG_ATTR_S | (write ? 2u : 0u);

	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & (SEG_ATTR_UNUSABLE | SEG_ATTR_P | SEG_ATTR_S | 0xcu | need)) == need;
}

/* RIP (computed at the start) and RFLAGS; the outputs were set at the start. */
static inline int direct_done(struct emul *e, struct emul_regs *r, uint64_t rflags)
{
	r->rip = e->fx.rip;
	r->rflags = rflags & ~(uint64_t)EMUL_RFLAGS_RF;
	return EMUL_DONE;
}

/* The answer of a MOV load into a 32- or 64-bit register, zero-extended (SDM Vol. 1 3.4.1.1). */
static int direct_load_zx(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;

	r->gpr[e->fx.reg] = emul_ld(data, len);
	return direct_done(e, r, r->rflags);
}

/* Any other MOV load: sign-extended, or merged into an 8- or 16-bit register. */
static int direct_load(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;
	uint64_t v = emul_ld(data, len);

	if (e->fx.sext)
		v = emul_sext(v, len);
	emul_gpr_set(r->gpr, e->fx.reg, e->fx.dsize, v, e->fx.rex);
	return direct_done(e, r, r->rflags);
}

/* A write sent: nothing left but RIP (MOV, a vector store). */
static int direct_stored(struct emul *e, const uint8_t *data, uint32_t len)
{
	(void)data;
	(void)len;
	return direct_done(e, e->regs, e->regs->rflags);
}

/* The end of a calculation: its register result (if any) and the flags. */
static inline int direct_commit(struct emul *e, uint64_t rflags)
{
	struct emul_regs *r = e->regs;

	if (e->fx.rw)
		emul_gpr_set(r->gpr, e->fx.reg, e->fx.dsize, e->fx.rv, e->fx.rex);
	return direct_done(e, r, rflags);
}

/* The write half of a read-modify-write sent. */
static int direct_written(struct emul *e, const uint8_t *data, uint32_t len)
{
	(void)data;
	(void)len;
	return direct_commit(e, e->fx.src);
}

/* The calculation of an FC_RMW form on the memory operand's value m (SDM Vol. 2A/2B per
 * instruction): the value written back, e->fx.rv/rw the register result, *fl the flags. */
static inline uint64_t direct_calc(struct emul *e, uint64_t m, unsigned size, uint64_t *fl)
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
static int direct_rmw(struct emul *e, const uint8_t *data, uint32_t len)
{
	uint64_t fl = e->regs->rflags, res = direct_calc(e, emul_ld(data, len), len, &fl);

	if (!e->fx.wb)
		return direct_commit(e, fl);
	e->fx.src = fl;
	emul_copy(e->access.data, &res, 8);
	e->access.dir = EMUL_DIR_WRITE;
	e->pend = EMUL_PEND;
	e->cont = direct_written;
	return EMUL_ACCESS;
}

/* The answer of a vector load: the XMM/YMM register; a legacy-SSE load keeps YMM bits 255:128,
 * a VEX load zeroes them (SDM Vol. 1 14.1.3). */
static int direct_vload(struct emul *e, const uint8_t *data, uint32_t len)
{
	const struct emul_env *env = e->env;

	env->vec_write(env->ctx, e->fx.reg, data, len, e->fx.vex ? 32 : 16);
	return direct_done(e, e->regs, e->regs->rflags);
}

/* The operand of `size` bytes at `ea` lies within the page the exit reported, in the exit's
 * direction: a write exit for a form that writes (the CPU walked the page with write intent),
 * a read exit for a pure read. Then the operand is canonical: the CPU checked that page (SDM
 * Vol. 3A 3.3.7.1). Without a linear address (gpa_final) the one operand of a direct form is
 * the access that faulted: the same offset in the page stands for the page. */
static inline bool direct_fits(const struct emul_exit *x, uint64_t ea, unsigned size, unsigned xl)
{
	return !(x->la_valid ? (ea ^ x->la) >> 12 : (ea ^ x->gpa) & 0xfff) &&
	       (ea & 0xfff) + size <= 0x1000 && x->write == ((xl & TR_WRITE) != 0);
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
	if (!direct_fits(x, ea, size, xl))
		return emul_general(e, x);
	gpa = (x->gpa & ~0xfffull) | (ea & 0xfff);
	if (env->classify(env->ctx, gpa, size) == EMUL_GPA_RAM)
		return emul_general(e, x);
	*mo = (struct emul_memop){ .la = ea, .gpa = { gpa }, .size = size, .len0 = (uint16_t)size,
				   .seg = in->seg, .read = xl & TR_READ, .write = xl & TR_WRITE,
				   .dev = { true } };
	e->nmop = 1;
	emul_begin_outputs(e);
	return emul_one(e, xl & TR_READ, xl & TR_WRITE);
}

/* The header of struct emul_access (kind, dir, size, flags, stride, count) of `count` MMIO
 * elements of `size` bytes, as one word. */
static inline uint64_t direct_hdr(unsigned dir, unsigned size, unsigned flags, unsigned count)
{
	return EMUL_KIND_MMIO | dir << 8 | size << 16 | flags << 24 | (uint64_t)size << 32 |
	       (uint64_t)count << 48;
}
_Static_assert(__builtin_offsetof(struct emul_access, kind) == 0 &&
	       __builtin_offsetof(struct emul_access, dir) == 1 &&
	       __builtin_offsetof(struct emul_access, size) == 2 &&
	       __builtin_offsetof(struct emul_access, flags) == 3 &&
	       __builtin_offsetof(struct emul_access, stride) == 4 &&
	       __builtin_offsetof(struct emul_access, count) == 6, "struct emul_access header");

/* The outputs of a direct form (nmop, single_step, shadow_clear, rip_advanced), as one word:
 * no memory operands listed, TF set before the instruction → a single-step #DB trap after it
 * (SDM Vol. 3A 17.3.1.1), the interrupt shadow cleared, RIP advanced. */
static inline void direct_outputs(struct emul *e, uint64_t rflags)
{
	uint32_t w = ((uint32_t)(rflags >> 8) & 1) << 8 | 1u << 16 | 1u << 24;

	__builtin_memcpy(&e->nmop, &w, 4);
}
_Static_assert(__builtin_offsetof(struct emul, single_step) ==
	       __builtin_offsetof(struct emul, nmop) + 1 &&
	       __builtin_offsetof(struct emul, shadow_clear) ==
	       __builtin_offsetof(struct emul, nmop) + 2 &&
	       __builtin_offsetof(struct emul, rip_advanced) ==
	       __builtin_offsetof(struct emul, nmop) + 3, "struct emul outputs");

/* FC_RMW: the source operand (a register or the immediate), the register a result goes to
 * (rAX for CMPXCHG, which compares with it), the write-back. */
static inline uint64_t direct_rmw_plan(struct emul *e, const struct emul_opdesc *op,
				       const struct emul_insn *in, const struct decf_out *o,
				       const struct emul_regs *r, unsigned size)
{
	unsigned dop = F_DOP(op->flags);

	e->fx.src = op->flags & HOT_IMM ? o->simm : emul_gpr_get(r->gpr, in->reg, size, in->rex);
	e->fx.dop = (uint8_t)dop;
	e->fx.sub = op->sub;
	e->fx.wb = (op->xl & TR_WRITE) != 0;
	e->fx.rw = dop == DOP_XCHG || dop == DOP_XADD || (dop == DOP_ALUR && op->sub != ALU_CMP);
	e->fx.reg = in->reg;
	e->fx.dsize = (uint8_t)size;
	e->fx.rex = in->rex != 0;
	if (dop == DOP_CMPXCHG) {
		e->fx.reg = EMUL_RAX;
		e->fx.rv = emul_gpr_get(r->gpr, EMUL_RAX, size, 0);
	}
	e->cont = direct_rmw;
	return direct_hdr(EMUL_DIR_READ, size, e->fx.wb ? EMUL_ACCESS_RMW : 0, 1);
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
		e->cont = direct_vload;
		return direct_hdr(EMUL_DIR_READ, esz, 0, n);
	}
	env->vec_read(env->ctx, in->reg, e->access.data, size);
	e->cont = direct_stored;
	return direct_hdr(EMUL_DIR_WRITE, esz, 0, n);
}

static inline __attribute__((always_inline)) int
direct_mode(struct emul *e, const struct emul_env *env, struct emul_regs *r,
	    const struct emul_exit *x, const uint8_t *b, unsigned len, enum emul_mode mode)
{
	const struct emul_opdesc *op;
	struct emul_insn in;
	struct decf_out o;
	unsigned xl, size, fl, reg;
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
		if (!direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		e->fx.reg = (uint8_t)reg;
		v = op->hsz >> 4 ? op->hsz >> 4 : in.osz;
		if (v >= 4 && !(fl & HOT_SEXT)) {
			e->cont = direct_load_zx;
		} else {
			e->fx.dsize = (uint8_t)v;
			e->fx.sext = (fl & HOT_SEXT) != 0;
			e->fx.rex = in.rex != 0;
			e->cont = direct_load;
		}
		hdr = direct_hdr(EMUL_DIR_READ, size, 0, 1);
		break;
	case FC_STORE:
		if (!direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		v = fl & HOT_IMM ? o.simm : emul_gpr_get(r->gpr, reg, size, in.rex);
		emul_copy(e->access.data, &v, 8);
		e->cont = direct_stored;
		hdr = direct_hdr(EMUL_DIR_WRITE, size, 0, 1);
		break;
	case FC_RMW:
		if (!direct_fits(x, o.ea, size, xl))
			return emul_start_again(e, mode);
		hdr = direct_rmw_plan(e, op, &in, &o, r, size);
		break;
	case FC_VEC:
		/* a misaligned MOVDQA-style operand (#GP(0)) is the general path's */
		size = decf_size(op->fsz[(xl & XL_OPND1) != 0], in.osz, in.vex_l);
		if (!direct_fits(x, o.ea, size, xl) || ((xl & TR_ALIGN) && (o.ea & (size - 1))))
			return emul_start_again(e, mode);
		hdr = direct_vec_plan(e, env, op, &in, size);
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
	direct_outputs(e, r->rflags);
	__builtin_memcpy(&e->access, &hdr, 8);
	e->access.addr = gpa;
	e->pend = EMUL_PEND | ((hdr >> 8) & 1 ? 0 : size);
	/* last, so that little is live across the call: a RAM operand (a spurious exit) is the
	 * general path's */
	if (env->classify(env->ctx, gpa, size) == EMUL_GPA_RAM)
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
