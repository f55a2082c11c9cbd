/* The decoder's fast path, inlined into its callers (emul_decode and the emulator's direct
 * path): legacy prefixes, then REX, then 0F, or a VEX of map 0F, and an entry (after its group
 * or mandatory-prefix table) that needs no check, with 32/64-bit addressing. It fills struct
 * emul_insn exactly as the full decoder does, or returns DEC_FULL and the full decoder
 * (decode.c) decides. The decode oracles compare emul_decode with the full decoder alone,
 * field by field. It stores each field as soon as it is known (few values live at once), and
 * has three copies of its tail: no prefix, REX and/or 0F alone, and the rest. */
#ifndef EMUL_DECODE_FAST_H
#define EMUL_DECODE_FAST_H

#include "emul_internal.h"

#define DEC_FULL (-1)

/* Mode classes by enum emul_mode (M_*). */
extern const uint8_t emul_mode_bit[5];
/* Operand size (low nibble) and address size by mode and 66h/67h (SDM Vol. 1 3.6). */
extern const uint8_t emul_dec_sz[5][4];

/* VEX at b[p] (SDM Vol. 2A 2.3.5), map 0F only, vvvv unused (1111b): R, X, B, W, L and pp;
 * NULL for anything else (a third operand, another map, vvvv not 1111b: #UD). */
static inline const struct emul_opdesc *decf_vex(const uint8_t *b, unsigned p,
						  struct emul_insn *in, unsigned *pp)
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
	*pp = p + 2;
	return &emul_vex0f[b[p + 2]];
}

/* Legacy prefixes, REX and 0F of the fast path: in->pfx, mand, segovr, rex and map set; the
 * opcode's entry and position, or NULL (DEC_FULL). Legacy prefixes may repeat, the last
 * segment override wins, the last of F2/F3 is the mandatory prefix, else 66. */
static inline __attribute__((always_inline)) const struct emul_opdesc *
emul_decode_head(const uint8_t *b, unsigned len, struct emul_insn *in,
		 unsigned *pp)
{
	static const uint8_t pk_bit[PK_SEG] = { [PK_LOCK] = EMUL_PFX_LOCK, [PK_REPNE] = EMUL_PFX_REPNE,
						[PK_REP] = EMUL_PFX_REP, [PK_OSZ] = EMUL_PFX_OSZ,
						[PK_ASZ] = EMUL_PFX_ASZ };
	bool l64 = in->mode == EMUL_MODE_LONG64;
	unsigned p = 0, pfx = 0, segovr = SEG_COUNT, rep = 0, c, k;

	for (;;) {
		c = b[p];
		k = emul_prefix_kind[c];
		if (k == PK_NONE || k == PK_ESC || k == PK_REX)
			break;
		if (k >= PK_SEG) {
			/* SDM Vol. 1 3.3.7.1: 64-bit mode ignores CS, DS, ES and SS overrides */
			if (!l64 || k - PK_SEG >= SEG_FS)
				segovr = k - PK_SEG;
		} else {
			rep = k == PK_REP || k == PK_REPNE ? c : rep;
			pfx |= pk_bit[k];
		}
		if (++p >= len)
			return NULL;
	}
	in->pfx = (uint8_t)pfx;
	in->segovr = (uint8_t)segovr;
	in->mand = (uint8_t)(rep ? rep : (pfx & EMUL_PFX_OSZ) ? 0x66 : 0);
	in->rex = 0;
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = EMUL_MAP_1;
	if ((c & 0xf0) == 0x40 && l64) {
		in->rex = (uint8_t)c;
		if (++p >= len)
			return NULL;
		c = b[p];
	}
	if (c == 0x0f) {
		if (++p >= len)
			return NULL;
		c = b[p];
		in->map = EMUL_MAP_0F;
		in->opc = (uint8_t)c;
		*pp = p;
		return &emul_map0f[c];
	}
	if ((c & 0xfe) == 0xc4 && !pfx && !in->rex && p + 3 < len &&
	    (l64 || (in->mode != EMUL_MODE_REAL && in->mode != EMUL_MODE_VM86 && b[p + 1] >= 0xc0)))
		return decf_vex(b, p, in, pp);
	in->opc = (uint8_t)c;
	*pp = p;
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
 * (SDM Vol. 2A Tables 2-2 and 2-3); the position after it, or DEC_FULL when the bytes end. */
static inline __attribute__((always_inline)) int
decf_mem(const uint8_t *b, unsigned len, unsigned p, unsigned modrm, unsigned rex,
	 unsigned segovr, struct emul_insn *in)
{
	unsigned mod = modrm >> 6, rm = modrm & 7, base = rm, n = mod == 1 ? 1 : mod == 2 ? 4 : 0;

	if (rm == 4) {
		if (p >= len)
			return DEC_FULL;
		unsigned sib = b[p++], idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		in->scale = (uint8_t)(1u << (sib >> 6));
		in->index = idx == 4 ? EMUL_NOREG : (uint8_t)idx;
		base = sib & 7;
		if (base == 5 && mod == 0) {
			base = EMUL_NOREG;
			n = 4;
		}
	} else if (rm == 5 && mod == 0) {
		base = EMUL_NOREG;
		n = 4;
		in->riprel = in->mode == EMUL_MODE_LONG64;
	}
	if (base != EMUL_NOREG) {
		base |= (rex & 1) << 3;
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
	return (int)(p + n);
}

/* Everything from the opcode's entry on; pfx, rex, segovr and VEX.L are what the prefixes
 * gave (constants for the prefix-free copy). */
static inline __attribute__((always_inline)) int
decf_tail(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in,
	  const struct emul_opdesc *op, unsigned p, unsigned pfx, unsigned rex, unsigned segovr,
	  unsigned vexl)
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
	/* F_FULL entries, a 16-bit operand size the form lacks, a LOCK it does not take (#UD) and
	 * 16-bit addressing go to the full decoder */
	if (!(op->fast & emul_mode_bit[mode]) || (fl & F_FULL) || (osz == 2 && !(fl & F_O16)) ||
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
	p++;
	if (fl & F_MODRM) {
		int r = decf_mem(b, len, p, modrm, rex, segovr, in);
		if (r < 0)
			return DEC_FULL;
		p = (unsigned)r;
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
		} else {
			in->imm = emul_ld(b + p, n);
			in->imm_size = (int8_t)n;
		}
		p += n;
	}
	in->len = (uint8_t)p;
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

static inline __attribute__((always_inline)) int
emul_decode_fast(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	const struct emul_opdesc *op;
	unsigned p = 0, rex;

	if (len < 2 || len > EMUL_INSN_MAX)
		return DEC_FULL;
	in->mode = (uint8_t)mode;
	op = &emul_map1[b[0]];
	if (!(op->flags & F_HEAD)) {
		decf_noprefix(in, b[0]);
		return decf_tail(b, len, mode, in, op, 0, 0, 0, SEG_COUNT, 0);
	}
	op = decf_rex_0f(b, len, mode, in, &p, &rex);
	if (op)
		return decf_tail(b, len, mode, in, op, p, 0, rex, SEG_COUNT, 0);
	op = emul_decode_head(b, len, in, &p);
	if (!op)
		return DEC_FULL;
	return decf_tail(b, len, mode, in, op, p, in->pfx, in->rex, in->segovr, in->vex_l);
}

#endif
