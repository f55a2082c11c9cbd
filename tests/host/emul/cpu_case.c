/* Random cases for the host-CPU oracle: operands placed so that every access lands in the
 * device window (or the RAM page), random registers, flags and immediates. */
#include "cpu_oracle.h"

#include <string.h>

#include "emul/emul.h"
#include "rng.h"

static unsigned pick_osz(const struct mf_entry *m, uint64_t *rng)
{
	unsigned opts[4], n = 0;

	if (!m->osz)
		return 0;
	for (unsigned b = 0; b < 4; b++)
		if (m->osz & (1u << b))
			opts[n++] = 8u << b;
	unsigned o = opts[rng_below(rng, n)];
	/* 64-bit mode: D64 forms have no 32-bit size */
	return m->d64 && o == 32 ? 64 : o;
}

static unsigned pick_gpr(uint64_t *rng, unsigned avoid1, unsigned avoid2)
{
	for (;;) {
		unsigned r = rng_below(rng, 16);
		if (r != EMUL_RSP && r != avoid1 && r != avoid2)
			return r;
	}
}

static bool is_string(const struct mf_entry *m)
{
	return m->map == EMUL_MAP_1 && m->modrm < 0 && m->opcode >= 0xa4 && m->opcode <= 0xaf &&
	       m->opcode != 0xa8 && m->opcode != 0xa9;
}

static unsigned mem_bytes(const struct mf_entry *m, unsigned osz)
{
	if (m->map == EMUL_MAP_VEX0F || m->map == EMUL_MAP_VEX0F38)
		return m->map == EMUL_MAP_VEX0F38 ? osz / 8 : m->vexl ? 32 : 16;
	if (!m->osz)
		return (m->opcode == 0x7e || m->opcode == 0xd6) ? 8 : 16;
	if (m->pfx == 0x66 && (m->opcode == 0x6e || m->opcode == 0x7e))
		return osz / 8;
	if (m->opcode == 0xb6 || m->opcode == 0xbe)
		return m->map == EMUL_MAP_0F ? 1 : osz / 8;
	if (m->opcode == 0xb7 || m->opcode == 0xbf)
		return m->map == EMUL_MAP_0F ? 2 : osz / 8;
	if (m->opcode == 0x63 && m->map == EMUL_MAP_1)
		return 4;
	return osz / 8;
}

/* Sets base/index/disp so that the effective address is `t` (asz 32 or 64). */
static void place_modrm(struct cpu_case *c, struct mf_enc *v, uint64_t t, uint64_t *rng,
			unsigned avoid)
{
	uint64_t *g = c->in.gpr, hi = v->asz == 32 ? rng_next(rng) << 32 : 0;
	unsigned form = rng_below(rng, 5), base = pick_gpr(rng, avoid, 99), index;
	int64_t disp = 0;

	v->mod = (uint8_t)rng_below(rng, 3);
	if (v->mod == 1)
		disp = (int8_t)rng_next(rng);
	else if (v->mod == 2)
		disp = (int32_t)(rng_next(rng) & 0xfffff) - 0x80000;
	v->rex &= 4; /* keep R */
	switch (form) {
	case 0: /* [base + disp] without SIB (rSP and r12 need one) */
		while ((base & 7) == 4)
			base = pick_gpr(rng, avoid, 99);
		if ((base & 7) == 5 && v->mod == 0)
			v->mod = 1;
		v->rm = base & 7;
		v->rex |= base >> 3;
		g[base] = t - (uint64_t)disp + hi;
		break;
	case 1: /* [base + index*scale + disp] */
	case 2: /* [index*scale + disp32], no base */
		index = pick_gpr(rng, avoid, base);
		v->rm = 4;
		if (form == 2)
			v->mod = 0, disp = 0, base = 5;
		v->sib = (uint8_t)(rng_below(rng, 4) << 6 | (index & 7) << 3 | (base & 7));
		v->rex |= (index >> 3) << 1 | (form == 1 ? base >> 3 : 0);
		g[index] = rng_below(rng, 64) + hi;
		if (form == 2) {
			disp = (int64_t)(t - ((g[index] << (v->sib >> 6)) & 0xffffffffu));
			disp = (int32_t)disp;
		} else {
			if ((base & 7) == 5 && v->mod == 0)
				v->mod = 1;
			g[base] = t - (uint64_t)disp - (g[index] << (v->sib >> 6)) + hi;
		}
		break;
	case 3: /* RIP-relative; the displacement is set once the length is known */
		v->mod = 0;
		v->rm = 5;
		break;
	default: /* [disp32] through SIB, no base, no index */
		v->mod = 0;
		v->rm = 4;
		v->sib = 0x25;
		disp = (int32_t)t;
		break;
	}
	v->disp = disp;
}

static void place_string(struct cpu_case *c, const struct mf_entry *m, struct mf_enc *v,
			 uint8_t *area, uint64_t *rng)
{
	uint64_t *g = c->in.gpr, hi = v->asz == 32 ? rng_next(rng) << 32 : 0;
	uint64_t win[2] = { (uint64_t)(area + CPU_DEV_OFF + 0x800), (uint64_t)(area + CPU_STK_OFF + 0x600) };

	g[EMUL_RSI] = win[rng_below(rng, 2)] + rng_below(rng, 0x400) + hi;
	g[EMUL_RDI] = win[rng_below(rng, 2)] + rng_below(rng, 0x400) + hi;
	g[EMUL_RCX] = rng_below(rng, 8) ? rng_below(rng, 71) : 0;
	g[EMUL_RCX] += v->asz == 32 ? rng_next(rng) << 32 : 0;
	if (rng_below(rng, 4))
		v->pre[v->npre++] = m->rep == MF_REPCC && rng_below(rng, 2) ? 0xf2 :
				    rng_below(rng, 8) ? 0xf3 : 0xf2;
	if (m->rep == MF_REPCC && rng_below(rng, 2)) { /* equal runs so REPE/REPNE end anywhere */
		for (unsigned i = 0; i < CPU_DEV_LEN; i++)
			c->in.dev[i] = (uint8_t)(rng_below(rng, 16) == 0);
		for (unsigned i = 0; i < CPU_STK_LEN; i++)
			c->in.stk[i] = (uint8_t)(rng_below(rng, 16) == 0);
		g[EMUL_RAX] = rng_below(rng, 4) ? 0 : 0x0101010101010101ull;
	}
}

static void random_state(struct cpu_case *c, uint64_t *rng)
{
	static const uint32_t fl[] = { EMUL_RFLAGS_CF, EMUL_RFLAGS_PF, EMUL_RFLAGS_AF,
				       EMUL_RFLAGS_ZF, EMUL_RFLAGS_SF, EMUL_RFLAGS_OF,
				       EMUL_RFLAGS_DF };

	for (int i = 0; i < 16; i++)
		c->in.gpr[i] = rng_next(rng);
	c->in.rflags = 2;
	for (unsigned i = 0; i < 7; i++)
		if (rng_below(rng, 2))
			c->in.rflags |= fl[i];
	for (unsigned i = 0; i < sizeof(c->in.ymm); i += 8) {
		uint64_t x = rng_next(rng);
		memcpy(&c->in.ymm[0][0] + i, &x, 8);
	}
	for (unsigned i = 0; i < CPU_DEV_LEN; i += 8) {
		uint64_t x = rng_next(rng);
		memcpy(c->in.dev + i, &x, 8);
	}
	for (unsigned i = 0; i < CPU_STK_LEN; i += 8) {
		uint64_t x = rng_next(rng);
		memcpy(c->in.stk + i, &x, 8);
	}
}

static bool aligned_form(const struct mf_entry *m)
{
	static const char *const a[] = { "movaps", "movdqa", "movntdq", "vmovaps", "vmovdqa",
					  "vmovntdq" };

	for (unsigned i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		if (!strcmp(m->mnem, a[i]))
			return true;
	return false;
}

bool cpu_case_make(struct cpu_case *c, const struct mf_entry *m, uint8_t *area, uint64_t *rng)
{
	struct mf_enc v = { .mode = EMUL_MODE_LONG64, .asz = rng_below(rng, 3) ? 64 : 32 };
	uint64_t *g = c->in.gpr, t;
	unsigned bytes;
	bool bt_reg = m->map == EMUL_MAP_0F && (m->opcode & 0xc7) == 0x83 && m->modrm == 8;

	c->m = m;
	random_state(c, rng);
	v.osz = pick_osz(m, rng);
	v.reg = (uint8_t)rng_below(rng, 8);
	v.rex = (uint8_t)(rng_below(rng, 2) << 2);
	v.force_rex = rng_below(rng, 2);
	v.vex3 = rng_below(rng, 2);
	v.vex_w = rng_below(rng, 2);
	v.vvvv = (uint8_t)rng_below(rng, 16);
	v.imm = rng_next(rng);
	if (m->lock && rng_below(rng, 2))
		v.pre[v.npre++] = 0xf0;
	if (rng_below(rng, 4) && m->vexl < 0) /* segment overrides 64-bit mode ignores */
		v.pre[v.npre++] = (uint8_t[]){ 0x26, 0x2e, 0x36, 0x3e }[rng_below(rng, 4)];
	bytes = mem_bytes(m, v.osz);
	t = (uint64_t)(area + CPU_DEV_OFF + 0x800 + rng_below(rng, 0xc00));
	if (aligned_form(m))
		t &= ~(uint64_t)(bytes - 1);
	g[EMUL_RSP] = (uint64_t)(area + CPU_STK_OFF + 0x800 - 8 * rng_below(rng, 16));
	if (is_string(m)) {
		place_string(c, m, &v, area, rng);
	} else if (m->imm == MF_MOFFS) {
		v.imm = t;
	} else if (m->modrm >= 0) {
		unsigned greg = (v.reg & 7) | (v.rex & 4) << 1;
		if (m->map == EMUL_MAP_VEX0F38 && (v.vvvv == greg || v.vvvv == EMUL_RSP))
			v.vvvv = (uint8_t)(greg ^ 1) == EMUL_RSP ? 1 : (uint8_t)(greg ^ 1);
		if (m->map == EMUL_MAP_VEX0F)
			v.vvvv = 0;
		place_modrm(c, &v, t, rng, bt_reg || m->map == EMUL_MAP_VEX0F38 ? greg : 99);
		if (m->map == EMUL_MAP_VEX0F38) {
			unsigned idx = v.rm == 4 ? ((v.sib >> 3) & 7) | ((v.rex & 2) << 2) : 99;
			unsigned base = v.rm == 4 ? (v.sib & 7) | ((v.rex & 1) << 3) : v.rm | ((v.rex & 1) << 3);
			while (v.vvvv == idx || v.vvvv == base || v.vvvv == greg || v.vvvv == EMUL_RSP)
				v.vvvv = (uint8_t)((v.vvvv + 1) & 15);
		}
		if (bt_reg) { /* bit offset, also negative, bounded to the window */
			int64_t off = (int64_t)rng_below(rng, 8000) - 4000;
			uint64_t keep = v.osz == 16 ? ~0xffffull : v.osz == 32 ? ~0xffffffffull : 0;
			g[greg] = (g[greg] & keep) | ((uint64_t)off & ~keep);
		}
		if ((m->opcode == 0x8f || (m->opcode == 0xff && m->modrm == 6)) && rng_below(rng, 3) == 0) {
			/* [rsp + disp32]: POP computes it with the incremented rSP */
			v.mod = 2;
			v.rm = 4;
			v.sib = 0x24;
			v.rex &= 4;
			v.disp = (int64_t)(t - g[EMUL_RSP]) - (m->opcode == 0x8f ? v.osz / 8 : 0);
		}
	}
	c->len = mf_encode(m, &v, c->code);
	if (c->len < 0 || c->len > 15)
		return false;
	if (m->modrm >= 0 && v.mod == 0 && v.rm == 5) { /* RIP-relative: now the length is known */
		uint64_t next = (uint64_t)area + (unsigned)c->len;
		v.disp = (int64_t)(int32_t)(t - (v.asz == 32 ? next & 0xffffffffu : next));
		c->len = mf_encode(m, &v, c->code);
	}
	return true;
}
