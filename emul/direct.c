/* The direct path: an MMIO exit with its translation (VMX: the guest-linear address; SVM: the
 * final GPA), in 64-bit mode, or in 32-bit protected mode on a flat data segment. The decoder's
 * fast path decodes into this frame (with the effective address and the immediate), and if the
 * form has a direct class (FC_*, from its table entry), its one ModRM/moffs memory operand lies
 * within the exit's page in the exit's direction and is a device, the access goes out at once,
 * handled per class: a MOV load's answer goes into its register, a MOV store's data into the
 * request, an ALU operation or TEST is calculated from the answer (and written back), any other
 * form goes through struct emul_insn and the one-access completion of the general path.
 * Anything else - a fault to raise, a second page, a RAM operand (a spurious exit), an operand
 * the exit does not match - goes to the general path, which decides it with the same decode. */
#include "decode_fast.h"

/* A flat data segment of protected mode (base 0, limit 4 GiB, present, usable, expand-up,
 * writable for a write) adds nothing and refuses nothing (SDM Vol. 3A 5.3, 5.4.1). */
static inline bool direct_flat32(const struct emul_seg *s, bool write)
{
	uint32_t need = SEG_ATTR_P | SEG_ATTR_S | (write ? 2u : 0u);

	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & (SEG_ATTR_UNUSABLE | SEG_ATTR_P | SEG_ATTR_S | 0xcu | need)) == need;
}

/* RIP, RFLAGS and the outputs once everything is committed. */
static inline int direct_done(struct emul *e, struct emul_regs *r, uint64_t rflags)
{
	uint64_t rip = r->rip + e->fx.len;

	/* sequential EIP wraps at 4 GiB outside 64-bit mode (SDM Vol. 1 3.5) */
	r->rip = e->fx.l64 ? rip : (uint32_t)rip;
	/* SDM Vol. 3A 17.3.1.1: TF set before the instruction → single-step #DB trap after it */
	e->single_step = (r->rflags & EMUL_RFLAGS_TF) != 0;
	r->rflags = rflags & ~(uint64_t)EMUL_RFLAGS_RF;
	e->shadow_clear = true;
	e->rip_advanced = true;
	return EMUL_DONE;
}

/* The answer of a MOV load: the register. */
static int direct_load(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;
	uint64_t v = emul_ld(data, len);

	if (e->fx.sub)
		v = emul_sext(v, len);
	emul_gpr_set(r->gpr, e->fx.reg, e->fx.dsize, v, e->fx.rex);
	return direct_done(e, r, r->rflags);
}

/* A write sent: nothing left but RIP (MOV), or the flags (an ALU read-modify-write). */
static int direct_stored(struct emul *e, const uint8_t *data, uint32_t len)
{
	(void)data;
	(void)len;
	return direct_done(e, e->regs, e->regs->rflags);
}

static int direct_flags(struct emul *e, const uint8_t *data, uint32_t len)
{
	(void)data;
	(void)len;
	return direct_done(e, e->regs, e->fx.src);
}

/* The answer of an ALU operation or TEST on the memory operand: the flags, and the result
 * written back (the write half of the read-modify-write) unless it is CMP or TEST. */
static int direct_alum(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;
	uint64_t fl = r->rflags, res;

	res = emul_alu(e->fx.sub, emul_ld(data, len), e->fx.src, len, &fl);
	if (!e->fx.wb)
		return direct_done(e, r, fl);
	e->fx.src = fl;
	emul_copy(e->access.data, &res, 8);
	e->access.dir = EMUL_DIR_WRITE;
	e->pend = EMUL_PEND;
	e->cont = direct_flags;
	return EMUL_ACCESS;
}

/* The answer of an ALU operation into a register (none for CMP). */
static int direct_alur(struct emul *e, const uint8_t *data, uint32_t len)
{
	struct emul_regs *r = e->regs;
	uint64_t fl = r->rflags, res;

	res = emul_alu(e->fx.sub, e->fx.src, emul_ld(data, len), len, &fl);
	if (e->fx.wb)
		emul_gpr_set(r->gpr, e->fx.reg, len, res, e->fx.rex);
	return direct_done(e, r, fl);
}

/* The exit's direction fits: a write exit for anything that writes (the CPU walked the page
 * with write intent), a read exit for a pure read. */
static inline bool direct_dir_ok(unsigned xl, bool write)
{
	return write ? (xl & TR_WRITE) != 0 : (xl & (TR_READ | TR_WRITE)) == TR_READ;
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
	if ((x->la_valid ? (ea ^ x->la) >> 12 : (ea ^ x->gpa) & 0xfff) ||
	    (ea & 0xfff) + size > 0x1000 || !direct_dir_ok(xl, x->write) ||
	    ((xl & TR_ALIGN) && (ea & (size - 1))))
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

/* The access of a direct form: one element of `size` bytes. */
static inline void direct_request(struct emul *e, unsigned dir, uint64_t gpa, unsigned size,
				  unsigned flags)
{
	struct emul_access *a = &e->access;

	a->kind = EMUL_KIND_MMIO;
	a->dir = (uint8_t)dir;
	a->size = (uint8_t)size;
	a->flags = (uint8_t)flags;
	a->stride = (int16_t)size;
	a->count = 1;
	a->addr = gpa;
	e->pend = EMUL_PEND | (dir == EMUL_DIR_READ ? size : 0);
}

static inline __attribute__((always_inline)) int
direct_mode(struct emul *e, const struct emul_env *env, struct emul_regs *r,
	    const struct emul_exit *x, const uint8_t *b, unsigned len, enum emul_mode mode)
{
	const struct emul_opdesc *op;
	struct emul_insn in;
	struct decf_out o;
	unsigned xl, size, cls, dir = EMUL_DIR_READ, rmw = 0;
	uint64_t gpa, v;

	if (emul_decode_fast(b, len, mode, &in, r, &o))
		return emul_start_decoded(e, env, r, x, b, len, mode);
	op = in.d;
	cls = op->cls;
	xl = op->xl;
	if (cls == FC_NONE || in.segovr != SEG_COUNT ||
	    (mode != EMUL_MODE_LONG64 && !direct_flat32(&r->seg[in.seg], xl & TR_WRITE)))
		return emul_start_decoded(e, env, r, x, b, len, mode);
	if (cls == FC_ONE)
		return direct_one(e, env, r, x, b, len, mode);
	size = (xl & XL_OPND1) ? in.opsz[1] : in.opsz[0];
	/* On the exit's page and within it, the operand is canonical: the CPU checked that page
	 * (SDM Vol. 3A 3.3.7.1); a write takes the exit's translation only from a write exit.
	 * Without a linear address (gpa_final) the one operand of a direct form is the access
	 * that faulted: the same offset in the page stands for the page. */
	if ((x->la_valid ? (o.ea ^ x->la) >> 12 : (o.ea ^ x->gpa) & 0xfff) ||
	    (o.ea & 0xfff) + size > 0x1000 || !direct_dir_ok(xl, x->write))
		return emul_start_decoded(e, env, r, x, b, len, mode);
	gpa = (x->gpa & ~0xfffull) | (o.ea & 0xfff);
	e->regs = r;
	e->nmop = 0;
	e->fx.len = in.len;
	e->fx.l64 = mode == EMUL_MODE_LONG64;
	e->fx.rex = in.rex != 0;
	e->fx.reg = in.reg;
	switch (cls) {
	case FC_LOAD:
		if (OPND_KIND(op->opnd[0]) == K_ACC)
			e->fx.reg = EMUL_RAX;
		e->fx.dsize = in.opsz[0];
		e->fx.sub = op->op == OP_MOVSX;
		e->cont = direct_load;
		break;
	case FC_STORE:
		v = OPND_KIND(op->opnd[1]) == K_I ? o.simm :
		    emul_gpr_get(r->gpr, OPND_KIND(op->opnd[1]) == K_ACC ? EMUL_RAX : in.reg, size,
				 in.rex);
		emul_copy(e->access.data, &v, 8);
		dir = EMUL_DIR_WRITE;
		e->cont = direct_stored;
		break;
	case FC_ALUM:
		e->fx.src = OPND_KIND(op->opnd[1]) == K_G ? emul_gpr_get(r->gpr, in.reg, size, in.rex) :
			    o.simm;
		e->fx.sub = op->sub;
		e->fx.wb = !(op->flags & F_NOWB);
		rmw = e->fx.wb ? EMUL_ACCESS_RMW : 0;
		e->cont = direct_alum;
		break;
	default: /* FC_ALUR */
		e->fx.src = emul_gpr_get(r->gpr, in.reg, size, in.rex);
		e->fx.sub = op->sub;
		e->fx.wb = !(op->flags & F_NOWB);
		e->cont = direct_alur;
		break;
	}
	direct_request(e, dir, gpa, size, rmw);
	/* last, so that little is live across the call: a RAM operand (a spurious exit) is the
	 * general path's */
	if (env->classify(env->ctx, gpa, size) == EMUL_GPA_RAM)
		return emul_start_decoded(e, env, r, x, b, len, mode);
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
