/* Manifest reader and form encoder (SDM Vol. 2A chapter 2 encoding rules). */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emul/emul.h"

static unsigned mf_sizes(const char *s)
{
	unsigned m = 0;

	if (!strcmp(s, "-"))
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned v = (unsigned)strtoul(p, (char **)&p, 10);
		m |= v == 8 ? 1 : v == 16 ? 2 : v == 32 ? 4 : v == 64 ? 8 : 0;
		if (!*p)
			break;
	}
	return m;
}

static unsigned mf_modes(const char *s)
{
	return (strstr(s, "real") ? MF_MODE_REAL : 0) | (strstr(s, "p16") ? MF_MODE_P16 : 0) |
	       (strstr(s, "p32") ? MF_MODE_P32 : 0) | (strstr(s, "l64") ? MF_MODE_L64 : 0);
}

static uint32_t mf_flags(const char *s)
{
	static const struct { const char *n; uint32_t bit; } f[] = {
		{ "cf", EMUL_RFLAGS_CF }, { "pf", EMUL_RFLAGS_PF }, { "af", EMUL_RFLAGS_AF },
		{ "zf", EMUL_RFLAGS_ZF }, { "sf", EMUL_RFLAGS_SF }, { "of", EMUL_RFLAGS_OF },
	};
	uint32_t m = 0;

	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strstr(s, f[i].n))
			m |= f[i].bit;
	return m;
}

static int mf_parse(char *line, struct mf_entry *e)
{
	char *c[15];
	int n = 0;

	for (char *t = strtok(line, "\t\n"); t && n < 15; t = strtok(NULL, "\t\n"))
		c[n++] = t;
	if (n != 15)
		return -1;
	memset(e, 0, sizeof(*e));
	snprintf(e->form, sizeof(e->form), "%s", c[0]);
	snprintf(e->mnem, sizeof(e->mnem), "%s", c[1]);
	e->map = !strcmp(c[2], "1") ? EMUL_MAP_1 : !strcmp(c[2], "0f") ? EMUL_MAP_0F :
		 !strcmp(c[2], "0f38") ? EMUL_MAP_0F38 : !strcmp(c[2], "vex0f") ? EMUL_MAP_VEX0F :
		 !strcmp(c[2], "vex0f38") ? EMUL_MAP_VEX0F38 : -1;
	e->opcode = (uint8_t)strtoul(c[3], NULL, 16);
	e->modrm = !strcmp(c[4], "-") ? -1 : !strcmp(c[4], "r") ? 8 :
		   strlen(c[4]) == 2 ? MF_FIXED_MODRM | (int)strtoul(c[4], NULL, 16) : atoi(c[4]);
	e->pfx = !strcmp(c[5], "-") ? 0 : (uint8_t)strtoul(c[5], NULL, 16);
	e->vexl = !strcmp(c[6], "-") ? -1 : !strcmp(c[6], "256") ? 1 : 0;
	e->osz = mf_sizes(c[7]);
	e->imm = !strcmp(c[8], "ib") ? MF_IB : !strcmp(c[8], "iw") ? MF_IW :
		 !strcmp(c[8], "iz") ? MF_IZ : !strcmp(c[8], "ibs") ? MF_IBS :
		 !strcmp(c[8], "moffs") ? MF_MOFFS : MF_IMM_NONE;
	e->modes = mf_modes(c[9]);
	e->lock = c[10][0] == 'y';
	e->rep = !strcmp(c[11], "rep") ? MF_REP : !strcmp(c[11], "repcc") ? MF_REPCC : MF_REP_NONE;
	snprintf(e->cpu, sizeof(e->cpu), "%s", c[12]);
	e->undef = mf_flags(c[13]);
	e->io = strstr(c[14], "io") != NULL;
	e->d64 = strstr(c[14], "d64") != NULL;
	e->no66 = strstr(c[14], "no66") != NULL;
	e->len = strstr(c[14], "len") != NULL;
	e->np = strstr(c[14], "np") != NULL;
	e->regform = strstr(c[14], "reg") != NULL;
	return e->map < 0 || !e->modes ? -1 : 0;
}

int mf_load(const char *path, struct mf_entry *out, int max)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, ln = 0;

	if (!f) {
		printf("manifest: cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (line[0] == '#' || line[0] == '\n' || !strncmp(line, "form\t", 5))
			continue;
		if (n == max || mf_parse(line, &out[n])) {
			printf("manifest: %s:%d: bad line\n", path, ln);
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	return n;
}

const char *mf_mnemonic(const struct mf_entry *m, unsigned osz, char *buf, unsigned len)
{
	const char *p = m->mnem;
	int idx = 0;

	if (strchr(p, '|'))
		for (unsigned b = 1, s = 8; s < osz; b <<= 1, s <<= 1)
			if (m->osz & b)
				idx++;
	while (idx-- > 0 && strchr(p, '|'))
		p = strchr(p, '|') + 1;
	snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), p);
	return buf;
}

unsigned mf_mode_bit(enum emul_mode mode)
{
	switch (mode) {
	case EMUL_MODE_REAL:
	case EMUL_MODE_VM86:
		return MF_MODE_REAL;
	case EMUL_MODE_PROT16:
		return MF_MODE_P16;
	case EMUL_MODE_PROT32:
		return MF_MODE_P32;
	default:
		return MF_MODE_L64;
	}
}

int mf_disp_bytes(const struct mf_enc *v)
{
	if (v->asz == 16)
		return v->mod == 1 ? 1 : v->mod == 2 || (v->mod == 0 && v->rm == 6) ? 2 : 0;
	if (v->mod == 1)
		return 1;
	if (v->mod == 2 || (v->mod == 0 && v->rm == 5) ||
	    (v->mod == 0 && v->rm == 4 && (v->sib & 7) == 5))
		return 4;
	return 0;
}

/* Operand-size prefix / REX.W for the wanted size: 0 none, 1 = 66, 2 = REX.W, -1 impossible. */
static int mf_osz_sel(const struct mf_entry *m, const struct mf_enc *v)
{
	bool l64 = v->mode == EMUL_MODE_LONG64;
	unsigned def = (v->mode == EMUL_MODE_PROT32 || l64) ? 32 : 16;

	if (!m->osz || v->osz == 8)
		return 0;
	if ((m->pfx == 0x66 && m->vexl < 0) || m->no66) /* size by REX.W only */
		return v->osz == 64 ? (l64 ? 2 : -1) : v->osz == 32 ? 0 : -1;
	if (m->vexl >= 0)
		return v->osz == 64 ? (l64 ? 2 : -1) : v->osz == 32 ? 0 : -1;
	if (v->osz == 64)
		return !l64 ? -1 : m->d64 ? 0 : 2;
	if (l64 && m->d64 && v->osz == 32)
		return -1;
	return v->osz == def ? 0 : 1;
}

static int mf_put(uint8_t *out, int p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		out[p++] = (uint8_t)(v >> (8 * i));
	return p;
}

static int mf_vex(const struct mf_entry *m, const struct mf_enc *v, int w, uint8_t *out, int p)
{
	unsigned pp = m->pfx == 0x66 ? 1 : m->pfx == 0xf3 ? 2 : m->pfx == 0xf2 ? 3 : 0;
	unsigned r = (v->rex >> 2) & 1, x = (v->rex >> 1) & 1, b = v->rex & 1;
	unsigned mm = m->map == EMUL_MAP_VEX0F ? 1 : 2, vv = (~v->vvvv) & 15;
	unsigned l = m->vexl == 1;

	if (!v->vex3 && mm == 1 && !x && !b && !w) {
		out[p++] = 0xc5;
		out[p++] = (uint8_t)((!r) << 7 | vv << 3 | l << 2 | pp);
		return p;
	}
	out[p++] = 0xc4;
	out[p++] = (uint8_t)((!r) << 7 | (!x) << 6 | (!b) << 5 | mm);
	out[p++] = (uint8_t)(w << 7 | vv << 3 | l << 2 | pp);
	return p;
}

static int mf_imm_bytes(const struct mf_entry *m, const struct mf_enc *v)
{
	switch (m->imm) {
	case MF_IB:
	case MF_IBS:
		return 1;
	case MF_IW:
		return 2;
	case MF_IZ:
		return v->osz == 16 ? 2 : 4;
	case MF_MOFFS:
		return (int)v->asz / 8;
	default:
		return 0;
	}
}

int mf_encode(const struct mf_entry *m, const struct mf_enc *v, uint8_t *out)
{
	bool l64 = v->mode == EMUL_MODE_LONG64, vex = m->vexl >= 0;
	unsigned adef = l64 ? 64 : v->mode == EMUL_MODE_PROT32 ? 32 : 16;
	int sel = mf_osz_sel(m, v), p = 0;
	uint8_t rex;

	if (sel < 0 || (v->asz == 16 && l64) || (v->asz == 64 && !l64) || !(m->modes & mf_mode_bit(v->mode)))
		return -1;
	for (int i = 0; i < v->npre; i++) {
		if (i == v->npre - 1 && v->junk_rex && l64)
			out[p++] = v->junk_rex;
		out[p++] = v->pre[i];
	}
	if (v->asz != adef)
		out[p++] = 0x67;
	if (sel == 1)
		out[p++] = 0x66;
	if (vex)
		p = mf_vex(m, v, sel == 2 || v->vex_w, out, p);
	else {
		if (m->pfx)
			out[p++] = m->pfx;
		rex = (uint8_t)((sel == 2 ? 8 : 0) | (l64 ? v->rex & 7 : 0));
		if (l64 && (rex || v->force_rex))
			out[p++] = 0x40 | rex;
		if (m->map != EMUL_MAP_1)
			out[p++] = 0x0f;
		if (m->map == EMUL_MAP_0F38)
			out[p++] = 0x38;
	}
	out[p++] = m->opcode;
	if (m->modrm >= MF_FIXED_MODRM) {
		out[p++] = (uint8_t)m->modrm;
	} else if (m->modrm >= 0) {
		out[p++] = (uint8_t)(v->mod << 6 | (m->modrm == 8 ? v->reg & 7 : m->modrm) << 3 | v->rm);
		if (v->asz != 16 && v->rm == 4 && v->mod != 3)
			out[p++] = v->sib;
		p = mf_put(out, p, (uint64_t)v->disp, mf_disp_bytes(v));
	}
	return mf_put(out, p, v->imm, mf_imm_bytes(m, v));
}
