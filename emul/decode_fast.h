/* The decoder's fast path, inlined into its callers: emul_decode (struct emul_insn for the
 * oracles and the general path) and the emulator's direct path (64-bit mode, which needs only
 * the entry, the sizes, ModRM.reg, the immediate and the effective address). It takes the
 * forms with at most one each of 66h, 67h and LOCK, then REX, then 0F, whose table entry (after
 * its group or mandatory-prefix table) needs no check, with 32/64-bit addressing; it gives
 * exactly the full decoder's result or DEC_FULL, and then the full decoder (decode.c) decides.
 * The decode oracles compare emul_decode with the full decoder alone, field by field. */
#ifndef EMUL_DECODE_FAST_H
#define EMUL_DECODE_FAST_H

#include "emul_internal.h"

#define DEC_FULL (-1)

/* Mode classes by enum emul_mode (M_*). */
extern const uint8_t emul_mode_bit[5];
/* Operand size (low nibble) and address size by mode and 66h/67h (SDM Vol. 1 3.6). */
extern const uint8_t emul_dec_sz[5][4];

/* Opcode, ModRM, prefixes and sizes of a fast-path form. */
struct decf_head {
	const struct emul_opdesc *op;
	unsigned p;      /* position after the opcode and ModRM */
	unsigned pfx;    /* EMUL_PFX_* */
	unsigned mand;   /* mandatory prefix: 0 none, 1 66, 2 F3, 3 F2 */
	unsigned segovr; /* last segment override in effect, or SEG_COUNT */
	unsigned rex, modrm, osz, asz, map, opc;
};

/* A ModRM memory operand (SDM Vol. 2A Tables 2-1 to 2-3, 32/64-bit addressing). */
struct decf_mem {
	unsigned base, index, scale; /* EMUL_NOREG when absent */
	int64_t disp;
	bool riprel, ss;             /* RIP-relative; rSP/rBP base (SS default) */
	unsigned disp_size;
};

/* Bytes of an operand from its table byte (FSZ_*): fixed, the operand size, or 2/4 (Z). */
static inline unsigned decf_size(unsigned f, unsigned osz)
{
	return f < FSZ_V ? f : f == FSZ_V ? osz : osz == 2 ? 2 : 4;
}

/* Legacy prefixes (SDM Vol. 2A 2.1.1): repeated and redundant ones accepted, the last segment
 * override wins (64-bit mode ignores CS, DS, ES and SS ones, SDM Vol. 1 3.3.7.1), the last of
 * F2/F3 is the mandatory prefix, else 66. *pp ends at the first other byte; DEC_FULL when no
 * byte follows them. */
static inline __attribute__((always_inline)) int
decf_prefixes(const uint8_t *b, unsigned len, bool l64, unsigned *pp, struct decf_head *h)
{
	static const uint8_t pk_bit[PK_SEG] = { [PK_LOCK] = EMUL_PFX_LOCK, [PK_REPNE] = EMUL_PFX_REPNE,
						[PK_REP] = EMUL_PFX_REP, [PK_OSZ] = EMUL_PFX_OSZ,
						[PK_ASZ] = EMUL_PFX_ASZ };
	unsigned p = 0, pfx = 0, segovr = SEG_COUNT, rep = 0, c, k;

	for (;;) {
		c = b[p];
		k = emul_prefix_kind[c];
		if (k == PK_NONE || k == PK_ESC || k == PK_REX)
			break;
		if (k >= PK_SEG) {
			if (!l64 || k - PK_SEG >= SEG_FS)
				segovr = k - PK_SEG;
		} else {
			rep = k == PK_REP ? 2 : k == PK_REPNE ? 3 : rep;
			pfx |= pk_bit[k];
		}
		if (++p >= len)
			return DEC_FULL;
	}
	h->pfx = pfx;
	h->segovr = segovr;
	h->mand = rep ? rep : (pfx & EMUL_PFX_OSZ) ? 1 : 0;
	*pp = p;
	return 0;
}

static inline __attribute__((always_inline)) int
decf_head(const uint8_t *b, unsigned len, enum emul_mode mode, struct decf_head *h, bool direct)
{
	const struct emul_opdesc *op;
	unsigned p = 0, c = b[0], pfx = 0, rex = 0, map = EMUL_MAP_1, modrm = 0, sz;
	uint32_t fl;

	if (len < 2 || len > EMUL_INSN_MAX)
		return DEC_FULL;
	h->pfx = 0;
	h->mand = 0;
	h->segovr = SEG_COUNT;
	op = &emul_map1[c];
	fl = op->flags;
	if (fl & F_HEAD) {
		if (decf_prefixes(b, len, mode == EMUL_MODE_LONG64, &p, h))
			return DEC_FULL;
		c = b[p];
		if ((c & 0xf0) == 0x40 && mode == EMUL_MODE_LONG64) {
			rex = c;
			if (++p >= len)
				return DEC_FULL;
			c = b[p];
		}
		op = &emul_map1[c];
		if (c == 0x0f) {
			if (++p >= len)
				return DEC_FULL;
			c = b[p];
			op = &emul_map0f[c];
			map = EMUL_MAP_0F;
		}
		fl = op->flags;
		pfx = h->pfx;
	}
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
	if (fl & F_PFXTAB) {
		op = &emul_pfxtabs[op->sub][h->mand];
		fl = op->flags;
	}
	sz = emul_dec_sz[mode][(pfx / EMUL_PFX_OSZ) & 3];
	h->osz = (rex & 8) ? 8 : sz & 15;
	h->asz = sz >> 4;
	/* F_FULL entries, a LOCK the form does not take (#UD) and 16-bit addressing go to the full
	 * decoder */
	if (direct ? !(fl & F_DIRECT) || h->segovr != SEG_COUNT :
		     !(op->fast & emul_mode_bit[mode]) || (fl & F_FULL))
		return DEC_FULL;
	if (((pfx & EMUL_PFX_LOCK) && !(fl & F_LOCK)) || ((fl & F_MODRM) && h->asz == 2))
		return DEC_FULL;
	h->op = op;
	h->p = p + 1;
	h->rex = rex;
	h->modrm = modrm;
	h->map = map;
	h->opc = c;
	return 0;
}

/* The memory operand of ModRM (mod != 11b) whose SIB or displacement starts at b[p]; the
 * position after it, or DEC_FULL when the bytes end first. */
static inline __attribute__((always_inline)) int
decf_mem(const uint8_t *b, unsigned len, unsigned p, unsigned modrm, unsigned rex, bool l64,
	 struct decf_mem *m)
{
	unsigned mod = modrm >> 6, rm = modrm & 7, base = rm, n = mod == 1 ? 1 : mod == 2 ? 4 : 0;

	m->index = EMUL_NOREG;
	m->scale = 1;
	m->riprel = false;
	if (rm == 4) {
		if (p >= len)
			return DEC_FULL;
		unsigned sib = b[p++], idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		m->scale = 1u << (sib >> 6);
		m->index = idx == 4 ? EMUL_NOREG : idx;
		base = sib & 7;
		if (base == 5 && mod == 0) {
			base = EMUL_NOREG;
			n = 4;
		}
	} else if (rm == 5 && mod == 0) {
		base = EMUL_NOREG;
		n = 4;
		m->riprel = l64;
	}
	if (base != EMUL_NOREG)
		base |= (rex & 1) << 3;
	m->base = base;
	m->ss = base == EMUL_RSP || base == EMUL_RBP;
	m->disp_size = n;
	if (p + n > len)
		return DEC_FULL;
	m->disp = n == 1 ? (int8_t)b[p] : n == 4 ? (int32_t)emul_ld(b + p, 4) : 0;
	return (int)(p + n);
}

/* Bytes of the immediate (or moffs) of kind `imm`. */
static inline unsigned decf_imm_bytes(unsigned imm, unsigned osz, unsigned asz)
{
	return imm == IMM_1 ? 1 : imm == IMM_Z ? (osz == 2 ? 2u : 4u) : asz;
}

static inline __attribute__((always_inline)) int
emul_decode_fast(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	struct decf_head h;
	struct decf_mem m = { .base = EMUL_NOREG, .index = EMUL_NOREG, .scale = 1 };
	const struct emul_opdesc *op;
	unsigned p, n;
	int r;

	if (decf_head(b, len, mode, &h, false))
		return DEC_FULL;
	op = h.op;
	p = h.p;
	if (op->flags & F_MODRM) {
		r = decf_mem(b, len, p, h.modrm, h.rex, mode == EMUL_MODE_LONG64, &m);
		if (r < 0)
			return DEC_FULL;
		p = (unsigned)r;
	}
	in->d = op;
	in->disp = m.disp;
	in->imm = 0;
	in->mode = (uint8_t)mode;
	in->osz = (uint8_t)h.osz;
	in->asz = (uint8_t)h.asz;
	in->opsz[0] = (uint8_t)decf_size(op->fsz[0], h.osz);
	in->opsz[1] = (uint8_t)decf_size(op->fsz[1], h.osz);
	in->opsz[2] = 0;
	in->reg = (uint8_t)(((h.modrm >> 3) & 7) | ((h.rex & 4) << 1));
	in->pfx = (uint8_t)h.pfx;
	in->mand = (uint8_t)(h.mand == 1 ? 0x66 : h.mand == 2 ? 0xf3 : h.mand == 3 ? 0xf2 : 0);
	in->segovr = (uint8_t)h.segovr;
	in->rex = (uint8_t)h.rex;
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = (uint8_t)h.map;
	in->seg = (uint8_t)((op->flags & F_MODRM) && h.segovr != SEG_COUNT ? h.segovr :
			    m.ss ? SEG_SS : SEG_DS);
	in->base = (uint8_t)m.base;
	in->index = (uint8_t)m.index;
	in->scale = (uint8_t)m.scale;
	in->riprel = m.riprel;
	in->has_mem = (op->flags & F_MODRM) != 0;
	in->disp_size = (int8_t)m.disp_size;
	in->imm_size = 0;
	in->opc = (uint8_t)h.opc;
	in->modrm = (uint8_t)h.modrm;
	if (op->imm) {
		n = decf_imm_bytes(op->imm, h.osz, h.asz);
		if (p + n > len)
			return DEC_FULL;
		if (op->imm == IMM_MOFFS) {
			in->has_mem = true;
			in->disp = (int64_t)emul_ld(b + p, n);
			in->disp_size = (int8_t)n;
			if (h.segovr != SEG_COUNT)
				in->seg = (uint8_t)h.segovr;
		} else {
			in->imm = emul_ld(b + p, n);
			in->imm_size = (int8_t)n;
		}
		p += n;
	}
	in->len = (uint8_t)p;
	return EMUL_DEC_OK;
}

#endif
