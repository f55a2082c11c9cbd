/* The decoder's fast path, inlined into its callers (emul_decode, the emulator's direct path):
 * the prefix-free, REX, 66h and 0F forms whose table entry needs no check, with 32/64-bit
 * addressing. It gives exactly the full decoder's result or DEC_FULL, and then the full
 * decoder (decode.c) decides; the decode oracles see both through emul_decode and compare the
 * two field by field. */
#ifndef EMUL_DECODE_FAST_H
#define EMUL_DECODE_FAST_H

#include "emul_internal.h"

#define DEC_FULL (-1)

/* Mode classes by enum emul_mode (M_*). */
extern const uint8_t emul_mode_bit[5];

/* Memory operand of ModRM (mod != 11b) whose SIB or displacement starts at b[p]: base, index,
 * scale, segment, displacement; the position after it, or DEC_FULL when the bytes end first
 * (SDM Vol. 2A Tables 2-2 and 2-3). */
static inline __attribute__((always_inline)) int
decf_mem(const uint8_t *b, unsigned len, unsigned p, unsigned modrm, unsigned rex,
	 struct emul_insn *in)
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
		if (base == EMUL_RSP || base == EMUL_RBP)
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

/* `direct`: the emulator's direct path, 64-bit mode, which takes only F_DIRECT entries. */
static inline __attribute__((always_inline)) int
emul_decode_fast(const uint8_t *b, unsigned len, enum emul_mode mode, struct emul_insn *in,
		 bool direct)
{
	const struct emul_opdesc *op;
	const struct emul_opdesc *tab = emul_map1;
	unsigned p = 0, c, pfx = 0, rex = 0, osz, asz, map = EMUL_MAP_1, modrm = 0, n;
	uint32_t fl;
	int r;

	if (len < 2 || len > EMUL_INSN_MAX)
		return DEC_FULL;
	c = b[0];
	if (c == 0x66) {
		pfx = EMUL_PFX_OSZ;
		c = b[++p];
	}
	if ((c & 0xf0) == 0x40 && mode == EMUL_MODE_LONG64) {
		rex = c;
		if (++p >= len)
			return DEC_FULL;
		c = b[p];
	}
	if (c == 0x0f) {
		if (++p >= len)
			return DEC_FULL;
		c = b[p];
		tab = emul_map0f;
		map = EMUL_MAP_0F;
	}
	op = &tab[c];
	fl = op->flags;
	if (fl & F_MODRM) {
		if (++p >= len)
			return DEC_FULL;
		modrm = b[p];
		if (modrm >= 0xc0)
			return DEC_FULL; /* register forms: the full decoder */
		if ((fl & F_SUBTAB) == F_GROUP) {
			op = &emul_groups[op->sub][(modrm >> 3) & 7];
			fl = op->flags;
		}
	}
	if (mode == EMUL_MODE_LONG64) {
		asz = 8;
		osz = (rex & 8) ? 8 : pfx ? 2 : 4;
	} else {
		asz = mode == EMUL_MODE_PROT32 ? 4 : 2;
		osz = asz ^ (pfx ? 6 : 0);
	}
	/* F_FULL entries and 16-bit addressing go to the full decoder */
	if (direct ? !(fl & F_DIRECT) : (!(op->fast & emul_mode_bit[mode]) || (fl & F_FULL) ||
					  ((fl & F_MODRM) && asz == 2)))
		return DEC_FULL;
	in->d = op;
	in->mode = (uint8_t)mode;
	in->osz = (uint8_t)osz;
	in->asz = (uint8_t)asz;
	in->opsz[0] = (uint8_t)(op->fsz[0] == FSZ_V ? osz : op->fsz[0]);
	in->opsz[1] = (uint8_t)(op->fsz[1] == FSZ_V ? osz : op->fsz[1]);
	in->opsz[2] = 0;
	in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
	in->pfx = (uint8_t)pfx;
	in->mand = pfx ? 0x66 : 0;
	in->segovr = SEG_COUNT;
	in->rex = (uint8_t)rex;
	in->vex_l = 0;
	in->vex_w = 0;
	in->vex_v = 0;
	in->map = (uint8_t)map;
	in->seg = SEG_DS;
	in->base = EMUL_NOREG;
	in->index = EMUL_NOREG;
	in->scale = 1;
	in->riprel = false;
	in->has_mem = false;
	in->disp_size = 0;
	in->imm_size = 0;
	in->opc = (uint8_t)c;
	in->modrm = (uint8_t)modrm;
	in->disp = 0;
	in->imm = 0;
	p++;
	if (fl & F_MODRM) {
		r = decf_mem(b, len, p, modrm, rex, in);
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
