/* The decoder's fast path, inlined into its callers (emul_decode and the emulator's direct
 * path): legacy prefixes, then REX, then 0F, or a VEX of map 0F, and an entry (after its group
 * or mandatory-prefix table) that needs no check, with 32/64-bit addressing. It fills struct
 * emul_insn exactly as the full decoder does, or returns DEC_FULL and the full decoder
 * (decode.c) decides. The decode oracles compare emul_decode with the full decoder alone,
 * field by field. It has three copies of its tail: no prefix, REX and/or 0F alone, and the
 * rest. Given the registers (the direct path), it also computes the effective address and the
 * sign-extended immediate as it goes; the direct path decodes into a struct emul_insn of its
 * own stack frame, so that the fields it never reads are never stored. */
#ifndef EMUL_DECODE_FAST_H
#define EMUL_DECODE_FAST_H

#include "emul_internal.h"

#define DEC_FULL (-1)

/* What the direct path takes from the fast decoder besides struct emul_insn: the effective
 * address (wrapped to the address size) and the immediate sign-extended from its bytes. */
struct decf_out {
	uint64_t ea, simm;
};

/* Mode classes by enum emul_mode (M_*); static, so that they fold where the mode is known. */
static const uint8_t emul_mode_bit[5] = {
	[EMUL_MODE_REAL] = M_REAL, [EMUL_MODE_VM86] = M_REAL, [EMUL_MODE_PROT16] = M_P16,
	[EMUL_MODE_PROT32] = M_P32, [EMUL_MODE_LONG64] = M_L64,
};
/* Operand size (low nibble) and address size by mode and 66h/67h (SDM Vol. 1 3.6). */
static const uint8_t emul_dec_sz[5][4] = {
	[EMUL_MODE_REAL] = { 0x22, 0x24, 0x42, 0x44 }, [EMUL_MODE_VM86] = { 0x22, 0x24, 0x42, 0x44 },
	[EMUL_MODE_PROT16] = { 0x22, 0x24, 0x42, 0x44 }, [EMUL_MODE_PROT32] = { 0x44, 0x42, 0x24, 0x22 },
	[EMUL_MODE_LONG64] = { 0x84, 0x82, 0x44, 0x42 },
};

/* ModRM with 32/64-bit addressing and mod != 11b (SDM Vol. 2A Table 2-2): displacement bytes
 * in the low bits, whether a SIB byte follows, whether there is no base register (disp32 alone,
 * RIP-relative in 64-bit mode). */
#define MR_SIB 0x8u
#define MR_NOBASE 0x10u
#define MRK(m) ((((m) >> 6) == 1 ? 1u : ((m) >> 6) == 2 ? 4u : 0u) |                           \
		(((m) & 7) == 4 ? MR_SIB : 0u) | (((m) & 0xc7) == 5 ? 4u | MR_NOBASE : 0u))
#define MR4(m) MRK(m), MRK((m) + 1), MRK((m) + 2), MRK((m) + 3)
#define MR16(m) MR4(m), MR4((m) + 4), MR4((m) + 8), MR4((m) + 12)
#define MR64(m) MR16(m), MR16((m) + 16), MR16((m) + 32), MR16((m) + 48)
static const uint8_t decf_modrm[192] = { MR64(0), MR64(64), MR64(128) };
#undef MR64
#undef MR16
#undef MR4
#undef MRK

/* What the prefixes gave: the opcode's position, EMUL_PFX_*, REX (or VEX's R/X/B/W), the
 * segment override, VEX.L. */
struct decf_head {
	unsigned p, pfx, rex, segovr, vexl;
};

/* VEX at b[p] (SDM Vol. 2A 2.3.5), map 0F only, vvvv unused (1111b): R, X, B, W, L and pp;
 * NULL for anything else (a third operand, another map, vvvv not 1111b: #UD). */
static inline const struct emul_opdesc *decf_vex(const uint8_t *b, unsigned p,
						  struct emul_insn *in, struct decf_head *h)
{
	static const uint8_t pp_mand[4] = { 0, 0x66, 0xf3, 0xf2 };
	unsigned b1 = b[p + 1], b2 = b1, rex = 0x40 | ((~b1 >> 5) & 4);

	if (b[p] == 0xc4) {
		if ((b1 & 0x1f) != 1)
			return NULL;
		b2 = b[++p + 1];
		rex = 0x40 | ((~b1 >> 5) & 7) | ((b2 >> 4) & 8);
	}
	if (in->mode != EMUL_MODE_LONG64)
		rex = 0x40 | (rex & 8); /* R, X, B do not exist outside 64-bit mode */
	if ((~b2 >> 3) & (in->mode == EMUL_MODE_LONG64 ? 0xf : 0x7))
		return NULL;
	in->rex = (uint8_t)rex;
	in->vex_w = (uint8_t)(b2 >> 7);
	in->vex_l = (b2 >> 2) & 1;
	in->mand = pp_mand[b2 & 3];
	in->pfx = EMUL_PFX_VEX;
	in->map = EMUL_MAP_VEX0F;
	in->opc = b[p + 2];
	h->p = p + 2;
	h->pfx = EMUL_PFX_VEX;
	h->rex = rex;
	h->vexl = (b2 >> 2) & 1;
	return &emul_vex0f[b[p + 2]];
}

/* Legacy prefix bytes (SDM Vol. 2A 2.1.1): DECF_LEGACY with the EMUL_PFX_* bit, or
 * DECF_LEGACY | DECF_SEG with the segment register. */
#define DECF_LEGACY 0x80u
#define DECF_SEG    0x40u
static const uint8_t decf_legacy[256] = {
	[0xf0] = DECF_LEGACY | EMUL_PFX_LOCK, [0xf3] = DECF_LEGACY | EMUL_PFX_REP,
	[0xf2] = DECF_LEGACY | EMUL_PFX_REPNE, [0x66] = DECF_LEGACY | EMUL_PFX_OSZ,
	[0x67] = DECF_LEGACY | EMUL_PFX_ASZ,
	[0x26] = DECF_LEGACY | DECF_SEG | SEG_ES, [0x2e] = DECF_LEGACY | DECF_SEG | SEG_CS,
	[0x36] = DECF_LEGACY | DECF_SEG | SEG_SS, [0x3e] = DECF_LEGACY | DECF_SEG | SEG_DS,
	[0x64] = DECF_LEGACY | DECF_SEG | SEG_FS, [0x65] = DECF_LEGACY | DECF_SEG | SEG_GS,
};

/* Legacy prefixes, REX and 0F of the fast path: in->pfx, mand, segovr, rex and map set, and *h;
 * the opcode's entry, or NULL (DEC_FULL). Legacy prefixes may repeat, the last segment override
 * wins, the last of F2/F3 is the mandatory prefix, else 66. */
static inline __attribute__((always_inline)) const struct emul_opdesc *
emul_decode_head(const uint8_t *b, unsigned len, struct emul_insn *in, struct decf_head *h)
{
	bool l64 = in->mode == EMUL_MODE_LONG64;
	unsigned p = 0, pfx = 0, segovr = SEG_COUNT, rep = 0, rex = 0, c, v;

	for (;;) {
		c = b[p];
		v = decf_legacy[c];
		if (!v)
			break;
		if (v & DECF_SEG) {
			/* SDM Vol. 1 3.3.7.1: 64-bit mode ignores CS, DS, ES and SS overrides */
			if (!l64 || (v & 7) >= SEG_FS)
				segovr = v & 7;
		} else {
			pfx |= v & 0x1f;
			rep = v & (EMUL_PFX_REP | EMUL_PFX_REPNE) ? c : rep;
		}
		if (++p >= len)
			return NULL;
	}
	in->pfx = (uint8_t)pfx;
	in->segovr = (uint8_t)segovr;
	in->mand = (uint8_t)(rep ? rep : (pfx & EMUL_PFX_OSZ) ? 0x66 : 0);
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = EMUL_MAP_1;
	h->pfx = pfx;
	h->segovr = segovr;
	h->vexl = 0;
	if ((c & 0xf0) == 0x40 && l64) {
		rex = c;
		if (++p >= len)
			return NULL;
		c = b[p];
	}
	in->rex = (uint8_t)rex;
	h->rex = rex;
	if (c == 0x0f) {
		if (++p >= len)
			return NULL;
		c = b[p];
		in->map = EMUL_MAP_0F;
		in->opc = (uint8_t)c;
		h->p = p;
		return &emul_map0f[c];
	}
	if ((c & 0xfe) == 0xc4 && !pfx && !rex && p + 3 < len &&
	    (l64 || (in->mode != EMUL_MODE_REAL && in->mode != EMUL_MODE_VM86 && b[p + 1] >= 0xc0)))
		return decf_vex(b, p, in, h);
	in->opc = (uint8_t)c;
	h->p = p;
	return &emul_map1[c];
}

/* Bytes of an operand from its table byte (FSZ_*): fixed, the operand size, Z, Y (the fast
 * path has no VEX.W form and no D64 form: its operand size is 8 exactly with REX.W) or X. */
static inline unsigned decf_size(unsigned f, unsigned osz, unsigned vexl)
{
	return f < FSZ_V ? f : f == FSZ_V ? osz : f == FSZ_Z ? (osz == 2 ? 2 : 4) :
	       f == FSZ_Y ? (osz == 8 ? 8 : 4) : vexl ? 32 : 16;
}

/* The memory operand of ModRM (mod != 11b) whose SIB or displacement starts at b[p]
 * (SDM Vol. 2A Tables 2-2 and 2-3); the position after it, or DEC_FULL when the bytes end.
 * With `o` (the direct path), o->ea gets the base, index and displacement from the registers. */
static inline __attribute__((always_inline)) int
decf_mem(const uint8_t *b, unsigned len, unsigned p, unsigned modrm, unsigned rex,
	 unsigned segovr, struct emul_insn *in, const struct emul_regs *r, struct decf_out *o)
{
	unsigned k = decf_modrm[modrm], n = k & 7, base = modrm & 7;
	uint64_t a = 0;

	if (__builtin_expect(k & (MR_SIB | MR_NOBASE), 0)) {
		if (k & MR_SIB) {
			if (p >= len)
				return DEC_FULL;
			unsigned sib = b[p++], idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
			in->scale = (uint8_t)(1u << (sib >> 6));
			in->index = idx == 4 ? EMUL_NOREG : (uint8_t)idx;
			if (o && idx != 4)
				a = r->gpr[idx] << (sib >> 6);
			base = sib & 7;
			if (base == 5 && n == 0) {
				base = EMUL_NOREG;
				n = 4;
			}
		} else {
			base = EMUL_NOREG;
			in->riprel = in->mode == EMUL_MODE_LONG64;
		}
	}
	if (base != EMUL_NOREG) {
		base |= (rex & 1) << 3;
		if (o)
			a += r->gpr[base];
		if ((base == EMUL_RSP || base == EMUL_RBP) && segovr == SEG_COUNT)
			in->seg = SEG_SS;
	}
	in->base = (uint8_t)base;
	in->has_mem = true;
	in->disp_size = (int8_t)n;
	if (p + n > len)
		return DEC_FULL;
	if (n == 1)
		in->disp = (int8_t)b[p];
	else if (n == 4)
		in->disp = (int32_t)emul_ld(b + p, 4);
	if (o)
		o->ea = a + (uint64_t)in->disp;
	return (int)(p + n);
}

/* Everything from the opcode's entry on; pfx, rex, segovr and VEX.L are what the prefixes
 * gave (constants for the prefix-free copy). With `o` (the direct path), *o gets the effective
 * address (from the registers `r`) and the sign-extended immediate. */
static inline __attribute__((always_inline)) int
decf_tail(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in,
	  const struct emul_opdesc *op, unsigned p, unsigned pfx, unsigned rex, unsigned segovr,
	  unsigned vexl, const struct emul_regs *r, struct decf_out *o)
{
	unsigned modrm = 0, osz, asz, n, c;
	uint32_t fl = op->flags;

	if (fl & F_MODRM) {
		if (++p >= len)
			return DEC_FULL;
		modrm = b[p];
		if (modrm >= 0xc0)
			return DEC_FULL; /* register forms: the full decoder */
		if (fl & F_GROUP) {
			op = &emul_groups[op->sub][(modrm >> 3) & 7];
			fl = op->flags;
		}
	}
	in->modrm = (uint8_t)modrm;
	if (fl & F_PFXTAB) {
		c = in->mand;
		op = &emul_pfxtabs[op->sub][c == 0x66 ? 1 : c == 0xf3 ? 2 : c == 0xf2 ? 3 : 0];
		fl = op->flags;
	}
	c = emul_dec_sz[mode][(pfx / EMUL_PFX_OSZ) & 3];
	/* REX.W (or VEX.W) gives a 64-bit operand size in 64-bit mode only (SDM Vol. 2A 2.2.1.2) */
	osz = (rex & 8) && mode == EMUL_MODE_LONG64 ? 8 : c & 15;
	asz = c >> 4;
	/* F_FULL entries (no `fast` bits), a 16-bit operand size the form lacks, a LOCK it does not
	 * take (#UD) and 16-bit addressing go to the full decoder */
	if (!(op->fast & emul_mode_bit[mode]) || (osz == 2 && !(fl & F_O16)) ||
	    ((pfx & EMUL_PFX_LOCK) && !(fl & F_LOCK)) || ((fl & F_MODRM) && asz == 2))
		return DEC_FULL;
	in->d = op;
	in->osz = (uint8_t)osz;
	in->asz = (uint8_t)asz;
	in->opsz[0] = (uint8_t)decf_size(op->fsz[0], osz, vexl);
	in->opsz[1] = (uint8_t)decf_size(op->fsz[1], osz, vexl);
	in->opsz[2] = 0;
	in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
	in->seg = (uint8_t)(segovr != SEG_COUNT && (fl & F_MODRM) ? segovr : SEG_DS);
	in->base = EMUL_NOREG;
	in->index = EMUL_NOREG;
	in->scale = 1;
	in->riprel = false;
	in->has_mem = false;
	in->disp_size = 0;
	in->imm_size = 0;
	in->disp = 0;
	in->imm = 0;
	if (o)
		o->ea = o->simm = 0;
	p++;
	if (fl & F_MODRM) {
		int q = decf_mem(b, len, p, modrm, rex, segovr, in, r, o);
		if (q < 0)
			return DEC_FULL;
		p = (unsigned)q;
	}
	if (op->imm) {
		n = op->imm == IMM_1 ? 1 : op->imm == IMM_Z ? (osz == 2 ? 2u : 4u) : asz;
		if (p + n > len)
			return DEC_FULL;
		if (op->imm == IMM_MOFFS) {
			in->has_mem = true;
			in->disp = (int64_t)emul_ld(b + p, n);
			in->disp_size = (int8_t)n;
			if (segovr != SEG_COUNT)
				in->seg = (uint8_t)segovr;
			if (o)
				o->ea = (uint64_t)in->disp;
		} else {
			in->imm = emul_ld(b + p, n);
			in->imm_size = (int8_t)n;
			if (o)
				o->simm = n == 1 ? (uint64_t)(int8_t)b[p] : n == 2 ?
					  (uint64_t)(int16_t)emul_ld(b + p, 2) :
					  (uint64_t)(int32_t)emul_ld(b + p, 4);
		}
		p += n;
	}
	in->len = (uint8_t)p;
	if (o) {
		if (in->riprel)
			o->ea += r->rip + p;
		o->ea = emul_trunc(o->ea, asz);
	}
	return EMUL_DEC_OK;
}

/* The prefix fields of an instruction without prefixes. */
static inline void decf_noprefix(struct emul_insn *in, uint8_t opc)
{
	in->pfx = 0;
	in->mand = 0;
	in->segovr = SEG_COUNT;
	in->rex = 0;
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = EMUL_MAP_1;
	in->opc = opc;
}

/* REX (64-bit mode) and/or 0F before the opcode, nothing else: its entry and the position of
 * the opcode, prefix fields stored; NULL if there is more to it. */
static inline __attribute__((always_inline)) const struct emul_opdesc *
decf_rex_0f(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in,
	    unsigned *pp, unsigned *prex)
{
	unsigned p = 0, c = b[0], rex = 0, map = EMUL_MAP_1;
	const struct emul_opdesc *op;

	if ((c & 0xf0) == 0x40 && mode == EMUL_MODE_LONG64) {
		rex = c;
		c = b[++p];
	}
	if (c == 0x0f) {
		if (++p >= len)
			return NULL;
		c = b[p];
		op = &emul_map0f[c];
		map = EMUL_MAP_0F;
	} else {
		op = &emul_map1[c];
		if (!rex || (op->flags & F_HEAD))
			return NULL;
	}
	decf_noprefix(in, (uint8_t)c);
	in->rex = (uint8_t)rex;
	in->map = (uint8_t)map;
	*pp = p;
	*prex = rex;
	return op;
}

/* The fast path; with `o` (the direct path), *o gets the effective address of the memory operand
 * (if it has one) from the registers `r`, and the sign-extended immediate (if any). */
static inline __attribute__((always_inline)) int
emul_decode_fast(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in,
		 const struct emul_regs *r, struct decf_out *o)
{
	const struct emul_opdesc *op;
	unsigned p = 0, rex;

	if (len < 2 || len > EMUL_INSN_MAX)
		return DEC_FULL;
	in->mode = (uint8_t)mode;
	op = &emul_map1[b[0]];
	if (!(op->flags & F_HEAD)) {
		decf_noprefix(in, b[0]);
		return decf_tail(b, len, mode, in, op, 0, 0, 0, SEG_COUNT, 0, r, o);
	}
	op = decf_rex_0f(b, len, mode, in, &p, &rex);
	if (op)
		return decf_tail(b, len, mode, in, op, p, 0, rex, SEG_COUNT, 0, r, o);
	struct decf_head h;
	op = emul_decode_head(b, len, in, &h);
	if (!op)
		return DEC_FULL;
	return decf_tail(b, len, mode, in, op, h.p, h.pfx, h.rex, h.segovr, h.vexl, r, o);
}

#endif
