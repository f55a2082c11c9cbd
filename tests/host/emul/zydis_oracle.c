/* Decode oracle: every manifest form, generated systematically in every mode, operand size,
 * address size, addressing form and prefix decoration, must be accepted by emul_decode() and
 * agree with Zydis 4 on length, mnemonic, operands, operand sizes and displacement; then seeded
 * random byte strings: Keel agrees with Zydis or declines, never accepts what Zydis rejects. */
#include <Zydis/Zydis.h>
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emul/emul_internal.h"
#include "manifest.h"
#include "rng.h"

struct zop {
	int type; /* 1 register, 2 memory, 3 immediate */
	unsigned size;
	int reg, base, index, scale, seg;
	int64_t disp;
	uint64_t imm;
};

static struct mf_entry ents[MF_MAX];
static int nent;
static unsigned long n_fail_print, n_capstone;

/* Zydis 4.0 misdecodes 67h + REX.B + SIB.base = 101b + mod = 00b in 64-bit mode (reports r13d
 * and no displacement, yet counts the disp32 in the length; SDM Vol. 2A Table 2-5 says no base,
 * disp32). For a memory-operand disagreement Capstone decides: agreement with Capstone counts. */
static bool capstone_mem_agrees(const uint8_t *b, unsigned len, enum emul_mode mode,
				const struct zop *k)
{
	static csh h[3];
	static bool init;
	int mi = mode == EMUL_MODE_LONG64 ? 2 : mode == EMUL_MODE_PROT32 ? 1 : 0;
	cs_insn *ci;
	bool ok = false;

	if (!init) {
		cs_open(CS_ARCH_X86, CS_MODE_16, &h[0]);
		cs_open(CS_ARCH_X86, CS_MODE_32, &h[1]);
		cs_open(CS_ARCH_X86, CS_MODE_64, &h[2]);
		for (int i = 0; i < 3; i++)
			cs_option(h[i], CS_OPT_DETAIL, CS_OPT_ON);
		init = true;
	}
	if (cs_disasm(h[mi], b, len, 0, 1, &ci) != 1)
		return false;
	for (int i = 0; i < ci->detail->x86.op_count; i++) {
		const cs_x86_op *o = &ci->detail->x86.operands[i];
		if (o->type != X86_OP_MEM)
			continue;
		const char *cb = o->mem.base ? cs_reg_name(h[mi], o->mem.base) : "none";
		const char *cx = o->mem.index ? cs_reg_name(h[mi], o->mem.index) : "none";
		ok = !strcmp(cb, k->base ? ZydisRegisterGetString(k->base) : "none") &&
		     !strcmp(cx, k->index ? ZydisRegisterGetString(k->index) : "none") &&
		     (o->mem.index ? o->mem.scale : 0) == k->scale &&
		     (uint64_t)o->mem.disp == (uint64_t)k->disp && ci->size == len;
		break;
	}
	cs_free(ci, 1);
	return ok;
}

static ZydisMachineMode zmode(enum emul_mode m, bool compat)
{
	switch (m) {
	case EMUL_MODE_REAL:
	case EMUL_MODE_VM86:
		return ZYDIS_MACHINE_MODE_REAL_16;
	case EMUL_MODE_PROT16:
		return ZYDIS_MACHINE_MODE_LEGACY_16;
	case EMUL_MODE_PROT32:
		return compat ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 : ZYDIS_MACHINE_MODE_LEGACY_32;
	default:
		return ZYDIS_MACHINE_MODE_LONG_64;
	}
}

static int zgpr(unsigned size, unsigned reg, bool rex)
{
	if (size == 1 && rex && reg >= 4 && reg < 8)
		return ZYDIS_REGISTER_SPL + (int)reg - 4;
	ZydisRegisterClass c = size == 1 ? ZYDIS_REGCLASS_GPR8 : size == 2 ? ZYDIS_REGCLASS_GPR16 :
			       size == 4 ? ZYDIS_REGCLASS_GPR32 : ZYDIS_REGCLASS_GPR64;
	if (size == 1 && reg >= 8)
		return ZYDIS_REGISTER_R8B + (int)reg - 8;
	return ZydisRegisterEncode(c, (ZyanU8)reg);
}

/* Keel's explicit operands in Intel order (string operands are implicit in Zydis). */
static int keel_ops(const struct emul_insn *in, struct zop *o)
{
	int n = 0;

	for (int i = 0; i < 3; i++) {
		uint8_t d = in->d->opnd[i];
		unsigned k = OPND_KIND(d), sz = emul_opnd_bytes(in, d);
		struct zop z = { 0 };
		bool str = in->d->op == OP_STR;

		if (k == K_NONE || k == K_XS || k == K_YD || k == K_STK || (str && (k == K_ACC || k == K_DX)))
			continue;
		z.size = sz * 8;
		if (k == K_E && !in->has_mem) { /* register form (length-only entries) */
			o[n++] = (struct zop){ .type = 1, .size = z.size, .reg = zgpr(sz, in->base, true) };
			continue;
		}
		switch (k) {
		case K_E:
		case K_O:
			z.type = 2;
			z.base = in->riprel ? (in->asz == 8 ? ZYDIS_REGISTER_RIP : ZYDIS_REGISTER_EIP) :
				 in->base == EMUL_NOREG ? 0 : zgpr(in->asz, in->base, true);
			z.index = in->index == EMUL_NOREG ? 0 : zgpr(in->asz, in->index, true);
			z.scale = in->index == EMUL_NOREG ? 0 : in->scale;
			z.disp = in->disp;
			z.seg = ZYDIS_REGISTER_ES + in->seg;
			break;
		case K_G:
			z.type = 1;
			z.reg = zgpr(sz, in->reg, in->rex);
			break;
		case K_B:
			z.type = 1;
			z.reg = zgpr(sz, in->vex_v, true);
			break;
		case K_ACC:
			z.type = 1;
			z.reg = zgpr(sz, 0, false);
			break;
		case K_DX:
			z.type = 1;
			z.reg = ZYDIS_REGISTER_DX;
			break;
		case K_V:
			z.type = 1;
			z.reg = (in->pfx & EMUL_PFX_VEX) && in->vex_l ? ZYDIS_REGISTER_YMM0 + in->reg :
				ZYDIS_REGISTER_XMM0 + in->reg;
			/* Zydis sizes a source XMM by the part read (MOVD/MOVQ stores) */
			if (i == 0 || sz >= 16)
				z.size = (in->pfx & EMUL_PFX_VEX) && in->vex_l ? 256 : 128;
			break;
		case K_IS:
			z.type = 3;
			z.size = 8; /* Zydis sizes imm8 by its encoding */
			z.imm = emul_sext(in->imm, 1);
			break;
		default: /* immediates */
			z.type = 3;
			z.imm = emul_trunc(emul_sext(in->imm, (unsigned)in->imm_size), sz);
			break;
		}
		o[n++] = z;
	}
	return n;
}

/* Zydis's visible operands; only the explicit ones for length-only forms, whose implicit
 * register operands (VMRUN's rAX...) Keel's tables do not describe. */
static int zydis_ops(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo, struct zop *o,
		     bool explicit_only)
{
	int n = 0;

	for (int i = 0; i < zi->operand_count; i++) {
		const ZydisDecodedOperand *p = &zo[i];
		struct zop z = { 0 };

		if (p->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN ||
		    (explicit_only && p->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT))
			continue;
		z.size = p->size;
		if (p->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			z.type = 1;
			z.reg = p->reg.value;
		} else if (p->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			z.type = 2;
			z.base = p->mem.base;
			z.index = p->mem.index;
			z.scale = p->mem.index ? p->mem.scale : 0;
			z.disp = p->mem.disp.value;
			z.seg = p->mem.segment;
		} else {
			z.type = 3;
			z.imm = p->imm.value.u;
		}
		o[n++] = z;
	}
	return n;
}

/* Memory operand sizes Zydis reports differently: CLFLUSH* names the cache line. */
static bool zop_equal(const struct zop *a, const struct zop *b, unsigned asz, char *why)
{
	if (a->type != b->type || a->size != b->size) {
		sprintf(why, "operand type/size %d/%u vs zydis %d/%u", a->type, a->size, b->type, b->size);
		return false;
	}
	if (a->type == 1 && a->reg != b->reg) {
		sprintf(why, "register %s vs zydis %s", ZydisRegisterGetString(a->reg),
			ZydisRegisterGetString(b->reg));
		return false;
	}
	if (a->type == 3 && emul_trunc(a->imm, a->size / 8) != emul_trunc(b->imm, a->size / 8)) {
		sprintf(why, "imm %#llx vs zydis %#llx", (unsigned long long)a->imm,
			(unsigned long long)b->imm);
		return false;
	}
	if (a->type == 2 && (a->base != b->base || a->index != b->index || a->scale != b->scale ||
			     emul_trunc((uint64_t)a->disp, asz) != emul_trunc((uint64_t)b->disp, asz) ||
			     a->seg != b->seg)) {
		sprintf(why, "mem base %s index %s*%d disp %#llx seg %s vs zydis %s %s*%d %#llx %s",
			ZydisRegisterGetString(a->base), ZydisRegisterGetString(a->index), a->scale,
			(unsigned long long)a->disp, ZydisRegisterGetString(a->seg),
			ZydisRegisterGetString(b->base), ZydisRegisterGetString(b->index), b->scale,
			(unsigned long long)b->disp, ZydisRegisterGetString(b->seg));
		return false;
	}
	return true;
}

enum { CMP_AGREE, CMP_DECLINED, CMP_MISMATCH, CMP_BOTH_REJECT };

static const struct mf_entry *mf_find(const struct emul_insn *in)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < nent; i++) {
			const struct mf_entry *m = &ents[i];
			bool pfx_ok = m->map == EMUL_MAP_1 || m->map == EMUL_MAP_0F38 ||
				      (pass == 0 ? m->pfx == in->mand : !m->pfx);
			if (m->map == in->map && m->opcode == in->opc && pfx_ok &&
			    (m->modrm < 0 || m->modrm == 8 || m->modrm == ((in->modrm >> 3) & 7) ||
			     m->modrm == (MF_FIXED_MODRM | in->modrm)) &&
			    (m->vexl < 0 || (unsigned)m->vexl == in->vex_l))
				return m;
		}
	return NULL;
}

static unsigned keel_osz_bits(const struct emul_insn *in, const struct mf_entry *m)
{
	if (!m->osz)
		return 0;
	if (m->osz == 1)
		return 8;
	if (m->vexl >= 0 || m->pfx == 0x66 || m->no66)
		return emul_opnd_bytes(in, OPND(K_E, S_Y)) * 8;
	return in->osz * 8;
}

/* Compare one byte string, decoded by emul_decode or (lenonly) emul_decode_length. */
static int compare(const uint8_t *b, unsigned len, enum emul_mode mode, bool compat, bool lenonly,
		   char *why)
{
	ZydisDecoder zd;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	struct emul_insn in;
	struct zop ko[4], zz[ZYDIS_MAX_OPERAND_COUNT];
	ZydisMachineMode zm = zmode(mode, compat);
	int kr = lenonly ? emul_decode_length(b, len, mode, &in) : emul_decode(b, len, mode, &in);
	int nk, nz;
	bool zok;
	char mn[32];

	ZydisDecoderInit(&zd, zm, zm == ZYDIS_MACHINE_MODE_LONG_64 ? ZYDIS_STACK_WIDTH_64 :
			 zm == ZYDIS_MACHINE_MODE_LEGACY_32 || zm == ZYDIS_MACHINE_MODE_LONG_COMPAT_32 ?
			 ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
	zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zd, b, len, &zi, zo));
	why[0] = 0;
	if (kr == EMUL_DEC_GP) {
		if (zok) {
			sprintf(why, "keel #GP (too long), zydis accepts length %u", zi.length);
			return CMP_MISMATCH;
		}
		return CMP_BOTH_REJECT;
	}
	if (kr != EMUL_DEC_OK) {
		if (!zok)
			return CMP_BOTH_REJECT;
		sprintf(why, "keel status %d, zydis %s", kr, ZydisMnemonicGetString(zi.mnemonic));
		return CMP_DECLINED;
	}
	if (!zok) {
		sprintf(why, "keel accepts (len %u), zydis rejects", in.len);
		return CMP_MISMATCH;
	}
	if (in.len != zi.length) {
		sprintf(why, "length %u vs zydis %u", in.len, zi.length);
		return CMP_MISMATCH;
	}
	const struct mf_entry *m = mf_find(&in);
	if (!m) {
		sprintf(why, "keel accepts a form missing from the manifest");
		return CMP_MISMATCH;
	}
	mf_mnemonic(m, keel_osz_bits(&in, m), mn, sizeof(mn));
	if (strcmp(mn, ZydisMnemonicGetString(zi.mnemonic))) {
		sprintf(why, "mnemonic %s vs zydis %s", mn, ZydisMnemonicGetString(zi.mnemonic));
		return CMP_MISMATCH;
	}
	if (in.asz * 8 != zi.address_width) {
		sprintf(why, "address size %u vs zydis %u", in.asz * 8, zi.address_width);
		return CMP_MISMATCH;
	}
	nk = keel_ops(&in, ko);
	nz = zydis_ops(&zi, zo, zz, in.d->op == OP_LEN);
	if (nk != nz) {
		sprintf(why, "%d explicit operands vs zydis %d", nk, nz);
		return CMP_MISMATCH;
	}
	for (int i = 0; i < nk; i++) {
		if (zop_equal(&ko[i], &zz[i], in.asz, why))
			continue;
		if (ko[i].type != 2 || zz[i].type != 2 || ko[i].size != zz[i].size ||
		    !capstone_mem_agrees(b, in.len, mode, &ko[i]))
			return CMP_MISMATCH;
		n_capstone++;
	}
	return CMP_AGREE;
}

static void hex(const uint8_t *b, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02x ", b[i]);
}

static void report(const char *what, const uint8_t *b, unsigned n, enum emul_mode mode, const char *why)
{
	static const char *last;
	static unsigned per;
	char h[64];

	per = what == last ? per + 1 : 0;
	last = what;
	if (per >= 2 || n_fail_print++ >= 200)
		return;
	hex(b, n, h);
	printf("  %s: mode %d bytes %s: %s\n", what, mode, h, why);
}


static const enum emul_mode all_modes[] = { EMUL_MODE_REAL, EMUL_MODE_PROT16, EMUL_MODE_PROT32,
					    EMUL_MODE_LONG64 };
/* SIB bytes: no index, index*scale, base 5 (disp32 when mod = 0), index 4 = none. */
static const uint8_t sibs[] = { 0x24, 0x25, 0x00, 0x0b, 0x4d, 0x88, 0xc5, 0xe5, 0x65, 0x1c,
				0xb4, 0xf7 };
static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

struct gen_stats {
	unsigned long cases, declined, mismatched;
};

static void decorate(const struct mf_entry *m, struct mf_enc *v, unsigned d, uint64_t *rng)
{
	v->npre = 0;
	v->junk_rex = 0;
	v->force_rex = false;
	switch (d % 8) {
	case 1:
		v->pre[v->npre++] = segs[rng_below(rng, 6)];
		break;
	case 2:
		v->pre[v->npre++] = segs[rng_below(rng, 6)];
		v->pre[v->npre++] = segs[rng_below(rng, 6)];
		break;
	case 3:
		if (m->lock)
			v->pre[v->npre++] = 0xf0;
		v->pre[v->npre++] = 0x3e;
		v->pre[v->npre++] = 0x3e;
		break;
	case 4:
		v->pre[v->npre++] = 0x2e;
		v->junk_rex = (uint8_t)(0x40 | rng_below(rng, 16));
		break;
	case 5:
		if (m->rep)
			v->pre[v->npre++] = m->rep == MF_REPCC && rng_below(rng, 2) ? 0xf2 : 0xf3;
		break;
	case 6:
		v->force_rex = true;
		break;
	case 7: /* 66/F2/F3 that select nothing (66 0F A2 is CPUID) */
		if (m->len && !m->np && !m->pfx)
			v->pre[v->npre++] = (uint8_t[]){ 0x66, 0xf3, 0xf2 }[rng_below(rng, 3)];
		break;
	}
}

/* emul_decode's accepted set must be a subset of emul_decode_length's, with the same length;
 * its fast path must give what the full decoder alone gives, field for field. */
static bool decoders_consistent(const uint8_t *b, unsigned n, enum emul_mode mode, char *why)
{
	struct emul_insn a, l, f;
	int ra, rl, rf;

	memset(&a, 0xa5, sizeof(a));
	memset(&f, 0xa5, sizeof(f));
	ra = emul_decode(b, n, mode, &a);
	rl = emul_decode_length(b, n, mode, &l);
	rf = emul_decode_full(b, n, mode, &f);
	if (ra == EMUL_DEC_OK && (rl != EMUL_DEC_OK || l.len != a.len || l.d != a.d)) {
		sprintf(why, "emul_decode accepts (len %u), emul_decode_length says %d", a.len, rl);
		return false;
	}
	if (ra != rf || (ra == EMUL_DEC_OK && memcmp(&a, &f, sizeof(a)))) {
		sprintf(why, "emul_decode says %d, the full decoder alone %d%s", ra, rf,
			ra == rf ? " with other fields" : "");
		return false;
	}
	return true;
}

static void gen_one(const struct mf_entry *m, struct mf_enc *v, struct gen_stats *st,
		    unsigned long *ncase)
{
	uint8_t b[32];
	char why[256];
	int n = mf_encode(m, v, b);

	if (n < 0)
		return;
	(*ncase)++;
	st->cases++;
	struct emul_insn in;
	if (n > EMUL_INSN_MAX) { /* too long once decorated: must be #GP(0) */
		if (emul_decode_length(b, (unsigned)n, v->mode, &in) != EMUL_DEC_GP ||
		    (!m->len && emul_decode(b, (unsigned)n, v->mode, &in) != EMUL_DEC_GP)) {
			st->mismatched++;
			report(m->form, b, (unsigned)n, v->mode, "over 15 bytes without #GP");
		}
		return;
	}
	if (m->len && emul_decode(b, (unsigned)n, v->mode, &in) == EMUL_DEC_OK) {
		st->mismatched++;
		report(m->form, b, (unsigned)n, v->mode, "emul_decode accepts a length-only form");
		return;
	}
	for (int k = 0; k < n; k++) /* every proper prefix of the encoding: more bytes needed */
		if (emul_decode_length(b, (unsigned)k, v->mode, &in) != EMUL_DEC_SHORT ||
		    (!m->len && emul_decode(b, (unsigned)k, v->mode, &in) != EMUL_DEC_SHORT)) {
			st->mismatched++;
			report(m->form, b, (unsigned)k, v->mode, "a truncated encoding is not EMUL_DEC_SHORT");
			return;
		}
	if (!decoders_consistent(b, (unsigned)n, v->mode, why)) {
		st->mismatched++;
		report(m->form, b, (unsigned)n, v->mode, why);
		return;
	}
	int r = m->len ? CMP_AGREE : compare(b, (unsigned)n, v->mode, st->cases & 1, false, why);
	if (r == CMP_AGREE)
		r = compare(b, (unsigned)n, v->mode, st->cases & 1, true, why);
	if (r == CMP_AGREE)
		return;
	if (r == CMP_DECLINED || r == CMP_BOTH_REJECT) {
		st->declined++;
		report(m->form, b, (unsigned)n, v->mode, why[0] ? why : "both reject");
	} else {
		st->mismatched++;
		report(m->form, b, (unsigned)n, v->mode, why);
	}
}

/* Every addressing form for address size v->asz, each with a rotating decoration. */
static void gen_forms(const struct mf_entry *m, struct mf_enc *v, struct gen_stats *st,
		      unsigned long *ncase, uint64_t *rng)
{
	unsigned d = 0;
	bool l64 = v->mode == EMUL_MODE_LONG64;

	if (m->modrm < 0 || m->modrm >= MF_FIXED_MODRM) {
		for (d = 0; d < 8; d++) {
			decorate(m, v, d, rng);
			v->imm = rng_next(rng);
			gen_one(m, v, st, ncase);
		}
		return;
	}
	for (unsigned mod = 0; mod < (m->regform ? 4u : 3u); mod++)
		for (unsigned rm = 0; rm < 8; rm++)
			for (unsigned s = 0; s < (v->asz != 16 && rm == 4 && mod != 3 ? sizeof(sibs) : 1); s++) {
				v->mod = (uint8_t)mod;
				v->rm = (uint8_t)rm;
				v->sib = sibs[s];
				v->reg = (uint8_t)rng_below(rng, 8);
				v->rex = l64 ? (uint8_t)rng_below(rng, 8) : 0;
				v->disp = (int64_t)rng_next(rng);
				v->imm = rng_next(rng);
				v->vex3 = rng_below(rng, 2);
				v->vex_w = rng_below(rng, 2);
				v->vvvv = m->map == EMUL_MAP_VEX0F38 ? (uint8_t)rng_below(rng, l64 ? 16 : 8) : 0;
				decorate(m, v, d++, rng);
				if (m->vexl >= 0)
					v->npre = 0, v->force_rex = false;
				gen_one(m, v, st, ncase);
			}
}

static void systematic(uint64_t seed, unsigned *failed_entries, struct gen_stats *st)
{
	uint64_t rng = seed;

	for (int i = 0; i < nent; i++) {
		const struct mf_entry *m = &ents[i];
		unsigned long ncase = 0;
		unsigned long before = st->declined + st->mismatched;
		for (unsigned mi = 0; mi < 4; mi++) {
			enum emul_mode mode = all_modes[mi];
			if (!(m->modes & mf_mode_bit(mode)))
				continue;
			for (unsigned so = 0; so < 5; so++) {
				static const unsigned oszs[] = { 0, 8, 16, 32, 64 };
				unsigned osz = oszs[so];
				if (osz ? !(m->osz & (1u << (so - 1))) : m->osz != 0)
					continue;
				for (unsigned asz = 16; asz <= 64; asz *= 2) {
					struct mf_enc v = { .mode = mode, .osz = osz, .asz = asz };
					gen_forms(m, &v, st, &ncase, &rng);
				}
			}
		}
		unsigned long bad = st->declined + st->mismatched - before;
		if (!ncase || bad) {
			(*failed_entries)++;
			printf("VERDICT FAIL emul_zydis/%s %lu of %lu encodings disagree or declined\n",
			       m->form, bad, ncase);
		} else {
			printf("VERDICT PASS emul_zydis/%s %lu encodings\n", m->form, ncase);
		}
	}
}

/* Random strings: a manifest encoding with bytes changed, prefix soup, or plain noise. */
static unsigned random_bytes(uint64_t *rng, uint8_t *b, enum emul_mode *mode)
{
	static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64,
				       0x65, 0x40, 0x48, 0x44, 0x41, 0x4f, 0xc4, 0xc5, 0x0f };
	unsigned kind = rng_below(rng, 10), n;

	*mode = all_modes[rng_below(rng, 4)];
	for (unsigned i = 0; i < 16; i++)
		b[i] = (uint8_t)rng_next(rng);
	if (kind < 4) {
		const struct mf_entry *m = &ents[rng_below(rng, (unsigned)nent)];
		struct mf_enc v = { .mode = *mode, .asz = *mode == EMUL_MODE_LONG64 ? 64 :
					      *mode == EMUL_MODE_PROT32 ? 32 : 16 };
		v.osz = m->osz == 1 ? 8 : m->osz ? (*mode == EMUL_MODE_LONG64 || *mode == EMUL_MODE_PROT32 ? 32 : 16) : 0;
		v.mod = (uint8_t)rng_below(rng, 4);
		v.rm = (uint8_t)rng_below(rng, 8);
		v.sib = (uint8_t)rng_next(rng);
		v.reg = (uint8_t)rng_below(rng, 8);
		v.disp = (int64_t)rng_next(rng);
		v.imm = rng_next(rng);
		int k = mf_encode(m, &v, b);
		if (k > 0) {
			for (unsigned j = rng_below(rng, 3); j-- > 0;)
				b[rng_below(rng, (unsigned)k)] = (uint8_t)rng_next(rng);
			return (unsigned)k + rng_below(rng, 3) > 15 ? 15 : (unsigned)k + rng_below(rng, 3);
		}
	} else if (kind < 7) {
		n = rng_below(rng, 6);
		for (unsigned i = 0; i < n; i++)
			b[i] = pfx[rng_below(rng, sizeof(pfx))];
	}
	return 1 + rng_below(rng, 15);
}

static void random_phase(uint64_t seed, unsigned long count, struct gen_stats *st)
{
	uint64_t rng = seed ^ 0x5eedull;
	uint8_t b[32];
	char why[256];
	enum emul_mode mode;
	unsigned long agree[2] = { 0 }, declined[2] = { 0 }, reject[2] = { 0 };

	for (unsigned long i = 0; i < count; i++) {
		unsigned n = random_bytes(&rng, b, &mode);
		for (int lo = 0; lo < 2; lo++) {
			int r = compare(b, n, mode, i & 1, lo, why);
			if (r == CMP_AGREE)
				agree[lo]++;
			else if (r == CMP_DECLINED)
				declined[lo]++;
			else if (r == CMP_BOTH_REJECT)
				reject[lo]++;
			else {
				st->mismatched++;
				report(lo ? "random/length" : "random", b, n, mode, why);
			}
		}
		if (!decoders_consistent(b, n, mode, why)) {
			st->mismatched++;
			report("random/consistency", b, n, mode, why);
		}
	}
	for (int lo = 0; lo < 2; lo++)
		printf("emul_zydis random (%s): %lu strings: %lu agree, %lu declined by Keel, %lu rejected by both\n",
		       lo ? "emul_decode_length" : "emul_decode", count, agree[lo], declined[lo], reject[lo]);
	st->cases += count;
}

int main(void)
{
	uint64_t seed = rng_seed();
	struct gen_stats sys = { 0 }, rnd = { 0 };
	unsigned failed = 0;
	const char *n_env = getenv("EMUL_ZYDIS_RANDOM");
	unsigned long nrand = n_env ? strtoul(n_env, NULL, 0) : 1000000;

	nent = mf_load("emul/manifest.tsv", ents, MF_MAX);
	if (nent <= 0) {
		printf("VERDICT FAIL emul_zydis/manifest cannot load emul/manifest.tsv\n");
		return 1;
	}
	printf("emul_zydis: seed %#llx (set EMUL_SEED to repeat)\n", (unsigned long long)seed);
	systematic(seed, &failed, &sys);
	printf("emul_zydis systematic: %lu encodings of %d forms, %lu in-manifest encodings declined, %lu mismatched\n",
	       sys.cases, nent, sys.declined, sys.mismatched);
	printf("emul_zydis: %lu memory operands where Zydis 4.0 is known wrong, decided by Capstone\n",
	       n_capstone);
	printf("%s emul_zydis/declined %lu in-manifest encodings declined\n",
	       sys.declined ? "VERDICT FAIL" : "VERDICT PASS", sys.declined);
	random_phase(seed, nrand, &rnd);
	printf("%s emul_zydis/random %lu strings, %lu mismatches (seed %#llx)\n",
	       rnd.mismatched ? "VERDICT FAIL" : "VERDICT PASS", nrand, rnd.mismatched,
	       (unsigned long long)seed);
	return failed || sys.declined || sys.mismatched || rnd.mismatched ? 1 : 0;
}
