/* One-pass decoder: legacy prefixes → REX → VEX → opcode → ModRM/SIB → displacement → immediate
 * (SDM Vol. 2A chapter 2). Reads only the bytes given; the tables say what is supported. The
 * full decoder here, behind the fast path of decode_fast.h. */
#include "decode_fast.h"

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
static unsigned dec_size(const struct emul_insn *in, unsigned cls)
{
	static const uint8_t fixed[] = { [S_B] = 1, [S_W] = 2, [S_D] = 4, [S_Q] = 8, [S_DQ] = 16,
					 [S_CL] = 64 };

	switch (cls) {
	case S_V:
		return in->osz;
	case S_Z:
		return in->osz == 2 ? 2 : 4;
	case S_Y:
		return dec_w(in) ? 8 : 4;
	case S_X:
		return in->vex_l ? 32 : 16;
	case S_F:
		return in->mode == EMUL_MODE_LONG64 ? 8 : 4;
	default:
		return cls < sizeof(fixed) ? fixed[cls] : 0;
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

/* Prefixes, escapes, VEX: everything before the opcode when b[0] is not a one-byte opcode. */
static __attribute__((noinline)) int dec_head(const uint8_t *b, unsigned len, unsigned *pp,
					      struct emul_insn *in, const struct emul_opdesc **op)
{
	unsigned p = 0;
	int r = 0;
	uint8_t c;

	in->pfx = in->rex = in->mand = 0;
	in->segovr = SEG_COUNT;
	in->vex_l = in->vex_w = in->vex_v = 0;
	in->map = EMUL_MAP_1;
	if (emul_prefix_kind[b[0]] != PK_ESC)
		r = dec_prefixes(b, len, &p, in);
	if (r)
		return r;
	c = b[p];
	if (c == 0x0f || (c & 0xfe) == 0xc4) {
		r = dec_escape(b, len, &p, in, op);
	} else {
		in->opc = c;
		*op = &emul_map1[c];
		p++;
	}
	*pp = p;
	return r;
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
static __attribute__((noinline)) int dec_check(const struct emul_insn *in,
					       const struct emul_opdesc *op, bool lenonly)
{
	static const uint32_t osz_flag[9] = { [2] = F_O16, [4] = F_O32, [8] = F_O64 };

	if (!(op->modes & emul_mode_bit[in->mode]) || (op->op == OP_LEN && !lenonly))
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
					     const struct emul_opdesc *op, unsigned modrm)
{
	while (op->flags & F_SUBTAB) {
		if (op->flags & F_GROUP)
			op = &emul_groups[op->sub][(modrm >> 3) & 7];
		else if (op->flags & F_RMTAB)
			op = modrm >= 0xc0 ? &emul_rmtabs[op->sub][modrm & 0x3f] : &dec_none;
		else
			op = &emul_pfxtabs[op->sub][in->mand == 0x66 ? 1 : in->mand == 0xf3 ? 2 :
						    in->mand == 0xf2 ? 3 : 0];
	}
	return op;
}

/* Operand sizes of the first two operands: the table's fixed bytes, or the operand size. */
static inline void dec_opsz(struct emul_insn *in, const struct emul_opdesc *op, unsigned osz)
{
	unsigned s0 = op->fsz[0] == FSZ_V ? osz : op->fsz[0];
	unsigned s1 = op->fsz[1] == FSZ_V ? osz : op->fsz[1];

	if (__builtin_expect(op->fsz[0] >= FSZ_MORE, 0))
		s0 = dec_size(in, OPND_SIZE(op->opnd[0]));
	if (__builtin_expect(op->fsz[1] >= FSZ_MORE, 0))
		s1 = dec_size(in, OPND_SIZE(op->opnd[1]));
	in->opsz[0] = (uint8_t)s0;
	in->opsz[1] = (uint8_t)s1;
	in->opsz[2] = op->opnd[2] ? (uint8_t)dec_size(in, OPND_SIZE(op->opnd[2])) : 0;
}

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

/* Displacement of `n` (0, 1, 2 or 4) bytes at b, sign-extended. */
static inline int64_t dec_disp(const uint8_t *b, unsigned n)
{
	return n == 1 ? (int8_t)b[0] : n == 4 ? (int32_t)emul_ld(b, 4) :
	       n == 2 ? (int16_t)emul_ld(b, 2) : 0;
}

/* The ModRM operand from byte p on: register form, or the memory operand and displacement.
 * Returns the new position, or a negative decode status. */
static inline __attribute__((always_inline)) int
dec_rm(const uint8_t *b, unsigned len, unsigned p, struct emul_insn *in, unsigned modrm,
       unsigned rex, unsigned asz, uint32_t fl)
{
	int r;
	unsigned n;

	if (modrm >= 0xc0) {
		if (!(fl & F_REGOK))
			return -EMUL_DEC_UNSUPPORTED; /* register forms never reach the MMIO path */
		in->base = (uint8_t)((modrm & 7) | ((rex & 1) << 3));
		return (int)p;
	}
	in->has_mem = true;
	r = dec_modrm(b, len, p, in, modrm, rex, asz);
	if (r < 0)
		return r;
	p += (unsigned)r >> 4;
	n = (unsigned)r & 15;
	if (p + n > len)
		return -dec_short(p + n);
	in->disp_size = (int8_t)n;
	in->disp = dec_disp(b + p, n);
	return (int)(p + n);
}

/* The immediate or moffs at byte p; returns the new position or a negative decode status. */
static inline int dec_imm(const uint8_t *b, unsigned len, unsigned p, struct emul_insn *in,
			  unsigned kind, unsigned osz, unsigned asz)
{
	unsigned n = kind == IMM_1 ? 1 : kind == IMM_Z ? (osz == 2 ? 2u : 4u) : asz;

	if (p + n > len)
		return -dec_short(p + n);
	if (kind == IMM_MOFFS) {
		in->has_mem = true;
		in->disp = (int64_t)emul_ld(b + p, n);
		in->disp_size = (int8_t)n;
		if (in->segovr != SEG_COUNT)
			in->seg = in->segovr;
	} else {
		in->imm = emul_ld(b + p, n);
		in->imm_size = (int8_t)n;
	}
	return (int)(p + n);
}

/* Everything after the opcode byte at b[p - 1], whose entry is op. */
static inline __attribute__((always_inline)) int
dec_body(const uint8_t *restrict b, unsigned len, unsigned p, enum emul_mode mode,
	 struct emul_insn *restrict in, const struct emul_opdesc *op, bool lenonly)
{
	unsigned pfx = in->pfx, rex = in->rex, modrm = 0, osz, asz, c;
	uint32_t fl = op->flags;
	int r;

	if (fl & F_MODRM) {
		if (p >= len)
			return dec_short(p + 1);
		modrm = b[p++];
	}
	in->modrm = (uint8_t)modrm;
	if (fl & F_SUBTAB) {
		op = (fl & F_SUBTAB) == F_GROUP ? &emul_groups[op->sub][(modrm >> 3) & 7] : op;
		if (op->flags & F_SUBTAB)
			op = dec_resolve(in, op, modrm);
		fl = op->flags;
	}
	c = emul_dec_sz[mode][(pfx / EMUL_PFX_OSZ) & 3];
	osz = c & 15;
	asz = c >> 4;
	if (mode == EMUL_MODE_LONG64 && ((rex & 8) || (fl & (F_D64 | F_VEXW))))
		osz = dec_osz64(in, fl, rex, osz);
	in->osz = (uint8_t)osz;
	in->asz = (uint8_t)asz;
	/* the prefix-free forms valid in this mode with every operand size pass without checks */
	if (__builtin_expect(!(op->fast & (emul_mode_bit[mode] << (lenonly ? 4 : 0))) ||
			     (osz == 2 && !(fl & F_O16)) ||
			     (pfx & (EMUL_PFX_LOCK | EMUL_PFX_OSZ | EMUL_PFX_REP | EMUL_PFX_REPNE |
				     EMUL_PFX_VEX)), 0)) {
		r = dec_check(in, op, lenonly);
		if (r)
			return r;
	}
	in->d = op;
	dec_opsz(in, op, osz);
	in->reg = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) << 1));
	in->seg = SEG_DS;
	in->base = EMUL_NOREG;
	in->index = EMUL_NOREG;
	in->scale = 1;
	in->riprel = false;
	in->has_mem = false;
	in->disp_size = 0;
	in->imm_size = 0;
	in->disp = 0;
	in->imm = 0;
	if (fl & F_MODRM) {
		r = dec_rm(b, len, p, in, modrm, rex, asz, fl);
		if (r < 0)
			return -r;
		p = (unsigned)r;
		if (__builtin_expect(in->segovr != SEG_COUNT, 0) && in->has_mem)
			in->seg = in->segovr;
	}
	if (op->imm) {
		r = dec_imm(b, len, p, in, op->imm, osz, asz);
		if (r < 0)
			return -r;
		p = (unsigned)r;
	}
	in->len = (uint8_t)p;
	return EMUL_DEC_OK;
}

static inline __attribute__((always_inline)) int
dec_run(const uint8_t *restrict b, unsigned len, enum emul_mode mode,
	struct emul_insn *restrict in, bool lenonly)
{
	const struct emul_opdesc *op;
	unsigned p = 1;
	int r;

	if (len > EMUL_INSN_MAX)
		len = EMUL_INSN_MAX;
	if (!len)
		return EMUL_DEC_SHORT;
	in->mode = (uint8_t)mode;
	op = &emul_map1[b[0]];
	if (__builtin_expect(op->flags & F_HEAD, 0)) {
		r = dec_head(b, len, &p, in, &op);
		if (r)
			return r;
	} else {
		decf_noprefix(in, b[0]);
	}
	return dec_body(b, len, p, mode, in, op, lenonly);
}

__attribute__((noinline)) int emul_decode_full(const uint8_t *bytes, unsigned len,
					       enum emul_mode mode, struct emul_insn *in)
{
	return dec_run(bytes, len, mode, in, false);
}

int emul_decode(const uint8_t *bytes, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	int r = emul_decode_fast(bytes, len, mode, in, NULL, NULL);

	return r == DEC_FULL ? emul_decode_full(bytes, len, mode, in) : r;
}

int emul_decode_length(const uint8_t *bytes, unsigned len, enum emul_mode mode,
		       struct emul_insn *in)
{
	return dec_run(bytes, len, mode, in, true);
}
