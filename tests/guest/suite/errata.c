/* Where the oracle itself is wrong: before a form's cases, a probe runs a known instruction on
 * RAM only and checks the CPU's result against the SDM's. If the emulated CPU gets it wrong, the
 * form cannot be judged there and is reported as a SKIP naming the CPU's error. Seen so far:
 * QEMU 7.2 TCG's MOVBE with a 16-bit operand in 16-bit code (it swaps 32 bits), and VEX in
 * 16-bit protected mode, which it decodes as LES/LDS (#UD). Bochs 2.7 passes both probes. */
#include "suite.h"

struct probe {
	const char *prefix; /* forms whose names start so */
	uint8_t modes;      /* 1 << enum sc_mode */
	uint8_t code[4];
	uint8_t msize;
	uint8_t regk;
	const char *what;
};

#define M16 (1u << MODE_P16 | 1u << MODE_REAL)
static const struct probe probes[] = {
	/* movbe ax, [bx] */
	{ "movbe_", M16, { 0x0f, 0x38, 0xf0, 0x07 }, 2, RK_GPR, "MOVBE with a 16-bit operand" },
	/* vmovdqu xmm0, [bx] */
	{ "vmov", 1u << MODE_P16, { 0xc5, 0xfa, 0x6f, 0x07 }, 16, RK_VEC, "a VEX load in 16-bit code" },
	{ "bextr", 1u << MODE_P16, { 0xc5, 0xfa, 0x6f, 0x07 }, 16, RK_VEC, "a VEX load in 16-bit code" },
};

static bool probe_run(const struct engine *e, const struct probe *pr, char *why, size_t len)
{
	struct sc c = { .len = 4, .kind = SC_MODRM, .cls = SC_R, .msize = pr->msize,
			.osz = pr->regk == RK_GPR ? 2 : 0, .asz = 2, .base = RBX, .index = SC_NOREG,
			.scale = 1, .reg = RAX, .regk = pr->regk, .vvvv = SC_NOREG, .seg = SEG_DS };
	static struct plan p;
	static struct ctx out;
	struct xres x;
	memcpy(c.code, pr->code, 4);
	if (!plan_make(e, &c, &p))
		return true;
	e->run(e, &p, 1, c.code, c.len, &out, &x);
	const uint8_t *m = win_ram + p.off;
	if (pr->regk == RK_GPR) {
		uint32_t want = ((uint32_t)p.in.gpr[RAX] & 0xffff0000u) | (uint32_t)m[0] << 8 | m[1];
		if (!x.exc && (uint32_t)out.gpr[RAX] == want)
			return true;
		g_snprintf(why, len, "the CPU itself gets %s wrong: eax %x, the SDM says %x", pr->what,
			   (uint32_t)out.gpr[RAX], want);
		return false;
	}
	static const uint8_t zero[16];
	if (!x.exc && !memcmp(out.vec[0], m, 16) && (p.vec != VEC_YMM || !memcmp(out.vec[0] + 16, zero, 16)))
		return true;
	if (x.exc)
		g_snprintf(why, len, "the CPU itself gets %s wrong: exception %u", pr->what, x.vector);
	else
		g_snprintf(why, len, "the CPU itself gets %s wrong: xmm0 is not the bytes at [bx]", pr->what);
	return false;
}

bool oracle_sound(const struct engine *e, const char *form, char *why, size_t len)
{
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *pr = &probes[i];
		if ((pr->modes & (1u << e->mode)) && !memcmp(form, pr->prefix, strlen(pr->prefix)) &&
		    !probe_run(e, pr, why, len))
			return false;
	}
	return true;
}
