/* The hot path: emul_start_bytes in 64-bit mode with an MMIO exit's translation. One pass over
 * the bytes: the opcode's table entry (after its group or mandatory-prefix table) gives the
 * class, the immediate and the operand bytes; ModRM (and SIB) give the effective address from
 * the registers as they are read; the length is checked once. The prefix-free forms decode
 * inline in emul_hot64, REX, 0F, one of 66h/67h/LOCK/F3 and the 2-byte VEX in a copy of one
 * decode body each, with their prefix state constant; then a function per class checks the
 * operand against the exit and sends the request with its continuation (hot_cont.c), which
 * takes the answer by value (emul_complete_value). Anything else - more prefixes, segment
 * overrides, F2, the 3-byte VEX, register forms, an operand the exit does not match, a fault
 * to raise, a RAM operand - goes to the direct path (direct.c), which decides it with the full
 * fast decoder. */
#include "decode_fast.h"
#include "hot.h"

/* Legacy prefixes the hot path takes (SDM Vol. 2A 2.1.1): 66h, 67h, LOCK, REP (F3). */
#define HP_OSZ 0x1u
#define HP_ASZ 0x2u
#define HP_LOCK 0x4u
#define HP_REP 0x8u
static const uint8_t hot_pfx[256] = { [0x66] = HP_OSZ, [0x67] = HP_ASZ, [0xf0] = HP_LOCK,
				      [0xf3] = HP_REP };

/* By operand bytes (1, 2, 4, 8): the request header of one MMIO read element (a write adds
 * EMUL_DIR_WRITE << 8). */
#define HOT_HDR(n) (EMUL_KIND_MMIO | (uint64_t)(n) << 16 | (uint64_t)(n) << 32 | 1ull << 48)
static const uint64_t hot_hdr1[9] = { [1] = HOT_HDR(1), [2] = HOT_HDR(2), [4] = HOT_HDR(4),
				      [8] = HOT_HDR(8) };
_Static_assert(HOT_HDR(4) == (EMUL_KIND_MMIO | 4u << 16 | 4ull << 32 | 1ull << 48),
	       "the header of emul_hot_hdr");

/* Prefixes, REX and 0F before the opcode: its entry (NULL: the direct path decides), *pp its
 * position, *ppf the HP_* prefixes, *prex REX. REX counts only as the last byte before the
 * opcode (SDM Vol. 2A 2.2.1); F2, segment overrides, VEX and repeated REX are not taken. */
static inline __attribute__((always_inline)) const struct emul_opdesc *
hot_head(const uint8_t *b, unsigned len, unsigned *pp, unsigned *ppf, unsigned *prex)
{
	unsigned p = 0, pf = 0, c = b[0], k;

	while ((k = hot_pfx[c]) != 0) {
		pf |= k;
		if (++p >= len)
			return NULL;
		c = b[p];
	}
	if ((c & 0xf0) == 0x40) {
		*prex = c;
		if (++p >= len)
			return NULL;
		c = b[p];
	}
	*pp = p;
	*ppf = pf;
	if (c == 0x0f) {
		if (++p >= len)
			return NULL;
		*pp = p;
		return &emul_map0f[b[p]];
	}
	return emul_map1[c].flags & F_HEAD ? NULL : &emul_map1[c];
}

/* The effective address of ModRM `modrm` (mod != 11b) whose SIB/displacement starts at b[q]
 * (SDM Vol. 2A Tables 2-2, 2-3), the displacement included; *pq past the displacement, or
 * DEC_FULL when the bytes end. *prip: RIP-relative (the caller adds RIP after the instruction). */
static inline __attribute__((always_inline)) int
hot_ea(const uint8_t *b, unsigned len, unsigned q, unsigned modrm, unsigned rex,
       const uint64_t *gpr, uint64_t *pea, bool *prip)
{
	unsigned k = decf_modrm[modrm], n = k & 7;
	uint64_t ea;

	if (__builtin_expect(!(k & (MR_SIB | MR_NOBASE)), 1)) {
		ea = gpr[(modrm & 7) | (rex & 1) << 3];
	} else if (k & MR_SIB) {
		if (q >= len)
			return DEC_FULL;
		unsigned sib = b[q++], idx = ((sib >> 3) & 7) | (rex & 2) << 2;
		ea = idx == 4 ? 0 : gpr[idx] << (sib >> 6);
		if ((sib & 7) == 5 && !(modrm >> 6))
			n = 4; /* no base: disp32 */
		else
			ea += gpr[(sib & 7) | (rex & 1) << 3];
	} else {
		ea = 0;
		*prip = true;
	}
	if (q + n > len)
		return DEC_FULL;
	if (n == 1)
		ea += (uint64_t)(int64_t)(int8_t)b[q];
	else if (n == 4)
		ea += (uint64_t)(int64_t)(int32_t)emul_ld(b + q, 4);
	*pea = ea;
	return (int)(q + n);
}

/* The immediate of `n` bytes at b, sign-extended. */
static inline uint64_t hot_imm(const uint8_t *b, unsigned n)
{
	return n == 1 ? (uint64_t)(int64_t)(int8_t)b[0] :
	       n == 2 ? (uint64_t)(int64_t)(int16_t)emul_ld(b, 2) :
	       (uint64_t)(int64_t)(int32_t)emul_ld(b, 4);
}

/* What the decode hands a class: the end of the instruction, the register field (with REX.R,
 * or rAX), REX, the operand size, packed in one word. */
#define PK(end, reg, rex, osz) ((end) | (reg) << 8 | (rex) << 16 | (osz) << 24)
#define PK_END(pk) ((pk) & 0xffu)
#define PK_REG(pk) (((pk) >> 8) & 0xffu)
#define PK_REX(pk) (((pk) >> 16) & 0xffu)
#define PK_OSZ(pk) ((pk) >> 24)

/* emul_direct_fits for a form that writes the operand (`write`) or only reads it. */
static inline bool hot_fits(const struct emul_exit *x, uint64_t ea, unsigned size, bool write)
{
	return !(x->la_valid ? (ea ^ x->la) >> 12 : (ea ^ x->gpa) & 0xfff) &&
	       (ea & 0xfff) + size <= 0x1000 && x->write == write;
}

/* What the hot path does not take: the direct path, with what emul_hot64 stored in e. */
static __attribute__((noinline)) int hot_direct(struct emul *e)
{
	return emul_direct64(e, e->env, e->regs, e->exit, e->bytes, e->nbytes);
}

/* The operand's page is not known to be a device page: a RAM operand (a spurious exit) is the
 * general path's. */
static __attribute__((noinline)) int hot_classify(struct emul *e, unsigned size)
{
	const struct emul_env *env = e->env;

	if (env->classify(env->ctx, e->access.addr, size) != EMUL_GPA_RAM)
		return EMUL_ACCESS;
	return emul_start_again(e, EMUL_MODE_LONG64);
}

/* The request (its header `hdr`, at the exit's page), RIP after the instruction and the
 * outputs; the exit's device hint or the classification decides. */
static inline __attribute__((always_inline)) int
hot_issue(struct emul *e, const struct emul_regs *r, const struct emul_exit *x, uint64_t ea,
	  unsigned pk, uint64_t hdr, unsigned size)
{
	e->fx.rip = r->rip + PK_END(pk);
	emul_hot_outputs(e, r->rflags);
	__builtin_memcpy(&e->access, &hdr, 8);
	e->access.addr = (x->gpa & ~0xfffull) | (ea & 0xfff);
	if (__builtin_expect(x->dev, 1))
		return EMUL_ACCESS;
	return hot_classify(e, size);
}

/* FC_LOAD: a MOV/MOVZX/MOVSX load, its answer into the register. */
__attribute__((noinline)) int emul_hot_load_class(struct emul *e, const struct emul_opdesc *op,
					      uint64_t ea, unsigned pk)
{
	const struct emul_exit *x = e->exit;
	unsigned fl = op->flags, size = op->hsz & 15, dsize = op->hsz >> 4;

	size = size ? size : PK_OSZ(pk);
	dsize = dsize ? dsize : PK_OSZ(pk);
	if (!hot_fits(x, ea, size, false))
		return hot_direct(e);
	emul_hot_load_plan(e, PK_REG(pk), size, dsize, (fl & HOT_SEXT) != 0, PK_REX(pk) != 0);
	e->pend = EMUL_PEND | EMUL_PEND_VAL | size;
	return hot_issue(e, e->regs, x, ea, pk, hot_hdr1[size], size);
}

/* FC_STORE: a MOV of a register or the immediate `simm`. */
__attribute__((noinline)) int emul_hot_store_class(struct emul *e, const struct emul_opdesc *op,
					       uint64_t ea, uint64_t simm, unsigned pk)
{
	const struct emul_exit *x = e->exit;
	const struct emul_regs *r = e->regs;
	unsigned size = op->hsz & 15 ? op->hsz & 15u : PK_OSZ(pk);
	uint64_t v;

	if (!hot_fits(x, ea, size, true))
		return hot_direct(e);
	v = op->flags & HOT_IMM ? simm : emul_gpr_get(r->gpr, PK_REG(pk), size, PK_REX(pk));
	emul_copy(e->access.data, &v, 8);
	e->vcont = emul_hot_stored;
	e->pend = EMUL_PEND | EMUL_PEND_VAL;
	return hot_issue(e, r, x, ea, pk, hot_hdr1[size] | EMUL_DIR_WRITE << 8, size);
}

/* FC_RMW: a calculation on the memory operand (its read first). */
__attribute__((noinline)) int emul_hot_rmw_class(struct emul *e, const struct emul_opdesc *op,
					     uint64_t ea, uint64_t simm, unsigned pk)
{
	const struct emul_exit *x = e->exit;
	const struct emul_regs *r = e->regs;
	unsigned size = op->hsz & 15 ? op->hsz & 15u : PK_OSZ(pk);
	uint64_t hdr;

	if (!emul_direct_fits(x, ea, size, op->xl))
		return hot_direct(e);
	hdr = emul_hot_rmw_plan_in(e, op, r->gpr, PK_REG(pk), PK_REX(pk), simm, size);
	e->pend = EMUL_PEND | EMUL_PEND_VAL | size;
	return hot_issue(e, r, x, ea, pk, hdr, size);
}

/* FC_VEC: an SSE/AVX move between an XMM/YMM register and memory, in elements of up to 8
 * bytes; PK_REX carries VEX (0x80) and VEX.L (0x20). A misaligned MOVDQA-style operand
 * (#GP(0)) is the direct path's. */
__attribute__((noinline)) int emul_hot_vec_class(struct emul *e, const struct emul_opdesc *op,
					     uint64_t ea, unsigned pk)
{
	const struct emul_exit *x = e->exit;
	const struct emul_env *env = e->env;
	unsigned xl = op->xl, rex = PK_REX(pk), reg = PK_REG(pk);
	unsigned size = decf_size(op->fsz[(xl & XL_OPND1) != 0], PK_OSZ(pk), (rex >> 5) & 1);
	unsigned esz = size > 8 ? 8 : size;
	uint64_t hdr = (hot_hdr1[esz] & ~(0xffffull << 48)) | (uint64_t)(size / esz) << 48;

	if (!emul_direct_fits(x, ea, size, xl) || ((xl & TR_ALIGN) && (ea & (size - 1))))
		return hot_direct(e);
	e->fx.reg = (uint8_t)reg;
	if (op->flags & HOT_VLOAD) {
		e->fx.vex = rex >> 7;
		e->cont = emul_hot_vload;
		e->pend = EMUL_PEND | size;
	} else {
		env->vec_read(env->ctx, reg, e->access.data, size);
		e->cont = emul_hot_vstored;
		e->pend = EMUL_PEND;
		hdr |= EMUL_DIR_WRITE << 8;
	}
	return hot_issue(e, e->regs, x, ea, pk, hdr, size);
}

/* The class of the entry `op` (after its group or mandatory-prefix table). */
static inline __attribute__((always_inline)) int
hot_class(struct emul *e, const struct emul_opdesc *op, uint64_t ea, uint64_t simm, unsigned pk)
{
	switch (F_CLS(op->flags)) {
	case FC_LOAD:
		return emul_hot_load_class(e, op, ea, pk);
	case FC_STORE:
		return emul_hot_store_class(e, op, ea, simm, pk);
	case FC_RMW:
		return emul_hot_rmw_class(e, op, ea, simm, pk);
	case FC_VEC:
		return emul_hot_vec_class(e, op, ea, pk);
	default:
		return hot_direct(e);
	}
}

/* MOVS/STOS/LODS (entry `op` at b[p]): the direct path of strings (direct_str.c). */
static __attribute__((noinline)) int hot_str(struct emul *e, const struct emul_opdesc *op,
					     unsigned p, unsigned pf, unsigned rex)
{
	unsigned osz = rex & 8 ? 8 : pf & HP_OSZ ? 2 : 4;

	return emul_direct_str(e, op->sub, p + 1, decf_size(op->fsz[0], osz, 0),
			       pf & HP_REP ? EMUL_PFX_REP : 0);
}

/* Everything but emul_hot64's own forms: legacy prefixes (HP_*), REX, 0F, moffs, SIB,
 * RIP-relative, strings (SDM Vol. 2A 2.1-2.2); what it does not take goes to the direct path. */
static __attribute__((noinline)) int hot_tier1(struct emul *e, const uint8_t *b, unsigned len)
{
	const struct emul_opdesc *op = &emul_map1[b[0]];
	const struct emul_regs *r = e->regs;
	unsigned p = 0, pf = 0, rex = 0, modrm, fl, osz, end, immn, reg;
	uint64_t ea, simm = 0;
	bool rip = false;
	int q;

	if (op->flags & F_HEAD) {
		op = hot_head(b, len, &p, &pf, &rex);
		if (!op)
			return hot_direct(e);
	}
	fl = op->flags;
	osz = rex & 8 ? 8 : pf & HP_OSZ ? 2 : 4;
	if (!(fl & F_MODRM)) {
		if (F_CLS(fl) == FC_STR && !(pf & (HP_LOCK | HP_ASZ)))
			return hot_str(e, op, p, pf, rex);
		/* moffs (A0-A3): 8 bytes, 4 with 67h */
		end = p + 1 + (pf & HP_ASZ ? 4 : 8);
		if (op->imm != IMM_MOFFS || end > len || (pf & (HP_LOCK | HP_REP)))
			return hot_direct(e);
		ea = pf & HP_ASZ ? emul_ld(b + p + 1, 4) : emul_ld(b + p + 1, 8);
		return hot_class(e, op, ea, 0, PK(end, EMUL_RAX, rex, osz));
	}
	if (p + 1 >= len || b[p + 1] >= 0xc0)
		return hot_direct(e);
	modrm = b[p + 1];
	if (fl & F_SUBTAB) {
		if (fl & F_GROUP)
			op = &emul_groups[op->sub][(modrm >> 3) & 7];
		else if (fl & F_PFXTAB)
			op = &emul_pfxtabs[op->sub][pf & HP_OSZ];
		else
			return hot_direct(e);
		fl = op->flags;
	}
	/* LOCK where the form takes none is #UD, F3 selects other forms: the full decoder's */
	if ((pf & HP_REP) || ((pf & HP_LOCK) && !(fl & F_LOCK)) || (osz == 2 && !(fl & F_O16)))
		return hot_direct(e);
	q = hot_ea(b, len, p + 2, modrm, rex, r->gpr, &ea, &rip);
	if (q < 0)
		return hot_direct(e);
	immn = op->imm == IMM_NONE ? 0 : op->imm == IMM_1 ? 1 : osz == 2 ? 2 : 4;
	end = (unsigned)q + immn;
	if (end > len)
		return hot_direct(e);
	if (immn)
		simm = hot_imm(b + q, immn);
	if (rip)
		ea += r->rip + end;
	if (pf & HP_ASZ)
		ea = (uint32_t)ea;
	reg = fl & HOT_ACC ? EMUL_RAX : ((modrm >> 3) & 7) | (rex & 4) << 1;
	return hot_class(e, op, ea, simm, PK(end, reg, rex, osz));
}

/* A 2-byte VEX (C5) of map 0F with vvvv unused (SDM Vol. 2A 2.3.5): the mandatory-prefix table
 * by VEX.pp, R into the register field, VEX.L; ModRM without SIB. The rest is hot_tier1's. */
static __attribute__((noinline)) int hot_vex(struct emul *e, const uint8_t *b, unsigned len)
{
	const struct emul_opdesc *op;
	unsigned v = b[1], modrm, k, n, end, rex;
	uint64_t ea;

	if (len < 4 || ((~v >> 3) & 0xf) || b[3] >= 0xc0)
		return hot_tier1(e, b, len);
	op = &emul_vex0f[b[2]];
	modrm = b[3];
	if (!(op->flags & F_PFXTAB) || !(op->flags & F_MODRM))
		return hot_tier1(e, b, len);
	op = &emul_pfxtabs[op->sub][v & 3];
	k = decf_modrm[modrm];
	n = k & 7;
	end = 4 + n;
	if ((k & (MR_SIB | MR_NOBASE)) || end > len || F_CLS(op->flags) != FC_VEC ||
	    !(op->fast & M_L64))
		return hot_tier1(e, b, len);
	rex = 0x80 | ((v >> 2) & 1) << 5 | ((~v >> 7) & 1) << 2;
	ea = e->regs->gpr[modrm & 7];
	if (n == 1)
		ea += (uint64_t)(int64_t)(int8_t)b[4];
	else if (n == 4)
		ea += (uint64_t)(int64_t)(int32_t)emul_ld(b + 4, 4);
	return emul_hot_vec_class(e, op, ea, PK(end, ((modrm >> 3) & 7) | (rex & 4) << 1, rex, 4));
}

/* From the opcode's entry `op` at b[p] on, after the prefixes `pf` (HP_*) and `rex` that give
 * the operand size `osz`: ModRM (after the entry's group or mandatory-prefix table), SIB,
 * displacement, immediate (SDM Vol. 2A 2.1-2.2); inlined with constant prefixes per copy. */
static inline __attribute__((always_inline)) int
hot_body(struct emul *e, const uint8_t *b, unsigned len, const struct emul_opdesc *op, unsigned p,
	 unsigned pf, unsigned rex, unsigned osz)
{
	const struct emul_regs *r = e->regs;
	uint32_t fl = op->flags;
	unsigned modrm, end, immn;
	uint64_t ea, simm = 0;
	bool rip = false;
	int q;

	if ((fl & (F_HEAD | F_MODRM | F_RMTAB)) != F_MODRM || p + 1 >= len)
		return hot_tier1(e, b, len);
	modrm = b[p + 1];
	/* F3 only as a mandatory prefix (none, 66, F3: SDM Vol. 2A 2.1.2); REP: strings */
	if ((pf & HP_REP) && !(fl & F_PFXTAB))
		return hot_tier1(e, b, len);
	if (fl & F_SUBTAB) {
		op = fl & F_GROUP ? &emul_groups[op->sub][(modrm >> 3) & 7] :
		     &emul_pfxtabs[op->sub][(pf & HP_OSZ) | (pf & HP_REP) >> 2];
		fl = op->flags;
	}
	/* LOCK where the form takes none is #UD: the full decoder's */
	if (modrm >= 0xc0 || ((pf & HP_LOCK) && !(fl & F_LOCK)) || (osz == 2 && !(fl & F_O16)))
		return hot_tier1(e, b, len);
	q = hot_ea(b, len, p + 2, modrm, rex, r->gpr, &ea, &rip);
	if (q < 0)
		return hot_tier1(e, b, len);
	immn = op->imm == IMM_NONE ? 0 : op->imm == IMM_1 ? 1 : osz == 2 ? 2 : 4;
	end = (unsigned)q + immn;
	if (end > len)
		return hot_tier1(e, b, len);
	if (rip)
		ea += r->rip + end;
	if (pf & HP_ASZ)
		ea = (uint32_t)ea;
	if (immn)
		simm = hot_imm(b + q, immn);
	return hot_class(e, op, ea, simm,
			 PK(end, ((modrm >> 3) & 7) | (rex & 4) << 1, rex, osz));
}

/* No prefix (a SIB or RIP-relative operand). */
static __attribute__((noinline)) int hot_plain(struct emul *e, const uint8_t *b, unsigned len)
{
	return hot_body(e, b, len, &emul_map1[b[0]], 0, 0, 0, 4);
}

/* 0F first. */
static __attribute__((noinline)) int hot_0f(struct emul *e, const uint8_t *b, unsigned len)
{
	return hot_body(e, b, len, &emul_map0f[b[1]], 1, 0, 0, 4);
}

/* REX first (SDM Vol. 2A 2.2.1), then the opcode or 0F. */
static __attribute__((noinline)) int hot_rex(struct emul *e, const uint8_t *b, unsigned len)
{
	unsigned rex = b[0], osz = rex & 8 ? 8 : 4;

	if (b[1] != 0x0f)
		return hot_body(e, b, len, &emul_map1[b[1]], 1, 0, rex, osz);
	if (len < 3)
		return hot_tier1(e, b, len);
	return hot_body(e, b, len, &emul_map0f[b[2]], 2, 0, rex, osz);
}

/* One of 66h, 67h, LOCK, F3 (the latter as a mandatory prefix), then REX, then 0F; or VEX. */
static __attribute__((noinline)) int hot_heads(struct emul *e, const uint8_t *b, unsigned len)
{
	const struct emul_opdesc *op;
	unsigned c = b[0], p = 0, pf, rex = 0, osz = 4;

	if (c == 0xc5)
		return hot_vex(e, b, len);
	if (c == 0xf3 && b[1] != 0x0f) { /* REP: strings */
		op = &emul_map1[b[1]];
		if (F_CLS(op->flags) == FC_STR)
			return hot_str(e, op, 1, HP_REP, 0);
		return hot_tier1(e, b, len);
	}
	pf = hot_pfx[c];
	if (!pf)
		return hot_tier1(e, b, len);
	osz = pf & HP_OSZ ? 2 : 4;
	c = b[++p];
	if ((c & 0xf0) == 0x40) {
		if (p + 1 >= len)
			return hot_tier1(e, b, len);
		rex = c;
		osz = rex & 8 ? 8 : osz;
		c = b[++p];
	}
	op = &emul_map1[c];
	if (c == 0x0f) {
		if (p + 1 >= len)
			return hot_tier1(e, b, len);
		op = &emul_map0f[b[++p]];
	}
	return hot_body(e, b, len, op, p, pf, rex, osz);
}

/* Immediate bytes by IMM_* without prefixes (a moffs never has ModRM). */
static const uint8_t hot_immn[4] = { 0, 1, 4, 0 };

/* The prefix-free ModRM forms without SIB (SDM Vol. 2A 2.1): opcode, ModRM, displacement,
 * immediate; operand size 4 (or the entry's fixed size), 64-bit addresses, no segment base.
 * Forms with REX, 0F, other prefixes, SIB or RIP-relative operands are hot_rex', hot_0f's,
 * hot_heads', hot_plain's; the rest hot_tier1's. */
int emul_hot64(struct emul *e, const struct emul_env *env, struct emul_regs *r,
	       const struct emul_exit *x, const uint8_t *b, unsigned len)
{
	const struct emul_opdesc *op = &emul_map1[b[0]];
	uint32_t fl = op->flags;
	unsigned modrm, k, n, end;
	uint64_t ea, simm;

	/* for the classes, emul_direct_str, the direct and the general path */
	e->env = env;
	e->regs = r;
	e->exit = x;
	e->bytes = b;
	e->nbytes = len;
	if (__builtin_expect(len - 2 > EMUL_INSN_MAX - 2, 0))
		return hot_direct(e);
	if (fl & F_HEAD)
		return (b[0] & 0xf0) == 0x40 ? hot_rex(e, b, len) :
		       b[0] == 0x0f ? hot_0f(e, b, len) : hot_heads(e, b, len);
	if (__builtin_expect((fl & (F_MODRM | F_PFXTAB | F_RMTAB)) != F_MODRM || b[1] >= 0xc0, 0))
		return hot_tier1(e, b, len);
	modrm = b[1];
	if (fl & F_GROUP)
		op = &emul_groups[op->sub][(modrm >> 3) & 7];
	k = decf_modrm[modrm];
	n = k & 7;
	end = 2 + n + hot_immn[op->imm];
	if (__builtin_expect((k & (MR_SIB | MR_NOBASE)) != 0, 0))
		return hot_plain(e, b, len);
	if (__builtin_expect(end > len, 0))
		return hot_tier1(e, b, len);
	ea = r->gpr[modrm & 7];
	if (n == 1)
		ea += (uint64_t)(int64_t)(int8_t)b[2];
	else if (n == 4)
		ea += (uint64_t)(int64_t)(int32_t)emul_ld(b + 2, 4);
	simm = op->imm == IMM_NONE ? 0 : op->imm == IMM_1 ? (uint64_t)(int64_t)(int8_t)b[end - 1] :
	       (uint64_t)(int64_t)(int32_t)emul_ld(b + end - 4, 4);
	return hot_class(e, op, ea, simm, PK(end, (modrm >> 3) & 7, 0, 4));
}

int emul_start_bytes(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len)
{
	if (emul_mode_l64(regs) && exit && (exit->la_valid || exit->gpa_final) &&
	    exit->kind == EMUL_EXIT_MMIO)
		return emul_hot64(e, env, regs, exit, bytes, len);
	return emul_start_other(e, env, regs, exit, bytes, len);
}
