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

/* Bytes of an operand from its table byte (FSZ_*): fixed, the operand size, Z or Y (the fast
 * path has no VEX and no D64 form: its operand size is 8 exactly with REX.W). */
static inline unsigned decf_size(unsigned f, unsigned osz)
{
	return f < FSZ_V ? f : f == FSZ_V ? osz : f == FSZ_Z ? (osz == 2 ? 2 : 4) : osz == 8 ? 8 : 4;
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
decf_head(const uint8_t *b, unsigned len, enum emul_mode mode, struct decf_head *h)
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
	/* F_FULL entries, a 16-bit operand size the form lacks, a LOCK it does not take (#UD) and
	 * 16-bit addressing go to the full decoder */
	if (!(op->fast & emul_mode_bit[mode]) || (fl & F_FULL) || (h->osz == 2 && !(fl & F_O16)))
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

/* A whole fast-path decode, kept in registers by its inlined users. */
struct decf {
	struct decf_head h;
	struct decf_mem m;
	uint64_t imm;
	unsigned imm_size, len;
	bool moffs; /* the memory operand is a moffs (its offset in m.disp) */
};

static inline __attribute__((always_inline)) int
decf_run(const uint8_t *b, unsigned len, enum emul_mode mode, struct decf *d)
{
	const struct emul_opdesc *op;
	unsigned p, n;
	int r;

	if (decf_head(b, len, mode, &d->h))
		return DEC_FULL;
	op = d->h.op;
	p = d->h.p;
	d->m = (struct decf_mem){ .base = EMUL_NOREG, .index = EMUL_NOREG, .scale = 1 };
	d->imm = 0;
	d->imm_size = 0;
	d->moffs = false;
	if (op->flags & F_MODRM) {
		r = decf_mem(b, len, p, d->h.modrm, d->h.rex, mode == EMUL_MODE_LONG64, &d->m);
		if (r < 0)
			return DEC_FULL;
		p = (unsigned)r;
	}
	if (op->imm) {
		n = decf_imm_bytes(op->imm, d->h.osz, d->h.asz);
		if (p + n > len)
			return DEC_FULL;
		if (op->imm == IMM_MOFFS) {
			d->moffs = true;
			d->m.disp = (int64_t)emul_ld(b + p, n);
			d->m.disp_size = n;
		} else {
			d->imm = emul_ld(b + p, n);
			d->imm_size = n;
		}
		p += n;
	}
	d->len = p;
	return 0;
}

/* struct emul_insn from a fast-path decode, exactly as the full decoder fills it. */
static inline __attribute__((always_inline)) void
decf_fill(const struct decf *d, enum emul_mode mode, struct emul_insn *in)
{
	const struct emul_opdesc *op = d->h.op;
	bool mem = d->moffs || (op->flags & F_MODRM);

	in->d = op;
	in->disp = d->m.disp;
	in->imm = d->imm;
	in->len = (uint8_t)d->len;
	in->mode = (uint8_t)mode;
	in->osz = (uint8_t)d->h.osz;
	in->asz = (uint8_t)d->h.asz;
	in->opsz[0] = (uint8_t)decf_size(op->fsz[0], d->h.osz);
	in->opsz[1] = (uint8_t)decf_size(op->fsz[1], d->h.osz);
	in->opsz[2] = 0;
	in->reg = (uint8_t)(((d->h.modrm >> 3) & 7) | ((d->h.rex & 4) << 1));
	in->pfx = (uint8_t)d->h.pfx;
	in->mand = (uint8_t)(d->h.mand == 1 ? 0x66 : d->h.mand == 2 ? 0xf3 : d->h.mand == 3 ? 0xf2 : 0);
	in->segovr = (uint8_t)d->h.segovr;
	in->rex = (uint8_t)d->h.rex;
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = (uint8_t)d->h.map;
	in->seg = (uint8_t)(mem && d->h.segovr != SEG_COUNT ? d->h.segovr :
			    d->m.ss ? SEG_SS : SEG_DS);
	in->base = (uint8_t)d->m.base;
	in->index = (uint8_t)d->m.index;
	in->scale = (uint8_t)d->m.scale;
	in->riprel = d->m.riprel;
	in->has_mem = mem;
	in->disp_size = (int8_t)d->m.disp_size;
	in->imm_size = (int8_t)d->imm_size;
	in->opc = (uint8_t)d->h.opc;
	in->modrm = (uint8_t)d->h.modrm;
}

static inline __attribute__((always_inline)) int
emul_decode_fast(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	struct decf d;

	if (decf_run(b, len, mode, &d))
		return DEC_FULL;
	decf_fill(&d, mode, in);
	return EMUL_DEC_OK;
}

#endif
