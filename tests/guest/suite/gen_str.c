/* String and port I/O forms: operand and address sizes, REP/REPE/REPNE, DF, counts 0, 1 and many,
 * and where each memory side lies (window or RAM). I/O forms carry the memory instruction the CPU
 * runs as their oracle: IN/OUT as a MOV from/to the bytes at the port block's cursor, INS/OUTS as
 * the MOVS that moves the same elements. */
#include "gen.h"

#include <string.h>

#define NOREG SC_NOREG
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };
#define SEG_ES 0
#define SEG_DS 3
#define SEG_FS 4

struct place {
	uint8_t src, dst, flags;
};

static int places(int str, struct place *p)
{
	int n = 0;
	switch (str) {
	case STR_MOVS:
		p[n++] = (struct place){ ROLE_WIN, ROLE_SCR, 0 };
		p[n++] = (struct place){ ROLE_SCR, ROLE_WIN, 0 };
		p[n++] = (struct place){ ROLE_WIN, ROLE_WIN, 0 };
		p[n++] = (struct place){ ROLE_WIN, ROLE_WIN, SCF_OVERLAP };
		break;
	case STR_CMPS:
		p[n++] = (struct place){ ROLE_WIN, ROLE_SCR, 0 };
		p[n++] = (struct place){ ROLE_SCR, ROLE_WIN, 0 };
		p[n++] = (struct place){ ROLE_WIN, ROLE_WIN, 0 };
		break;
	case STR_STOS:
	case STR_SCAS:
		p[n++] = (struct place){ ROLE_NONE, ROLE_WIN, 0 };
		break;
	case STR_LODS:
		p[n++] = (struct place){ ROLE_WIN, ROLE_NONE, 0 };
		break;
	case STR_INS:
		p[n++] = (struct place){ ROLE_NONE, ROLE_WIN, 0 };
		p[n++] = (struct place){ ROLE_NONE, ROLE_SCR, 0 };
		break;
	default: /* OUTS */
		p[n++] = (struct place){ ROLE_WIN, ROLE_NONE, 0 };
		p[n++] = (struct place){ ROLE_SCR, ROLE_NONE, 0 };
		break;
	}
	return n;
}

static unsigned elem_bytes(const struct form_info *f, unsigned osz)
{
	unsigned b = osz ? osz / 8 : 1;
	return (f->str == STR_INS || f->str == STR_OUTS || f->str >= STR_IN) && b > 4 ? 4 : b;
}

/* The oracle MOVS of INS/OUTS: the same prefixes, element size and address size. */
static int oracle_movs(struct gen *g, const struct mf_enc *v, unsigned elem, uint8_t *out)
{
	struct mf_enc o = *v;
	o.osz = elem * 8;
	return mf_encode(gen_find(g, elem == 1 ? "movs_b" : "movs_v"), &o, out);
}

struct str_args {
	unsigned osz, asz;
	uint8_t rep;       /* 0, 0xf3, 0xf2 */
	uint8_t df, count, segovr;
	struct place pl;
	int variant;
};

static void emit_str(struct gen *g, const struct form_info *f, const struct str_args *a)
{
	unsigned elem = elem_bytes(f, a->osz);
	struct sc c = { .form = f->index, .kind = SC_STR, .cls = (uint8_t)f->cls,
			.osz = (uint8_t)(a->osz / 8), .msize = (uint8_t)elem,
			.asz = (uint8_t)(a->asz / 8), .base = NOREG, .index = NOREG, .reg = NOREG,
			.vvvv = NOREG, .seg = a->segovr ? SEG_FS : SEG_DS, .cpu = (uint8_t)f->cpu,
			.str = (uint8_t)f->str, .rep = a->rep != 0, .df = a->df, .count = a->count,
			.src = a->pl.src, .dst = a->pl.dst, .variant = (uint8_t)a->variant,
			.flags = (uint16_t)(a->pl.flags | (a->rep == 0xf2 ? SCF_REPNE : 0) |
					   (a->segovr ? SCF_SEGBASE : 0)),
			.port = (uint8_t)gen_rand(g, KEEL_TESTDEV_P_DATA_END - elem + 1) };
	struct mf_enc v = { .mode = g->em, .osz = a->osz, .asz = a->asz };
	if (a->rep)
		v.pre[v.npre++] = a->rep;
	if (a->segovr)
		v.pre[v.npre++] = a->segovr;
	int len = mf_encode(f->m, &v, c.code);
	if (len <= 0)
		return;
	c.len = (uint8_t)len;
	if (f->str == STR_INS || f->str == STR_OUTS) {
		int ol = oracle_movs(g, &v, elem, c.ocode);
		if (ol <= 0)
			return;
		c.olen = (uint8_t)ol;
	}
	gen_emit(g, &c);
}

static void str_sizes(struct gen *g, const struct form_info *f, struct str_args *a)
{
	struct place pl[4];
	int np = places(f->str, pl);
	unsigned alt = g->asz == 64 ? 32 : g->asz == 32 ? 16 : 32;
	uint8_t reps[3] = { 0, 0xf3, 0xf2 };
	int nrep = f->m->rep == MF_REPCC ? 3 : 2;
	bool full = g->mode == MODE_L64; /* the other modes share one Bochs boot: fewer counts */
	a->asz = g->asz;
	for (int r = 0; r < nrep; r++) {
		for (uint8_t df = 0; df < 2; df++) {
			for (uint8_t cnt = r ? CNT_ZERO : CNT_ONE_NOREP; cnt <= (r ? CNT_MANY : CNT_ONE_NOREP); cnt++) {
				if ((cnt == CNT_ZERO && df) || (!full && ((!r && df) || cnt == CNT_ONE)))
					continue;
				for (int p = 0; p < np; p++) {
					a->rep = reps[r], a->df = df, a->count = cnt, a->pl = pl[p];
					a->segovr = 0;
					emit_str(g, f, a);
					a->variant++;
				}
			}
		}
	}
	a->rep = 0xf3, a->count = CNT_MANY, a->pl = pl[0];
	for (uint8_t df = 0; df < 2; df++) {
		a->asz = alt, a->df = df, a->segovr = 0;
		emit_str(g, f, a);
		a->variant++;
	}
	if (f->str == STR_MOVS || f->str == STR_CMPS || f->str == STR_LODS || f->str == STR_OUTS) {
		a->asz = g->asz, a->df = 0, a->segovr = 0x64;
		emit_str(g, f, a);
		a->variant++;
	}
}

void gen_string(struct gen *g, const struct form_info *f)
{
	struct str_args a = { 0 };
	for (unsigned b = 0; b < 4; b++) {
		if (!(f->m->osz & (1u << b)))
			continue;
		a.osz = 8u << b;
		str_sizes(g, f, &a);
	}
}

/* IN/OUT: the oracle is MOV AL/AX/EAX from [rSI] (IN) or to [rDI] (OUT), rSI/rDI pointing at the
 * cursor's bytes. */
static int oracle_mov(struct gen *g, const struct form_info *f, unsigned elem, uint8_t *out)
{
	bool in = f->str == STR_IN, b16 = g->mode >= MODE_P16;
	const char *name = elem == 1 ? (in ? "mov_Gb_Eb" : "mov_Eb_Gb") : (in ? "mov_Gv_Ev" : "mov_Ev_Gv");
	struct mf_enc v = { .mode = g->em, .osz = elem * 8, .asz = g->asz, .reg = RAX, .mod = 0 };
	v.rm = b16 ? (in ? 4 : 5) : (in ? RSI : RDI);
	return mf_encode(gen_find(g, name), &v, out);
}

void gen_io(struct gen *g, const struct form_info *f)
{
	for (unsigned b = 0; b < 4; b++) {
		if (!(f->m->osz & (1u << b)))
			continue;
		for (int t = 0; t < 2; t++) {
			unsigned osz = 8u << b, elem = elem_bytes(f, osz);
			struct sc c = { .form = f->index, .kind = SC_IO, .cls = (uint8_t)f->cls,
					.osz = (uint8_t)(osz / 8), .msize = (uint8_t)elem,
					.asz = (uint8_t)(g->asz / 8), .base = NOREG, .index = NOREG,
					.reg = NOREG, .vvvv = NOREG, .seg = SEG_DS, .cpu = (uint8_t)f->cpu,
					.str = (uint8_t)f->str, .src = ROLE_WIN, .dst = ROLE_WIN,
					.variant = (uint8_t)t,
					.port = (uint8_t)gen_rand(g, KEEL_TESTDEV_P_DATA_END - elem + 1) };
			struct mf_enc v = { .mode = g->em, .osz = osz, .asz = g->asz,
					    .imm = KEEL_TESTDEV_PORT + c.port };
			int len = mf_encode(f->m, &v, c.code), ol = oracle_mov(g, f, elem, c.ocode);
			if (len <= 0 || ol <= 0)
				continue;
			c.len = (uint8_t)len;
			c.olen = (uint8_t)ol;
			gen_emit(g, &c);
		}
	}
}
