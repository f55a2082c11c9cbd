/* ModRM and moffs forms: the addressing variants of each mode (SDM Vol. 2A 2.1.5 tables 2-1 to
 * 2-3, 2.2.1.6 RIP-relative addressing) with the registers the guest must set. */
#include "gen.h"

#include <string.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };
#define NOREG SC_NOREG
#define SEG_ES 0
#define SEG_SS 2
#define SEG_DS 3
#define SEG_FS 4

/* 16-bit ModRM r/m (table 2-1): base and index registers, default segment. */
static const uint8_t rm16_base[8] = { RBX, RBX, RBP, RBP, RSI, RDI, RBP, RBX };
static const uint8_t rm16_index[8] = { RSI, RDI, RSI, RDI, NOREG, NOREG, NOREG, NOREG };

struct var {
	int id;
	unsigned asz;     /* bits */
	int mod;
	uint8_t base, index, scale_log;
	int rm16;         /* 16-bit forms: r/m, else -1 */
	bool riprel, absolute;
	uint8_t segovr;   /* segment override prefix or 0 */
	uint8_t seg;      /* the segment the operand uses */
	uint8_t flags;
	bool lock, junk;  /* LOCK; ignored prefixes (64-bit DS override, empty REX) */
};

static uint8_t pick(struct gen *g, const uint8_t *avoid, int navoid)
{
	for (;;) {
		uint8_t r = (uint8_t)gen_rand(g, g->ngpr);
		bool ok = r != RSP;
		for (int i = 0; i < navoid; i++)
			ok = ok && r != avoid[i];
		if (ok)
			return r;
	}
}

static unsigned window_off(struct gen *g, unsigned size, bool align)
{
	unsigned off = gen_rand(g, SC_WIN_BYTES - size - 64) + 32;
	return align ? off & ~(size - 1) : off;
}

/* ModRM/SIB/REX bits for a 32/64-bit address. */
static void enc_mem32(struct mf_enc *v, const struct var *a, int32_t disp)
{
	uint8_t b = a->base == NOREG ? 5 : a->base & 7, x = a->index == NOREG ? 4 : a->index & 7;
	v->mod = (uint8_t)a->mod;
	if (a->base != NOREG && (a->base & 7) == 5 && !a->mod)
		v->mod = 1; /* mod 00 with r/m or SIB base 101 means no base (table 2-2, 2-3) */
	v->disp = disp;
	v->rex = (uint8_t)((v->rex & 4) | (a->index != NOREG ? (a->index >> 3) << 1 : 0) |
			   (a->base != NOREG ? a->base >> 3 : 0));
	if (a->riprel || (a->absolute && v->mode != EMUL_MODE_LONG64)) {
		v->mod = 0;
		v->rm = 5;
	} else if (a->index != NOREG || a->base == NOREG || (a->base & 7) == 4) {
		v->rm = 4;
		v->sib = (uint8_t)(a->scale_log << 6 | x << 3 | b);
	} else {
		v->rm = b;
	}
}

static int32_t pick_disp(struct gen *g, int mod, unsigned asz)
{
	if (mod == 1)
		return (int8_t)gen_rand(g, 256);
	if (mod == 2)
		return asz == 16 ? (int16_t)gen_rand(g, 0x10000) :
				   (int32_t)gen_rand(g, 0x200000) - 0x100000;
	return 0;
}

/* ModRM.reg and VEX.vvvv; registers whose value the guest must choose (the address, a bit
 * offset, CMPXCHG's accumulator) are not shared. */
static void pick_regs(struct gen *g, const struct form_info *f, const struct var *a, struct sc *c,
		      struct mf_enc *v)
{
	uint8_t avoid[3] = { a->base, a->index, f->cmpxchg ? RAX : NOREG };
	if (f->regk == RK_VEC || f->regk == RK_GPR)
		c->reg = (uint8_t)gen_rand(g, g->ngpr);
	else if (f->regk == RK_BITOFF)
		c->reg = pick(g, avoid, 2);
	if (f->cmpxchg && c->reg == RAX)
		c->reg = RCX;
	if (c->reg != NOREG) {
		v->reg = c->reg & 7;
		v->rex = (uint8_t)((v->rex & 3) | (c->reg >> 3) << 2);
	}
	if (f->vvvv)
		c->vvvv = v->vvvv = pick(g, avoid, 0);
	if (f->regk == RK_GPR && c->osz == 1 && g->mode == MODE_L64)
		v->force_rex = gen_rand(g, 2);
}

static bool fixed_offset(const struct var *a)
{
	return a->riprel || a->absolute || (a->base == NOREG && a->index == NOREG);
}

/* CMPXCHG's accumulator must hold the value the case chooses, not part of the address. */
static uint8_t not_rax(uint8_t r, uint8_t other)
{
	return r != RAX ? r : other == RSI ? RDI : RSI;
}

static void emit_var(struct gen *g, const struct form_info *f, const struct var *va, unsigned osz,
		     uint8_t extra)
{
	const struct mf_entry *m = f->m;
	struct var av = *va, *a = &av;
	if (f->cmpxchg && a->rm16 < 0) {
		a->base = not_rax(a->base, a->index);
		a->index = not_rax(a->index, a->base);
	}
	struct sc c = { .form = f->index, .kind = (uint8_t)f->kind, .cls = (uint8_t)f->cls,
			.osz = (uint8_t)(osz / 8), .asz = (uint8_t)(a->asz / 8), .base = a->base,
			.index = a->index, .scale = (uint8_t)(1u << a->scale_log), .reg = NOREG,
			.regk = (uint8_t)f->regk, .vvvv = NOREG, .seg = a->seg, .cpu = (uint8_t)f->cpu,
			.variant = (uint8_t)a->id, .flags = (uint16_t)(a->flags | extra) };
	struct mf_enc v = { .mode = g->em, .osz = osz, .asz = a->asz, .vex3 = gen_rand(g, 2),
			    .imm = (uint64_t)gen_rand(g, ~0u) << 32 | gen_rand(g, ~0u) };
	c.msize = (uint8_t)gen_msize(f, osz);
	c.flags |= (f->align ? SCF_ALIGN : 0) | (m->vexl == 1 ? SCF_YMM : 0);
	if (a->lock)
		v.pre[v.npre++] = 0xf0;
	if (a->segovr)
		v.pre[v.npre++] = a->segovr;
	if (a->junk) {
		v.pre[v.npre++] = 0x3e;
		v.force_rex = true;
	}
	pick_regs(g, f, a, &c, &v);
	int32_t disp = a->base == RSP ? SC_RSP_DISP : pick_disp(g, a->mod, a->asz);
	if (fixed_offset(a)) {
		c.moff = (uint16_t)window_off(g, c.msize, f->align);
		disp = a->asz == 16 ? (int32_t)c.moff :
		       (int32_t)(SC_TA + c.moff - ((a->flags & SCF_SEGBASE) ? SC_SEGB : 0));
	}
	if (a->asz == 16) {
		v.mod = (uint8_t)a->mod;
		v.rm = (uint8_t)a->rm16;
		v.disp = disp;
	} else {
		enc_mem32(&v, a, disp);
	}
	int len = mf_encode(m, &v, c.code);
	if (len > 0 && a->riprel) {
		disp = (int32_t)(SC_TA + c.moff - (SC_SLOT + (unsigned)len));
		v.disp = disp;
		len = mf_encode(m, &v, c.code);
	}
	if (len <= 0)
		return;
	c.len = (uint8_t)len;
	c.disp = disp;
	gen_emit(g, &c);
}

static void emit_osz(struct gen *g, const struct form_info *f, const struct var *a, unsigned osz)
{
	emit_var(g, f, a, osz, 0);
	if (f->cmpxchg)
		emit_var(g, f, a, osz, SCF_CMPEQ);
	if (f->align && a->id == 0 && g->mode <= MODE_P32)
		emit_var(g, f, a, osz, SCF_MISALIGN);
}

/* Long mode gets every operand size in every addressing variant; the other modes, whose cases
 * run on Bochs in one boot with two more modes, take the sizes in turn over the variants. */
static void emit_all_osz(struct gen *g, const struct form_info *f, const struct var *a)
{
	static unsigned turn;
	unsigned sizes[4], n = 0;
	if (!f->m->osz) {
		emit_osz(g, f, a, 0);
		return;
	}
	for (unsigned b = 0; b < 4; b++)
		if ((f->m->osz & (1u << b)) && (g->mode == MODE_L64 || b < 3))
			sizes[n++] = 8u << b;
	if (g->mode != MODE_L64 && n) {
		emit_osz(g, f, a, sizes[turn++ % n]);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		emit_osz(g, f, a, sizes[i]);
}

static struct var var32(int id, unsigned asz, int mod, uint8_t base, uint8_t index, uint8_t sl)
{
	return (struct var){ .id = id, .asz = asz, .mod = mod, .base = base, .index = index,
			     .scale_log = sl, .rm16 = -1,
			     .seg = (base == RSP || base == RBP) ? SEG_SS : SEG_DS };
}

static struct var var16(int id, int mod, int rm)
{
	bool abs = mod == 0 && rm == 6;
	return (struct var){ .id = id, .asz = 16, .mod = mod, .rm16 = rm,
			     .base = abs ? NOREG : rm16_base[rm], .index = abs ? NOREG : rm16_index[rm],
			     .seg = (rm == 2 || rm == 3 || (rm == 6 && mod)) ? SEG_SS : SEG_DS };
}

/* Two different general registers other than rSP; `hi` draws the first from r8-r15. */
static void two_gprs(struct gen *g, bool hi, uint8_t *a, uint8_t *b)
{
	do
		*a = (uint8_t)(gen_rand(g, 8) + (hi && g->ngpr > 8 ? 8 : 0));
	while (*a == RSP);
	do
		*b = (uint8_t)gen_rand(g, g->ngpr);
	while (*b == RSP || *b == *a);
}

/* 32/64-bit addressing: [base+disp8], SIB with disp32, RIP-relative or [disp32], the other
 * address size (67h), [rsp+disp32], SIB without base, an FS override with a nonzero base,
 * LOCK and ignored prefixes. */
static int vars_flat(struct gen *g, const struct form_info *f, struct var *v)
{
	bool l64 = g->mode == MODE_L64, stack = f->kind != SC_MODRM;
	unsigned asz = l64 ? 64 : 32;
	uint8_t b, x, b2, x2;
	int n = 0;
	two_gprs(g, true, &b, &x);
	two_gprs(g, false, &b2, &x2);
	v[n++] = var32(0, asz, 1, b, NOREG, 0);
	v[n++] = var32(1, asz, 2, x, b, (uint8_t)gen_rand(g, 4));
	v[n] = var32(2, asz, 0, NOREG, NOREG, 0);
	v[n].riprel = l64;
	v[n++].absolute = !l64;
	if (l64) {
		v[n++] = var32(3, 32, 1, b2, x2, (uint8_t)gen_rand(g, 4));
	} else { /* 67h in 32-bit code: 16-bit addressing, through FS whose base is SC_TA */
		int rm = (int)gen_rand(g, 8);
		if (stack && (rm == 2 || rm == 3))
			rm = 7;
		v[n] = var16(3, 1, rm);
		v[n].segovr = 0x64, v[n].seg = SEG_FS, v[n++].flags = SCF_SEGBASE;
	}
	v[n++] = var32(4, asz, 2, RSP, NOREG, 0);
	v[n++] = var32(5, asz, 0, NOREG, b, (uint8_t)gen_rand(g, 4));
	v[n] = var32(6, asz, 0, x, NOREG, 0);
	v[n].segovr = 0x64, v[n].seg = SEG_FS, v[n++].flags = SCF_SEGBASE;
	if (f->m->lock || l64) {
		v[n] = var32(7, asz, 1, b2, NOREG, 0);
		v[n].lock = f->m->lock, v[n++].junk = l64;
	}
	return n;
}

/* 16-bit addressing (real mode, 16-bit protected mode): every r/m over the three mods, 67h
 * 32-bit forms, segment overrides, LOCK. The stack forms keep off BP (its default is SS, the
 * stack). */
static int vars_16(struct gen *g, const struct form_info *f, struct var *v)
{
	static const int stack_rm[] = { 0, 1, 4, 5, 7 };
	static unsigned rot;
	bool stack = f->kind != SC_MODRM;
	uint8_t b, x;
	int n = 0;
	for (int mod = 0; mod < 3; mod++) {
		int rm = stack ? stack_rm[rot++ % 5] : (int)(rot++ % 8);
		v[n++] = var16(mod, mod, rm);
	}
	do /* EBP as a base means SS: the stack forms keep their operand off the stack */
		two_gprs(g, false, &b, &x);
	while (stack && (b == RBP || x == RBP));
	v[n++] = var32(3, 32, 1, b, NOREG, 0);
	v[n++] = var32(4, 32, 2, x, b, (uint8_t)gen_rand(g, 4));
	v[n] = var16(5, 1, stack ? 7 : (int)(rot++ % 8));
	v[n].segovr = (uint8_t[]){ 0x26, 0x64, 0x65 }[gen_rand(g, 3)];
	v[n].seg = v[n].segovr == 0x26 ? SEG_ES : v[n].segovr == 0x64 ? SEG_FS : 5;
	n++;
	if (f->m->lock) {
		v[n] = var16(6, 2, stack ? 4 : (int)(rot++ % 8));
		v[n++].lock = true;
	}
	return n;
}

void gen_modrm(struct gen *g, const struct form_info *f)
{
	struct var v[10];
	int n = g->mode <= MODE_P32 ? vars_flat(g, f, v) : vars_16(g, f, v);
	for (int i = 0; i < n; i++)
		emit_all_osz(g, f, &v[i]);
}

static void emit_moffs(struct gen *g, const struct form_info *f, const struct var *a, unsigned osz)
{
	struct sc c = { .form = f->index, .kind = SC_MOFFS, .cls = (uint8_t)f->cls,
			.osz = (uint8_t)(osz / 8), .msize = (uint8_t)(osz / 8), .asz = (uint8_t)(a->asz / 8),
			.base = NOREG, .index = NOREG, .reg = NOREG, .vvvv = NOREG, .seg = a->seg,
			.cpu = (uint8_t)f->cpu, .variant = (uint8_t)a->id, .flags = a->flags };
	struct mf_enc v = { .mode = g->em, .osz = osz, .asz = a->asz };
	c.moff = (uint16_t)window_off(g, c.msize, false);
	if (a->segovr)
		v.pre[v.npre++] = a->segovr;
	if (g->mode >= MODE_P16 || ((a->flags & SCF_SEGBASE) && a->asz == 16))
		v.imm = c.moff;
	else
		v.imm = SC_TA + c.moff - ((a->flags & SCF_SEGBASE) ? SC_SEGB : 0);
	int len = mf_encode(f->m, &v, c.code);
	if (len <= 0)
		return;
	c.len = (uint8_t)len;
	gen_emit(g, &c);
}

/* MOV A0-A3: the offset in the bytes, in the mode's address size and the other one. */
void gen_moffs(struct gen *g, const struct form_info *f)
{
	unsigned alt = g->asz == 64 ? 32 : g->asz == 32 ? 16 : 32;
	struct var v[3] = { { .id = 0, .asz = g->asz, .seg = SEG_DS },
			    { .id = 1, .asz = alt, .seg = SEG_DS },
			    { .id = 2, .asz = g->asz, .seg = SEG_FS, .segovr = 0x64, .flags = SCF_SEGBASE } };
	if (g->mode == MODE_P32)
		v[1].segovr = 0x64, v[1].seg = SEG_FS, v[1].flags = SCF_SEGBASE;
	for (int i = 0; i < 3; i++) {
		v[i].base = v[i].index = NOREG;
		v[i].rm16 = -1;
		if (g->mode >= MODE_P16 && i == 2)
			break;
		for (unsigned b = 0; b < 4; b++)
			if (f->m->osz & (1u << b))
				emit_moffs(g, f, &v[i], 8u << b);
	}
}
