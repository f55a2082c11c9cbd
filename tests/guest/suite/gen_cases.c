/* Generates the guest suite's case tables from emul/manifest.tsv: for every form valid in a mode,
 * its operand sizes and addressing variants as instruction bytes (encoded by the manifest tests'
 * encoder, tests/host/emul/manifest.c) plus where the guest must put each operand.
 * Usage: gen_cases MANIFEST MODE... > cases.c   (MODE: l64 p32 p16 real) */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#include "tests/host/emul/rng.h"

static const char *const mode_name[MODE_COUNT] = { "l64", "p32", "p16", "real" };
static const enum emul_mode mode_emul[MODE_COUNT] = { EMUL_MODE_LONG64, EMUL_MODE_PROT32,
						      EMUL_MODE_PROT16, EMUL_MODE_REAL };
static const unsigned mode_bit[MODE_COUNT] = { MF_MODE_L64, MF_MODE_P32, MF_MODE_P16, MF_MODE_REAL };

uint32_t gen_rand(struct gen *g, uint32_t below) { return (uint32_t)(rng_next(&g->rng) % below); }

const struct mf_entry *gen_find(const struct gen *g, const char *form)
{
	for (int i = 0; i < g->nmf; i++)
		if (!strcmp(g->mf[i].form, form))
			return &g->mf[i];
	fprintf(stderr, "gen_cases: the manifest has no form '%s'\n", form);
	exit(1);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* The access the form makes to its memory operand (SDM Vol. 2 instruction pages). */
static int form_cls(const char *mn, bool dest_mem)
{
	static const char *const rd[] = { "cmp", "test", "bt", "imul", "bextr", "movzx", "movsx",
					  "movsxd", "push", NULL };
	static const char *const alu[] = { "add", "or", "adc", "sbb", "and", "sub", "xor", NULL };
	static const char *const rmw[] = { "not", "neg", "inc", "dec", "xchg", "xadd", "cmpxchg",
					   "bts", "btr", "btc", NULL };
	static const char *const wr[] = { "movnti", "movntdq", "vmovntdq", "pop", NULL };
	static const char *const none[] = { "clflush", "clflushopt", "clwb", NULL };
	if (in_list(mn, rd))
		return SC_R;
	if (in_list(mn, alu))
		return dest_mem ? SC_RW : SC_R;
	if (in_list(mn, rmw))
		return SC_RW;
	if (in_list(mn, wr))
		return SC_W;
	if (in_list(mn, none))
		return SC_NONE;
	return dest_mem ? SC_W : SC_R; /* the moves */
}

static int form_str(const char *mn)
{
	static const char *const s[] = { "movs", "cmps", "stos", "lods", "scas", "ins", "outs",
					 "in", "out", NULL };
	for (int i = 0; s[i]; i++)
		if (!strncmp(mn, s[i], strlen(s[i])) && (i >= 7 || strlen(mn) == strlen(s[i]) + 1))
			return i;
	return -1;
}

static int cpu_of(const char *s)
{
	static const char *const n[CPU_COUNT] = { "base", "sse", "sse2", "avx", "bmi1", "movbe",
						  "clflush", "clflushopt", "clwb" };
	for (int i = 0; i < CPU_COUNT; i++)
		if (!strcmp(s, n[i]))
			return i;
	fprintf(stderr, "gen_cases: unknown cpu feature '%s'\n", s);
	exit(1);
}

static void form_analyse(const struct mf_entry *m, struct form_info *f)
{
	static const char *const aligned[] = { "movaps", "movdqa", "movntdq", "vmovaps",
					       "vmovdqa", "vmovntdq", NULL };
	char mn[32], name[48], *tok[4];
	int nt = 0;
	memset(f, 0, sizeof(*f));
	f->m = m;
	snprintf(mn, sizeof(mn), "%.*s", (int)strcspn(m->mnem, "|"), m->mnem);
	snprintf(name, sizeof(name), "%.47s", m->form);
	for (char *t = strtok(name, "_"); t && nt < 4; t = strtok(NULL, "_"))
		tok[nt++] = t;
	for (int i = 1; i < nt; i++) {
		if (strchr("EMWO", tok[i][0]) && !f->memtok[0])
			snprintf(f->memtok, sizeof(f->memtok), "%s", tok[i]);
		if (tok[i][0] == 'G')
			f->regk = !strncmp(mn, "bt", 2) ? RK_BITOFF : RK_GPR;
		if (tok[i][0] == 'V')
			f->regk = RK_VEC;
		if (tok[i][0] == 'B')
			f->vvvv = true;
	}
	f->str = m->rep != MF_REP_NONE || m->io ? form_str(mn) : -1;
	f->align = in_list(mn, aligned);
	f->cmpxchg = !strcmp(mn, "cmpxchg");
	f->cpu = cpu_of(m->cpu);
	f->cls = form_cls(mn, nt > 1 && strchr("EMWO", tok[1][0]));
	if (m->io)
		f->kind = f->str >= STR_IN ? SC_IO : SC_STR;
	else if (m->rep != MF_REP_NONE)
		f->kind = SC_STR;
	else if (m->imm == MF_MOFFS)
		f->kind = SC_MOFFS;
	else if (m->modrm < 0)
		f->kind = SC_NOMEM;
	else
		f->kind = !strcmp(mn, "push") ? SC_PUSH : !strcmp(mn, "pop") ? SC_POP : SC_MODRM;
}

/* Operand-type letters of the SDM's notation (Vol. 2A A.2.2): b w d q dq, v/y by operand size,
 * x by VEX.L, z = v capped at 32 bits. */
unsigned gen_msize(const struct form_info *f, unsigned osz)
{
	const char *t = f->memtok + 1;
	if (!strcmp(t, "b"))
		return 1;
	if (!strcmp(t, "w"))
		return 2;
	if (!strcmp(t, "d"))
		return 4;
	if (!strcmp(t, "q"))
		return 8;
	if (!strcmp(t, "dq"))
		return 16;
	if (!strcmp(t, "x"))
		return f->m->vexl == 1 ? 32 : 16;
	if (!strcmp(t, "z"))
		return osz > 32 ? 4 : osz / 8;
	return osz / 8; /* v, y */
}

static void emit_bytes(FILE *o, const char *field, const uint8_t *b, unsigned n)
{
	fprintf(o, ".%s = {", field);
	for (unsigned i = 0; i < n; i++)
		fprintf(o, "%s0x%02x", i ? "," : "", b[i]);
	fprintf(o, "}, ");
}

void gen_emit(struct gen *g, const struct sc *c)
{
	FILE *o = g->out;
	fprintf(o, "\t{ ");
	emit_bytes(o, "code", c->code, c->len);
	fprintf(o, ".len = %u, ", c->len);
	if (c->olen) {
		emit_bytes(o, "ocode", c->ocode, c->olen);
		fprintf(o, ".olen = %u, ", c->olen);
	}
	fprintf(o, ".form = %u, .kind = %u, .cls = %u, .msize = %u, .osz = %u, .asz = %u,\n\t  "
		".base = %u, .index = %u, .scale = %u, .reg = %u, .regk = %u, .vvvv = %u, .seg = %u, "
		".cpu = %u, .flags = 0x%x,\n\t  .str = %u, .rep = %u, .df = %u, .count = %u, "
		".src = %u, .dst = %u, .port = %u, .disp = %d, .moff = 0x%x, .variant = %u, "
		".undef = 0x%x },\n",
		c->form, c->kind, c->cls, c->msize, c->osz, c->asz, c->base, c->index, c->scale,
		c->reg, c->regk, c->vvvv, c->seg, c->cpu, c->flags, c->str, c->rep, c->df,
		c->count, c->src, c->dst, c->port, c->disp, c->moff, c->variant, g->undef);
	g->n++;
}

static void gen_form(struct gen *g, const struct form_info *f)
{
	struct sc c = { .form = f->index, .kind = SC_NOMEM, .base = SC_NOREG, .index = SC_NOREG,
			.reg = SC_NOREG, .vvvv = SC_NOREG, .cpu = (uint8_t)f->cpu };
	switch (f->kind) {
	case SC_MODRM:
	case SC_PUSH:
	case SC_POP:
		gen_modrm(g, f);
		break;
	case SC_MOFFS:
		gen_moffs(g, f);
		break;
	case SC_STR:
		gen_string(g, f);
		break;
	case SC_IO:
		gen_io(g, f);
		break;
	default:
		gen_emit(g, &c); /* reported as a SKIP: nothing to place */
		break;
	}
}

static void gen_forms_table(FILE *o, const struct mf_entry *mf, int n)
{
	fprintf(o, "const struct sc_form sc_forms[] = {\n");
	for (int i = 0; i < n; i++) {
		unsigned modes = 0;
		for (int k = 0; k < MODE_COUNT; k++)
			if (mf[i].modes & mode_bit[k])
				modes |= 1u << k;
		fprintf(o, "\t{ \"%s\", 0x%x },\n", mf[i].form, modes);
	}
	fprintf(o, "};\nconst uint32_t sc_nforms = %d;\n\n", n);
}

int main(int argc, char **argv)
{
	static struct mf_entry all[MF_MAX], mf[MF_MAX];
	int nall, n = 0;
	bool want[MODE_COUNT] = { 0 };
	if (argc < 3 || (nall = mf_load(argv[1], all, MF_MAX)) < 0) {
		fprintf(stderr, "usage: gen_cases MANIFEST MODE... (modes: l64 p32 p16 real)\n");
		return 2;
	}
	for (int i = 0; i < nall; i++)
		if (!all[i].len)
			mf[n++] = all[i];
	for (int a = 2; a < argc; a++) {
		int k = 0;
		while (k < MODE_COUNT && strcmp(argv[a], mode_name[k]))
			k++;
		if (k == MODE_COUNT) {
			fprintf(stderr, "gen_cases: unknown mode '%s'\n", argv[a]);
			return 2;
		}
		want[k] = true;
	}
	printf("/* Generated by tests/guest/suite/gen_cases.c from emul/manifest.tsv: do not edit. */\n"
	       "#include \"suite/cases.h\"\n\n");
	gen_forms_table(stdout, mf, n);
	for (int k = 0; k < MODE_COUNT; k++) {
		struct gen g = { .mode = (enum sc_mode)k, .em = mode_emul[k], .out = stdout,
				 .asz = k == MODE_L64 ? 64 : k == MODE_P32 ? 32 : 16,
				 .ngpr = k == MODE_L64 ? 16 : 8, .rng = 0x5eed0000u + (unsigned)k,
				 .mf = all, .nmf = nall };
		if (!want[k])
			continue;
		printf("static const struct sc cases_%s[] = {\n", mode_name[k]);
		for (int i = 0; i < n; i++) {
			struct form_info f;
			if (!(mf[i].modes & mode_bit[k]))
				continue;
			form_analyse(&mf[i], &f);
			g.undef = mf[i].undef;
			f.index = (uint16_t)i;
			gen_form(&g, &f);
		}
		printf("};\n\n");
		fprintf(stderr, "gen_cases: %s: %u cases\n", mode_name[k], g.n);
	}
	printf("const struct sc_table sc_tables[MODE_COUNT] = {\n");
	for (int k = 0; k < MODE_COUNT; k++)
		if (want[k])
			printf("\t[%d] = { cases_%s, sizeof(cases_%s) / sizeof(cases_%s[0]) },\n", k,
			       mode_name[k], mode_name[k], mode_name[k]);
	printf("};\n");
	return 0;
}
