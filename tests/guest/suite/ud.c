/* #UD for valid instructions outside the coverage manifest on the window (x87 FLD, FXSAVE, LGDT,
 * CMPXCHG8B) and for an instruction fetch from it. The RAM run shows the CPU runs each of them
 * (so Keel's #UD is about the manifest, not the encoding); the device run must raise #UD at the
 * instruction with every register as it was, make no device access, and count one injected #UD. */
#include "suite.h"

struct ud {
	const char *name;
	uint8_t code[4], len;
	uint16_t msize, align;
};

/* ModRM 03/13/0b with r/m 011: [rbx] / [ebx] (SDM Vol. 2 table 2-2). */
static const struct ud uds[] = {
	{ "fld-m32", { 0xd9, 0x03 }, 2, 4, 1 },          /* D9 /0 */
	{ "fxsave", { 0x0f, 0xae, 0x03 }, 3, 512, 16 },  /* 0F AE /0 */
	{ "lgdt", { 0x0f, 0x01, 0x13 }, 3, 10, 1 },      /* 0F 01 /2 */
	{ "cmpxchg8b", { 0x0f, 0xc7, 0x0b }, 3, 8, 1 },  /* 0F C7 /1 */
};

struct gdtr {
	uint16_t limit;
	ureg base;
} __attribute__((packed));

static bool regs_same(const struct engine *e, const struct ctx *a, const struct ctx *b)
{
	for (unsigned i = 0; i < e->nregs; i++)
		if ((a->gpr[i] ^ b->gpr[i]) & mask(reg_bytes(e)))
			return false;
	return !((a->rflags ^ b->rflags) & (FL_ARITH | FL_DF));
}

static bool ud_one(const struct engine *e, const struct ud *u, char *why, size_t len)
{
	static struct sc c;
	static struct ctx out;
	struct plan p;
	struct xres x;
	c = (struct sc){ .len = u->len, .kind = SC_MODRM, .cls = SC_R, .msize = 1, .osz = 4,
			 .asz = (uint8_t)reg_bytes(e), .base = RBX, .index = SC_NOREG, .scale = 1,
			 .reg = SC_NOREG, .vvvv = SC_NOREG, .seg = SEG_DS, .flags = SCF_FAULT };
	memcpy(c.code, u->code, u->len);
	plan_make(e, &c, &p);
	uint32_t off = 0x400 + (rnd(0x800) & ~(uint32_t)(u->align - 1));
	p.in.gpr[RBX] = e->role_lin[ROLE_WIN] + off;
	struct gdtr g;
	__asm__ volatile("sgdt %0" : "=m"(g));
	memcpy(win_ram + off, &g, sizeof(g)); /* LGDT on RAM reloads the GDTR it has */
	tdev_bulk_write(off, win_ram + off, u->msize);
	uint64_t ud0 = hc_stat(KEEL_STAT_INJECTED_UD);
	tdev_log_clear();
	e->run(e, &p, 0, c.code, c.len, &out, &x);
	uint32_t log = tdev_log_total();
	uint64_t uds_n = hc_stat(KEEL_STAT_INJECTED_UD) - ud0;
	if (!x.exc || x.vector != 6 || x.rip != SC_SLOT || !regs_same(e, &out, &p.in) || log || uds_n != 1) {
		g_snprintf(why, len, "device run: exception %u (vector %u) at %lx, registers %s, %u accesses, #UD counter +%lu",
			   x.exc, x.vector, (unsigned long)x.rip, regs_same(e, &out, &p.in) ? "kept" : "changed",
			   log, (unsigned long)uds_n);
		return false;
	}
	e->run(e, &p, 1, c.code, c.len, &out, &x);
	if (x.exc) {
		g_snprintf(why, len, "the CPU itself faults on it (vector %u): not a valid form", x.vector);
		return false;
	}
	return true;
}

/* A jump into the window: the CPU's fetch exits and Keel injects #UD at the target. */
static bool ud_fetch(const struct engine *e, char *why, size_t len)
{
	static struct sc c = { .code = { 0x90 }, .len = 1, .kind = SC_MODRM, .msize = 1, .osz = 4,
			       .base = SC_NOREG, .index = SC_NOREG, .reg = SC_NOREG, .vvvv = SC_NOREG,
			       .seg = SEG_DS, .flags = SCF_FAULT };
	static struct ctx out;
	uint8_t jmp[5] = { 0xe9 };
	int32_t rel = (int32_t)(SC_TA + 0x100 - (SC_SLOT + 5));
	struct plan p;
	struct xres x;
	memcpy(jmp + 1, &rel, 4);
	c.asz = (uint8_t)reg_bytes(e);
	plan_make(e, &c, &p);
	flat_prologue(jmp, 5, jmp, 5, 0x800);
	uint64_t ud0 = hc_stat(KEEL_STAT_INJECTED_UD);
	e->run(e, &p, 0, c.code, c.len, &out, &x);
	flat_prologue(0, 0, 0, 0, 0);
	uint64_t n = hc_stat(KEEL_STAT_INJECTED_UD) - ud0;
	if (x.exc && x.vector == 6 && x.rip == SC_TA + 0x100 && n == 1 && regs_same(e, &out, &p.in))
		return true;
	g_snprintf(why, len, "exception %u vector %u at %lx, #UD counter +%lu", x.exc, x.vector,
		   (unsigned long)x.rip, (unsigned long)n);
	return false;
}

void ud_suite(const struct engine *e, const char *suite)
{
	static char why[200], name[40];
	for (unsigned i = 0; i < sizeof(uds) / sizeof(uds[0]); i++) {
		g_snprintf(name, sizeof(name), "%s", uds[i].name);
		if (ud_one(e, &uds[i], why, sizeof(why)))
			verdict_pass(suite, name);
		else
			verdict_fail(suite, name, "%s", why);
	}
	if (ud_fetch(e, why, sizeof(why)))
		verdict_pass(suite, "fetch-from-mmio");
	else
		verdict_fail(suite, "fetch-from-mmio", "%s", why);
}
