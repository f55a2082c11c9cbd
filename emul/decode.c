/* One-pass decoder: legacy prefixes → REX → VEX → opcode → ModRM/SIB → displacement → immediate
 * (SDM Vol. 2A chapter 2). Reads only the bytes given; the tables say what is supported. */
#include "emul_internal.h"

static const uint8_t mode_bit[] = {
	[EMUL_MODE_REAL] = M_REAL, [EMUL_MODE_VM86] = M_REAL, [EMUL_MODE_PROT16] = M_P16,
	[EMUL_MODE_PROT32] = M_P32, [EMUL_MODE_LONG64] = M_L64,
};

/* The status when the instruction needs `end` bytes but fewer were given (at most 15 are):
 * over 15 bytes is #GP(0) (SDM Vol. 2A 2.3.11), else the caller must fetch more. */
static __attribute__((cold, noinline)) int dec_short(unsigned end)
{
	return end > EMUL_INSN_MAX ? EMUL_DEC_GP : EMUL_DEC_SHORT;
}

/* REX.W (or VEX.W) in effect: 64-bit mode only. */
static bool dec_w(const struct emul_insn *in)
{
	return in->mode == EMUL_MODE_LONG64 &&
	       ((in->pfx & EMUL_PFX_VEX) ? in->vex_w : (in->rex >> 3) & 1);
}

/* Bytes of size class `cls` for this instruction. */
static inline unsigned dec_size(const struct emul_insn *in, unsigned cls)
{
	switch (cls) {
	case S_NONE:
		return 0;
	case S_B:
		return 1;
	case S_W:
		return 2;
	case S_D:
		return 4;
	case S_Q:
		return 8;
	case S_V:
		return in->osz;
	case S_Z:
		return in->osz == 2 ? 2 : 4;
	case S_Y:
		return dec_w(in) ? 8 : 4;
	case S_X:
		return in->vex_l ? 32 : 16;
	case S_DQ:
		return 16;
	case S_CL:
		return 64;
	default: /* S_F */
		return in->mode == EMUL_MODE_LONG64 ? 8 : 4;
	}
}

unsigned emul_opnd_bytes(const struct emul_insn *in, uint8_t o)
{
	return dec_size(in, OPND_SIZE(o));
}

/* Legacy prefixes and REX; *pp ends at the first other byte, which is there. */
static int dec_prefixes(const uint8_t *b, unsigned len, unsigned *pp, struct emul_insn *in)
{
	static const uint8_t pk_bit[PK_SEG] = { [PK_LOCK] = EMUL_PFX_LOCK, [PK_REPNE] = EMUL_PFX_REPNE,
						[PK_REP] = EMUL_PFX_REP, [PK_OSZ] = EMUL_PFX_OSZ,
						[PK_ASZ] = EMUL_PFX_ASZ };
	bool l64 = in->mode == EMUL_MODE_LONG64;
	unsigned p = 0, pfx = 0, rex = 0, segovr = SEG_COUNT, last_rep = 0;

	for (;; p++) {
		if (p >= len)
			return dec_short(p + 1);
		unsigned c = b[p], k = emul_prefix_kind[c];
		if (k == PK_NONE || k == PK_ESC || (k == PK_REX && !l64))
			break;
		if (k == PK_REX) {
			rex = c;
			continue;
		}
		rex = 0; /* SDM Vol. 2A 2.2.1: REX counts only right before the opcode */
		if (k >= PK_SEG) {
			/* SDM Vol. 1 3.3.7.1: 64-bit mode ignores CS, DS, ES and SS overrides */
			if (!l64 || k - PK_SEG >= SEG_FS)
				segovr = k - PK_SEG;
			continue;
		}
		if (k == PK_REP || k == PK_REPNE)
			last_rep = c;
		pfx |= pk_bit[k];
	}
	in->pfx = (uint8_t)pfx;
	in->rex = (uint8_t)rex;
	in->segovr = (uint8_t)segovr;
	in->mand = (uint8_t)(last_rep ? last_rep : (pfx & EMUL_PFX_OSZ) ? 0x66 : 0);
	*pp = p;
	return 0;
}

/* VEX (SDM Vol. 2A 2.3.5): C5 = 2-byte, C4 = 3-byte form; *pp is at C4/C5. */
static int dec_vex(const uint8_t *b, unsigned len, unsigned *pp, struct emul_insn *in,
		   const struct emul_opdesc **out)
{
	static const uint8_t pp_mand[4] = { 0, 0x66, 0xf3, 0xf2 };
	unsigned p = *pp, n = b[p] == 0xc5 ? 2 : 3;
	uint8_t b1, b2, map = 1;

	if (p + n + 1 > len)
		return dec_short(p + n + 1);
	/* SDM Vol. 2A 2.3.2: 66, F2, F3, LOCK or REX before VEX is #UD */
	if ((in->pfx & (EMUL_PFX_LOCK | EMUL_PFX_REP | EMUL_PFX_REPNE | EMUL_PFX_OSZ)) || in->rex)
		return EMUL_DEC_UD;
	b1 = b[p + 1];
	if (n == 2) {
		b2 = b1;
		in->rex = 0x40 | ((~b1 >> 5) & 4);
	} else {
		map = b1 & 0x1f;
		b2 = b[p + 2];
		in->rex = 0x40 | ((~b1 >> 5) & 7) | ((b2 >> 4) & 8);
	}
	if (in->mode != EMUL_MODE_LONG64)
		in->rex = 0x40 | (in->rex & 8); /* R, X, B and vvvv[3] do not exist outside 64-bit mode */
	in->vex_w = b2 >> 7;
	in->vex_v = (~b2 >> 3) & (in->mode == EMUL_MODE_LONG64 ? 0xf : 0x7);
	in->vex_l = (b2 >> 2) & 1;
	in->mand = pp_mand[b2 & 3];
	in->pfx |= EMUL_PFX_VEX;
	p += n;
	if (map != 1 && map != 2)
		return EMUL_DEC_UNSUPPORTED;
	in->map = map == 1 ? EMUL_MAP_VEX0F : EMUL_MAP_VEX0F38;
	in->opc = b[p++];
	*out = &(map == 1 ? emul_vex0f : emul_vex0f38)[in->opc];
	*pp = p;
	return 0;
}

/* 0F, 0F 38 and VEX opcodes; *pp is at the first opcode byte. */
static int dec_escape(const uint8_t *b, unsigned len, unsigned *pp, struct emul_insn *in,
		      const struct emul_opdesc **out)
{
	unsigned p = *pp;
	uint8_t c = b[p];

	if (c != 0x0f) {
		/* C4/C5 are LES/LDS in real and virtual-8086 mode; elsewhere outside 64-bit mode,
		 * when ModRM.mod != 11b (SDM Vol. 2A 2.3.5) */
		if (in->mode != EMUL_MODE_REAL && in->mode != EMUL_MODE_VM86) {
			if (p + 2 > len)
				return dec_short(p + 2);
			if (in->mode == EMUL_MODE_LONG64 || b[p + 1] >= 0xc0)
				return dec_vex(b, len, pp, in, out);
		}
		in->opc = c;
		*out = &emul_map1[c];
		*pp = p + 1;
		return 0;
	}
	if (p + 2 > len)
		return dec_short(p + 2);
	c = b[p + 1];
	in->map = EMUL_MAP_0F;
	in->opc = c;
	*out = &emul_map0f[c];
	p += 2;
	if (c == 0x38) {
		if (p + 1 > len)
			return dec_short(p + 1);
		in->map = EMUL_MAP_0F38;
		in->opc = b[p++];
		*out = &emul_map0f38[in->opc];
	}
	*pp = p;
	return 0;
}

/* 16-bit addressing forms (SDM Vol. 2A Table 2-1); returns the displacement bytes. */
static unsigned dec_modrm16(struct emul_insn *in, unsigned mod, unsigned rm)
{
	static const uint8_t base[8] = { EMUL_RBX, EMUL_RBX, EMUL_RBP, EMUL_RBP,
					 EMUL_RSI, EMUL_RDI, EMUL_RBP, EMUL_RBX };
	static const uint8_t index[8] = { EMUL_RSI, EMUL_RDI, EMUL_RSI, EMUL_RDI,
					  EMUL_NOREG, EMUL_NOREG, EMUL_NOREG, EMUL_NOREG };

	in->base = base[rm];
	in->index = index[rm];
	if (mod == 0 && rm == 6) {
		in->base = EMUL_NOREG;
		return 2;
	}
	if (in->base == EMUL_RBP)
		in->seg = SEG_SS;
	return mod == 1 ? 1 : mod == 2 ? 2 : 0;
}

/* Operand and address size in 64-bit mode with REX.W, VEX.W or a 64-bit default
 * (SDM Vol. 1 3.6.1, Vol. 2A 2.2.1.2). */
static unsigned dec_osz64(const struct emul_insn *in, uint32_t fl, unsigned rex, unsigned osz)
{
	if (fl & F_VEXW)
		return in->vex_w ? 8 : 4;
	if (rex & 8)
		return 8;
	return osz == 4 && (fl & F_D64) ? 8 : osz;
}

/* Why an entry cannot be taken: unsupported, #UD, or 0 (it can). */
static int dec_check(const struct emul_insn *in, const struct emul_opdesc *op, bool lenonly)
{
	static const uint32_t osz_flag[9] = { [2] = F_O16, [4] = F_O32, [8] = F_O64 };

	if (!(op->modes & mode_bit[in->mode]) || (op->op == OP_LEN && !lenonly))
		return EMUL_DEC_UNSUPPORTED; /* OP_NONE entries have no modes */
	if ((op->flags & F_NP) && (in->pfx & (EMUL_PFX_OSZ | EMUL_PFX_REP | EMUL_PFX_REPNE)))
		return EMUL_DEC_UNSUPPORTED;
	/* SDM Vol. 2A LOCK: #UD unless the form is lockable (and has a memory destination) */
	if ((in->pfx & EMUL_PFX_LOCK) && !(op->flags & F_LOCK))
		return EMUL_DEC_UD;
	if (!(op->flags & osz_flag[in->osz]))
		return EMUL_DEC_UNSUPPORTED;
	if (in->pfx & EMUL_PFX_VEX) {
		/* SDM Vol. 2A 2.3.6: VEX.vvvv must be 1111b where it encodes no operand; BMI1: VEX.L=0 */
		if (OPND_KIND(op->opnd[2]) != K_B && in->vex_v)
			return EMUL_DEC_UD;
		if (op->op == OP_BEXTR && in->vex_l)
			return EMUL_DEC_UD;
	}
	return 0;
}

static const struct emul_opdesc dec_none; /* OP_NONE: unsupported */

/* Group (ModRM.reg), mandatory-prefix and register-form tables down to the entry. */
static const struct emul_opdesc *dec_resolve(const struct emul_insn *in,
					     const struct emul_opdesc *op)
{
	while (op->flags & (F_GROUP | F_PFXTAB | F_RMTAB)) {
		if (op->flags & F_GROUP)
			op = &emul_groups[op->sub][(in->modrm >> 3) & 7];
		else if (op->flags & F_RMTAB)
			op = in->modrm >= 0xc0 ? &emul_rmtabs[op->sub][in->modrm & 0x3f] : &dec_none;
		else
			op = &emul_pfxtabs[op->sub][in->mand == 0x66 ? 1 : in->mand == 0xf3 ? 2 :
						    in->mand == 0xf2 ? 3 : 0];
	}
	return op;
}

/* Prefixes, escapes, VEX: everything before the one-byte opcode of the common case. */
static __attribute__((noinline)) int dec_head(const uint8_t *b, unsigned len, unsigned *pp,
					      struct emul_insn *in, const struct emul_opdesc **op)
{
	int r = 0;
	uint8_t c;

	if (emul_prefix_kind[b[0]] != PK_ESC)
		r = dec_prefixes(b, len, pp, in);
	if (r)
		return r;
	c = b[*pp];
	if (c == 0x0f || (c & 0xfe) == 0xc4)
		return dec_escape(b, len, pp, in, op);
	in->opc = c;
	*op = &emul_map1[c];
	(*pp)++;
	return 0;
}

/* Size classes B, W, D, Q are 1 << (class - 1); V is the operand size. */
static inline unsigned dec_opsz(const struct emul_insn *in, unsigned cls, unsigned osz)
{
	if (cls == S_V)
		return osz;
	if (cls <= S_Q)
		return cls ? 1u << (cls - 1) : 0;
	return dec_size(in, cls);
}

/* Operand size (low nibble) and address size by mode and 66h/67h (SDM Vol. 1 3.6). */
static const uint8_t dec_sz[5][4] = {
	[EMUL_MODE_REAL] = { 0x22, 0x24, 0x42, 0x44 }, [EMUL_MODE_VM86] = { 0x22, 0x24, 0x42, 0x44 },
	[EMUL_MODE_PROT16] = { 0x22, 0x24, 0x42, 0x44 }, [EMUL_MODE_PROT32] = { 0x44, 0x42, 0x24, 0x22 },
	[EMUL_MODE_LONG64] = { 0x84, 0x82, 0x44, 0x42 },
};

/* ModRM memory operand (SDM Vol. 2A Tables 2-1 to 2-3, 2.2.1.6): base, index, scale, segment.
 * Returns the displacement bytes plus 16 if a SIB byte follows ModRM at b[p], or a negative
 * decode status. */
static inline int dec_modrm(const uint8_t *b, unsigned len, unsigned p, struct emul_insn *in,
			    unsigned modrm, unsigned rex, unsigned asz)
{
	static const uint8_t disp32[4] = { 0, 1, 4, 0 };
	unsigned mod = modrm >> 6, rm = modrm & 7, n = disp32[mod], base = EMUL_NOREG;

	if (asz == 2)
		return (int)dec_modrm16(in, mod, rm);
	if (rm == 4) {
		if (p + 1 > len)
			return -dec_short(p + 1);
		unsigned sib = b[p], idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		in->scale = (uint8_t)(1u << (sib >> 6));
		in->index = idx == 4 ? EMUL_NOREG : (uint8_t)idx;
		rm = sib & 7;
		n += 16;
		if (rm == 5 && mod == 0)
			n = 16 + 4;
		else
			base = rm | ((rex & 1) << 3);
	} else if (rm == 5 && mod == 0) {
		n = 4;
		in->riprel = in->mode == EMUL_MODE_LONG64;
	} else {
		base = rm | ((rex & 1) << 3);
	}
	in->base = (uint8_t)base;
	if (base == EMUL_RSP || base == EMUL_RBP)
		in->seg = SEG_SS;
	return (int)n;
}

static inline __attribute__((always_inline)) int
dec_run(const uint8_t *restrict b, unsigned len, enum emul_mode mode,
	struct emul_insn *restrict in, bool lenonly)
{
	const struct emul_opdesc *op;
	unsigned p = 0, c, pfx = 0, rex = 0, modrm = 0, osz, asz, n = 0;
	uint32_t fl;
	int r;

	if (len > EMUL_INSN_MAX)
		len = EMUL_INSN_MAX;
	*in = (struct emul_insn){ .mode = (uint8_t)mode, .segovr = SEG_COUNT, .base = EMUL_NOREG,
				  .index = EMUL_NOREG, .scale = 1 };
	if (!len)
		return EMUL_DEC_SHORT;
	c = b[0];
	if (__builtin_expect(emul_prefix_kind[c] != PK_NONE, 0)) {
		unsigned hp = 0;
		op = &dec_none;
		r = dec_head(b, len, &hp, in, &op);
		if (r)
			return r;
		p = hp;
		pfx = in->pfx;
		rex = in->rex;
	} else {
		in->opc = (uint8_t)c;
		op = &emul_map1[c];
		p = 1;
	}
	fl = op->flags;
	if (fl & F_MODRM) {
		if (p >= len)
			return dec_short(p + 1);
		modrm = b[p++];
		in->modrm = (uint8_t)modrm;
	}
	if (fl & (F_GROUP | F_PFXTAB | F_RMTAB)) {
		op = (fl & (F_GROUP | F_PFXTAB | F_RMTAB)) == F_GROUP ?
		     &emul_groups[op->sub][(modrm >> 3) & 7] : op;
		if (op->flags & (F_GROUP | F_PFXTAB | F_RMTAB))
			op = dec_resolve(in, op);
		fl = op->flags;
	}
	c = dec_sz[mode][(pfx / EMUL_PFX_OSZ) & 3];
	osz = c & 15;
	asz = c >> 4;
	if (mode == EMUL_MODE_LONG64 && ((rex & 8) || (fl & (F_D64 | F_VEXW))))
		osz = dec_osz64(in, fl, rex, osz);
	in->osz = (uint8_t)osz;
	in->asz = (uint8_t)asz;
	if (__builtin_expect(!(op->modes & mode_bit[mode]) || (op->op == OP_LEN && !lenonly) ||
			     (pfx & (EMUL_PFX_LOCK | EMUL_PFX_OSZ | EMUL_PFX_REP | EMUL_PFX_REPNE |
				     EMUL_PFX_VEX)) || (fl & F_OALL) != F_OALL, 0)) {
		r = dec_check(in, op, lenonly);
		if (r)
			return r;
	}
	in->d = op;
	in->opsz[0] = (uint8_t)dec_opsz(in, OPND_SIZE(op->opnd[0]), osz);
	in->opsz[1] = (uint8_t)dec_opsz(in, OPND_SIZE(op->opnd[1]), osz);
	if (op->opnd[2])
		in->opsz[2] = (uint8_t)dec_size(in, OPND_SIZE(op->opnd[2]));
	in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
	if (fl & F_MODRM) {
		if (modrm >= 0xc0) {
			if (!(fl & F_REGOK))
				return EMUL_DEC_UNSUPPORTED; /* register forms never reach the MMIO path */
			in->base = (uint8_t)((modrm & 7) | ((rex & 1) << 3));
		} else {
			in->has_mem = true;
			in->seg = SEG_DS;
			r = dec_modrm(b, len, p, in, modrm, rex, asz);
			if (r < 0)
				return -r;
			p += (unsigned)r >> 4;
			n = (unsigned)r & 15;
			if (p + n > len)
				return dec_short(p + n);
			in->disp_size = (int8_t)n;
			in->disp = n == 1 ? (int8_t)b[p] : n == 4 ? (int32_t)emul_ld(b + p, 4) :
				   n == 2 ? (int16_t)emul_ld(b + p, 2) : 0;
			p += n;
		}
	}
	if (op->imm) {
		n = op->imm == IMM_1 ? 1 : op->imm == IMM_Z ? (osz == 2 ? 2u : 4u) : asz;
		if (p + n > len)
			return dec_short(p + n);
		if (op->imm == IMM_MOFFS) {
			in->has_mem = true;
			in->seg = SEG_DS;
			in->disp = (int64_t)emul_ld(b + p, n);
			in->disp_size = (int8_t)n;
		} else {
			in->imm = emul_ld(b + p, n);
			in->imm_size = (int8_t)n;
		}
		p += n;
	}
	if (in->segovr != SEG_COUNT && in->has_mem)
		in->seg = in->segovr;
	in->len = (uint8_t)p;
	return EMUL_DEC_OK;
}

int emul_decode(const uint8_t *bytes, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	return dec_run(bytes, len, mode, in, false);
}

int emul_decode_length(const uint8_t *bytes, unsigned len, enum emul_mode mode,
		       struct emul_insn *in)
{
	return dec_run(bytes, len, mode, in, true);
}
