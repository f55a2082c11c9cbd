/* One-pass decoder: legacy prefixes → REX → VEX → opcode → ModRM/SIB → displacement → immediate
 * (SDM Vol. 2A chapter 2). Reads only the bytes given; the tables say what is supported. */
#include "emul_internal.h"

struct dec {
	const uint8_t *b;
	unsigned len, p;
};

/* 0: `n` more bytes are there; else the decode status to return. */
static int dec_need(const struct dec *d, unsigned n)
{
	if (d->p + n > EMUL_INSN_MAX)
		return EMUL_DEC_GP; /* SDM Vol. 2A 2.3.11: instruction longer than 15 bytes */
	return d->p + n > d->len ? EMUL_DEC_SHORT : 0;
}

static uint64_t dec_le(const struct dec *d, unsigned n)
{
	return emul_ld(d->b + d->p, n);
}

static const uint8_t mode_bit[] = {
	[EMUL_MODE_REAL] = M_REAL, [EMUL_MODE_VM86] = M_REAL, [EMUL_MODE_PROT16] = M_P16,
	[EMUL_MODE_PROT32] = M_P32, [EMUL_MODE_LONG64] = M_L64,
};

/* Bytes per size class for this instruction: the fixed ones plus v, z, y, x. */
static void dec_size_table(const struct emul_insn *in, uint8_t t[16])
{
	static const uint8_t fixed[16] = { [S_B] = 1, [S_W] = 2, [S_D] = 4, [S_Q] = 8,
					   [S_DQ] = 16, [S_CL] = 64 };
	bool w = in->mode == EMUL_MODE_LONG64 &&
		 ((in->pfx & EMUL_PFX_VEX) ? in->vex_w : (in->rex >> 3) & 1);

	__builtin_memcpy(t, fixed, 16);
	t[S_V] = in->osz;
	t[S_Z] = in->osz == 2 ? 2 : 4;
	t[S_Y] = w ? 8 : 4;
	t[S_X] = in->vex_l ? 32 : 16;
}

unsigned emul_opnd_bytes(const struct emul_insn *in, uint8_t o)
{
	uint8_t t[16];

	dec_size_table(in, t);
	return t[OPND_SIZE(o)];
}

static int dec_prefixes(struct dec *d, struct emul_insn *in)
{
	uint8_t last_rep = 0;

	for (;;) {
		int r = dec_need(d, 1);
		if (r)
			return r;
		uint8_t c = d->b[d->p];
		uint8_t k = emul_prefix_kind[c];
		if (k == PK_NONE || (k == PK_REX && in->mode != EMUL_MODE_LONG64))
			break;
		d->p++;
		if (k == PK_REX) {
			in->rex = c;
			continue;
		}
		in->rex = 0; /* SDM Vol. 2A 2.2.1: REX counts only right before the opcode */
		/* SDM Vol. 1 3.3.7.1: 64-bit mode ignores CS, DS, ES and SS overrides */
		if (k >= PK_SEG && (in->mode != EMUL_MODE_LONG64 || k - PK_SEG >= SEG_FS))
			in->segovr = k - PK_SEG;
		else if (k == PK_REP || k == PK_REPNE)
			last_rep = c;
		in->pfx |= k == PK_LOCK ? EMUL_PFX_LOCK : k == PK_REPNE ? EMUL_PFX_REPNE :
			   k == PK_REP ? EMUL_PFX_REP : k == PK_OSZ ? EMUL_PFX_OSZ :
			   k == PK_ASZ ? EMUL_PFX_ASZ : 0;
	}
	in->mand = last_rep ? last_rep : (in->pfx & EMUL_PFX_OSZ) ? 0x66 : 0;
	return 0;
}

/* VEX (SDM Vol. 2A 2.3.5): C5 = 2-byte, C4 = 3-byte form. Returns the map entry. */
static int dec_vex(struct dec *d, struct emul_insn *in, const struct emul_opdesc **out)
{
	static const uint8_t pp_mand[4] = { 0, 0x66, 0xf3, 0xf2 };
	uint8_t c = d->b[d->p], b1, b2, map = 1;
	unsigned n = c == 0xc5 ? 2 : 3;
	int r = dec_need(d, n + 1);

	if (r)
		return r;
	/* SDM Vol. 2A 2.3.2: 66, F2, F3, LOCK or REX before VEX is #UD */
	if ((in->pfx & (EMUL_PFX_LOCK | EMUL_PFX_REP | EMUL_PFX_REPNE | EMUL_PFX_OSZ)) || in->rex)
		return EMUL_DEC_UD;
	b1 = d->b[d->p + 1];
	if (n == 2) {
		b2 = b1;
		in->rex = 0x40 | ((~b1 >> 5) & 4);
	} else {
		map = b1 & 0x1f;
		b2 = d->b[d->p + 2];
		in->rex = 0x40 | ((~b1 >> 5) & 7) | ((b2 >> 4) & 8);
	}
	if (in->mode != EMUL_MODE_LONG64)
		in->rex = 0x40 | (in->rex & 8); /* R, X, B and vvvv[3] do not exist outside 64-bit mode */
	in->vex_w = b2 >> 7;
	in->vex_v = (~b2 >> 3) & (in->mode == EMUL_MODE_LONG64 ? 0xf : 0x7);
	in->vex_l = (b2 >> 2) & 1;
	in->mand = pp_mand[b2 & 3];
	in->pfx |= EMUL_PFX_VEX;
	d->p += n;
	if (map != 1 && map != 2)
		return EMUL_DEC_UNSUPPORTED;
	in->map = map == 1 ? EMUL_MAP_VEX0F : EMUL_MAP_VEX0F38;
	in->opc = d->b[d->p++];
	*out = &(map == 1 ? emul_vex0f : emul_vex0f38)[in->opc];
	return 0;
}

static int dec_opcode(struct dec *d, struct emul_insn *in, const struct emul_opdesc **out)
{
	uint8_t c = d->b[d->p];
	int r;

	if ((c == 0xc4 || c == 0xc5) && in->mode != EMUL_MODE_REAL && in->mode != EMUL_MODE_VM86) {
		r = dec_need(d, 2);
		if (r)
			return r;
		/* SDM Vol. 2A 2.3.5: outside 64-bit mode ModRM.mod != 11b means LES/LDS */
		if (in->mode == EMUL_MODE_LONG64 || d->b[d->p + 1] >= 0xc0)
			return dec_vex(d, in, out);
	}
	d->p++;
	in->opc = c;
	if (c != 0x0f) {
		*out = &emul_map1[c];
		return 0;
	}
	r = dec_need(d, 1);
	if (r)
		return r;
	c = d->b[d->p++];
	in->map = EMUL_MAP_0F;
	in->opc = c;
	if (c != 0x38) {
		*out = &emul_map0f[c];
		return 0;
	}
	r = dec_need(d, 1);
	if (r)
		return r;
	in->map = EMUL_MAP_0F38;
	in->opc = d->b[d->p++];
	*out = &emul_map0f38[in->opc];
	return 0;
}

/* 16-bit addressing forms (SDM Vol. 2A Table 2-1). */
static const uint8_t rm16_base[8] = { EMUL_RBX, EMUL_RBX, EMUL_RBP, EMUL_RBP,
				      EMUL_RSI, EMUL_RDI, EMUL_RBP, EMUL_RBX };
static const uint8_t rm16_index[8] = { EMUL_RSI, EMUL_RDI, EMUL_RSI, EMUL_RDI,
				       EMUL_NOREG, EMUL_NOREG, EMUL_NOREG, EMUL_NOREG };

static int dec_modrm16(struct dec *d, struct emul_insn *in, unsigned mod, unsigned rm)
{
	(void)d;
	in->base = rm16_base[rm];
	in->index = rm16_index[rm];
	in->disp_size = mod == 1 ? 1 : mod == 2 ? 2 : 0;
	if (mod == 0 && rm == 6) {
		in->base = EMUL_NOREG;
		in->disp_size = 2;
	}
	if (in->base == EMUL_RBP)
		in->seg = SEG_SS;
	return 0;
}

/* 32/64-bit addressing forms (SDM Vol. 2A Tables 2-2, 2-3, 2.2.1.6 RIP-relative). */
static int dec_modrm32(struct dec *d, struct emul_insn *in, unsigned mod, unsigned rm)
{
	unsigned bx = (in->rex & 1) << 3;

	in->disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		int r = dec_need(d, 1);
		if (r)
			return r;
		uint8_t sib = d->b[d->p++];
		unsigned idx = ((sib >> 3) & 7) | ((in->rex & 2) << 2);
		in->scale = 1u << (sib >> 6);
		in->index = idx == 4 ? EMUL_NOREG : idx;
		rm = sib & 7;
		if (rm == 5 && mod == 0) {
			in->disp_size = 4;
			return 0;
		}
	} else if (rm == 5 && mod == 0) {
		in->disp_size = 4;
		in->riprel = in->mode == EMUL_MODE_LONG64;
		return 0;
	}
	in->base = rm | bx;
	if (in->base == EMUL_RSP || in->base == EMUL_RBP)
		in->seg = SEG_SS;
	return 0;
}

static int dec_memory(struct dec *d, struct emul_insn *in)
{
	unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
	int r;

	if (mod == 3)
		return EMUL_DEC_UNSUPPORTED; /* register forms never reach the MMIO path */
	in->has_mem = true;
	in->seg = SEG_DS;
	r = in->asz == 2 ? dec_modrm16(d, in, mod, rm) : dec_modrm32(d, in, mod, rm);
	if (r)
		return r;
	r = dec_need(d, in->disp_size);
	if (r)
		return r;
	if (in->disp_size) {
		in->disp = (int64_t)emul_sext(dec_le(d, in->disp_size), in->disp_size);
		d->p += in->disp_size;
	}
	return 0;
}

static void dec_sizes(struct emul_insn *in, const struct emul_opdesc *op)
{
	bool osz = in->pfx & EMUL_PFX_OSZ, asz = in->pfx & EMUL_PFX_ASZ;

	switch (in->mode) {
	case EMUL_MODE_LONG64:
		in->asz = asz ? 4 : 8;
		if ((op->flags & F_VEXW) || (in->rex & 8))
			in->osz = (op->flags & F_VEXW) ? (in->vex_w ? 8 : 4) : 8;
		else
			in->osz = osz ? 2 : (op->flags & F_D64) ? 8 : 4;
		break;
	case EMUL_MODE_PROT32:
		in->asz = asz ? 2 : 4;
		in->osz = osz ? 2 : 4;
		break;
	default:
		in->asz = asz ? 4 : 2;
		in->osz = osz ? 4 : 2;
		break;
	}
}

static int dec_check(const struct emul_insn *in, const struct emul_opdesc *op)
{
	static const uint16_t osz_flag[9] = { [2] = F_O16, [4] = F_O32, [8] = F_O64 };

	if (op->op == OP_NONE || !(op->modes & mode_bit[in->mode]))
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

/* Immediate bytes by operand kind: 0 none, 1 one byte, 2 the operand's size (Ib, Iw, Iz: the
 * encoded size), 3 the address size (moffs). */
static const uint8_t kind_imm[16] = { [K_I] = 2, [K_IS] = 1, [K_IP] = 1, [K_O] = 3 };

static unsigned dec_imm_bytes(const struct emul_insn *in, unsigned i)
{
	unsigned c = kind_imm[OPND_KIND(in->d->opnd[i])];

	return c < 2 ? c : c == 2 ? in->opsz[i] : in->asz;
}

static int dec_tail(struct dec *d, struct emul_insn *in, const struct emul_opdesc *op)
{
	int r;

	for (unsigned i = 0; i < 3; i++) {
		unsigned n = dec_imm_bytes(in, i);
		if (!n)
			continue;
		r = dec_need(d, n);
		if (r)
			return r;
		if (OPND_KIND(op->opnd[i]) == K_O) {
			in->has_mem = true;
			in->seg = SEG_DS;
			in->disp = (int64_t)dec_le(d, n);
			in->disp_size = (int8_t)n;
		} else {
			in->imm = dec_le(d, n);
			in->imm_size = (int8_t)n;
		}
		d->p += n;
	}
	return 0;
}

int emul_decode(const uint8_t *bytes, unsigned len, enum emul_mode mode, struct emul_insn *in)
{
	struct dec d = { bytes, len, 0 };
	const struct emul_opdesc *op;
	int r;

	*in = (struct emul_insn){ .mode = (uint8_t)mode, .segovr = SEG_COUNT, .base = EMUL_NOREG,
				  .index = EMUL_NOREG, .scale = 1 };
	r = dec_prefixes(&d, in);
	if (!r)
		r = dec_opcode(&d, in, &op);
	if (r)
		return r;
	if (op->flags & F_MODRM) {
		r = dec_need(&d, 1);
		if (r)
			return r;
		in->modrm = d.b[d.p++];
	}
	while (op->flags & (F_GROUP | F_PFXTAB)) {
		if (op->flags & F_GROUP)
			op = &emul_groups[op->sub][(in->modrm >> 3) & 7];
		else
			op = &emul_pfxtabs[op->sub][in->mand == 0x66 ? 1 : in->mand == 0xf3 ? 2 :
						    in->mand == 0xf2 ? 3 : 0];
	}
	dec_sizes(in, op);
	r = dec_check(in, op);
	if (r)
		return r;
	in->d = op;
	uint8_t szt[16];
	dec_size_table(in, szt);
	for (unsigned i = 0; i < 3; i++)
		in->opsz[i] = szt[OPND_SIZE(op->opnd[i])];
	in->reg = ((in->modrm >> 3) & 7) | ((in->rex & 4) << 1);
	if (op->flags & F_MODRM) {
		r = dec_memory(&d, in);
		if (r)
			return r;
	}
	if (op->flags & F_IMM) {
		r = dec_tail(&d, in, op);
		if (r)
			return r;
	}
	if (in->has_mem && in->segovr != SEG_COUNT)
		in->seg = in->segovr;
	in->len = (uint8_t)d.p;
	return EMUL_DEC_OK;
}
