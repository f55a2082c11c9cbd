/* Placing a case's operands: a random register and flag state, window and RAM contents, then the
 * address registers solved so that each memory operand lands where the case wants it. */
#include "suite.h"

uint8_t win_ram[SC_WIN_BYTES] __attribute__((aligned(4096)));
uint8_t scr_ram[0x2000] __attribute__((aligned(4096)));
uint8_t stk_ram[0x4000] __attribute__((aligned(4096)));

uint8_t *role_ram(unsigned role)
{
	return role == ROLE_WIN ? win_ram : role == ROLE_SCR ? scr_ram : stk_ram;
}

static uint64_t rng_state = 1;

void rnd_seed(uint64_t s) { rng_state = s ? s : 1; }

uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

uint32_t rnd(uint32_t below) { return (uint32_t)((rnd64() >> 16) % below); }

void rnd_fill(void *p, size_t n)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(rnd64() >> 24);
}

uint64_t mask(unsigned bytes);
uint64_t mask(unsigned bytes) { return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1; }

unsigned reg_bytes(const struct engine *e) { return e->mode == MODE_L64 ? 8 : 4; }

/* An address-sized value in a register: bits above the address size are junk the CPU must
 * ignore (except in the segment engine's 32-bit addresses, which are whole registers). */
uint64_t addr_reg(const struct engine *e, unsigned asz, uint64_t v)
{
	uint64_t r = v & mask(asz);
	if (asz < reg_bytes(e))
		r |= rnd64() & ~mask(asz) & mask(reg_bytes(e));
	return r;
}

uint64_t plan_segbase(const struct engine *e, const struct plan *p, unsigned seg)
{
	if (e->seg || (e->mode == MODE_L64 && seg < SEG_FS))
		return 0;
	return p->segbase[seg];
}

/* The register value that addresses `off` in `role` through segment `seg`. */
uint64_t plan_addr(const struct engine *e, const struct plan *p, unsigned role, uint32_t off,
		   unsigned seg)
{
	return e->role_lin[role] + off - plan_segbase(e, p, seg);
}

/* Regions grow by 16 bytes each side and to whole dwords (the bulk port moves dwords). */
static void plan_widen(uint32_t *lo, uint32_t *hi, uint32_t a, uint32_t b, uint32_t limit)
{
	a = a > 16 ? (a - 16) & ~3u : 0;
	b = b + 16 < limit ? (b + 19) & ~3u : limit;
	if (*lo >= *hi) {
		*lo = a, *hi = b;
		return;
	}
	*lo = a < *lo ? a : *lo;
	*hi = b > *hi ? b : *hi;
}

void plan_window(struct plan *p, uint32_t a, uint32_t b) { plan_widen(&p->wlo, &p->whi, a, b, SC_WIN_BYTES); }
void plan_scratch(struct plan *p, uint32_t a, uint32_t b) { plan_widen(&p->slo, &p->shi, a, b, sizeof(scr_ram)); }
void plan_stack(struct plan *p, uint32_t a, uint32_t b) { plan_widen(&p->klo, &p->khi, a, b, sizeof(stk_ram)); }

static void plan_state(const struct engine *e, const struct sc *c, struct plan *p)
{
	for (unsigned i = 0; i < 16; i++)
		p->in.gpr[i] = i < e->nregs ? rnd64() & mask(reg_bytes(e)) : 0;
	p->in.rflags = 2 | (rnd64() & FL_ARITH) | (c->kind == SC_STR ? (c->df ? FL_DF : 0) : rnd64() & FL_DF);
	if (c->regk == RK_VEC)
		rnd_fill(p->in.vec, sizeof(p->in.vec));
	p->vec = c->regk == RK_VEC ? ((c->flags & SCF_YMM) || e->avx ? VEC_YMM : VEC_XMM) : VEC_NONE;
	if (p->vec == VEC_YMM && !e->avx)
		p->vec = VEC_XMM;
	uint32_t k = 0x1000 + rnd(0x2000);
	p->in.gpr[RSP] = e->seg ? (rnd64() & 0xffff0000u) | k : e->role_lin[ROLE_STK] + k;
}

/* The flat engine's segment bases: FS for the override forms, and in 32-bit code the segments
 * that 16-bit addresses go through. */
static void plan_segments(const struct engine *e, const struct sc *c, struct plan *p)
{
	for (unsigned i = 0; i < 6; i++)
		p->segrole[i] = ROLE_WIN;
	/* The stack stays on RAM, so that an exception can be delivered, unless the operand is
	 * addressed through SS (BP-based 16-bit forms). */
	p->segrole[SEG_SS] = c->kind <= SC_MOFFS && c->seg == SEG_SS ? ROLE_WIN : ROLE_STK;
	if (e->seg)
		return;
	if (c->flags & SCF_SEGBASE)
		p->segbase[c->seg] = c->asz == 2 ? SC_TA : SC_SEGB;
}

/* floor(a / b) for a signed bit offset. */
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static uint32_t pick_off(const struct sc *c)
{
	unsigned m = c->msize;
	uint32_t off = 300 + rnd(SC_WIN_BYTES - 600 - m);
	if (m > 1 && rnd(4) == 0)
		off = 0x1000 - 1 - rnd(m - 1);
	if (c->flags & (SCF_ALIGN | SCF_MISALIGN))
		off &= ~(uint32_t)(m - 1);
	if (c->flags & SCF_MISALIGN)
		off += 1 + rnd(m - 1);
	return off;
}

static bool fixed_off(const struct sc *c)
{
	return c->kind == SC_MOFFS || (c->base == SC_NOREG && c->index == SC_NOREG);
}

/* Solves base (and a random index) so that the effective address is ea. */
static void solve_ea(const struct engine *e, const struct sc *c, struct plan *p, uint64_t ea)
{
	uint64_t *g = p->in.gpr, idx = 0;
	if (c->index != SC_NOREG) {
		idx = c->base == SC_NOREG ? (ea - (uint64_t)(int64_t)c->disp) / c->scale : rnd64();
		g[c->index] = addr_reg(e, c->asz, idx);
	}
	if (c->base == SC_NOREG)
		return;
	uint64_t b = ea - idx * c->scale - (uint64_t)(int64_t)c->disp;
	if (c->kind == SC_POP && c->base == RSP)
		b -= c->osz; /* POP computes the address after incrementing rSP (SDM Vol. 2B POP) */
	g[c->base] = c->base == RSP ? b : addr_reg(e, c->asz, b);
}

/* BT* with a register: the operand is the element the signed bit offset selects, counted in
 * operand-size units from the effective address (SDM Vol. 2A BT). With the address fixed by the
 * bytes (or, without a base, its alignment to the index's scale), the offset is drawn so that
 * the element stays in the window. */
static void plan_bitoff(const struct engine *e, const struct sc *c, struct plan *p, uint32_t *off,
			uint64_t *ea_off)
{
	int64_t w = 8 * c->osz, el;
	if (fixed_off(c) || c->base == SC_NOREG) { /* the address is fixed, or must stay aligned */
		int64_t lo = -(int64_t)(*ea_off - 32) / c->osz;
		int64_t hi = (int64_t)(SC_WIN_BYTES - c->msize - 32 - *ea_off) / c->osz;
		lo = lo < -2048 / w ? -2048 / w : lo;
		hi = hi > 2047 / w ? 2047 / w : hi;
		el = lo + rnd((uint32_t)(hi - lo + 1));
		*off = (uint32_t)(*ea_off + el * c->osz);
	} else {
		el = floor_div((int64_t)rnd(4096) - 2048, w);
		*ea_off = *off - el * c->osz;
	}
	int64_t bits = el * w + rnd((uint32_t)w);
	p->in.gpr[c->reg] = (((uint64_t)bits & mask(c->osz)) | (rnd64() & ~mask(c->osz))) &
			    mask(reg_bytes(e));
}

static void plan_modrm(const struct engine *e, const struct sc *c, struct plan *p)
{
	uint64_t *g = p->in.gpr;
	uint32_t off = fixed_off(c) ? c->moff : pick_off(c);
	if (c->base == SC_NOREG && c->index != SC_NOREG)
		off &= ~(uint32_t)(c->scale - 1);
	uint64_t ea_off = off;
	if (c->regk == RK_BITOFF)
		plan_bitoff(e, c, p, &off, &ea_off);
	p->off = off;
	plan_window(p, off, off + c->msize);
	if (!fixed_off(c))
		solve_ea(e, c, p, plan_addr(e, p, ROLE_WIN, (uint32_t)ea_off, c->seg));
	if (c->kind == SC_PUSH || c->kind == SC_POP) {
		uint64_t k = g[RSP] - (e->seg ? (g[RSP] & ~0xffffull) : e->role_lin[ROLE_STK]);
		k &= e->seg ? 0xffff : ~0ull;
		plan_stack(p, (uint32_t)k - 16, (uint32_t)k + 16);
		p->segrole[SEG_SS] = ROLE_STK;
	}
}

void plan_strings(const struct engine *e, const struct sc *c, struct plan *p);
void plan_io(const struct engine *e, const struct sc *c, struct plan *p);
void plan_finish(const struct engine *e, const struct sc *c, struct plan *p);

bool plan_make(const struct engine *e, const struct sc *c, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	plan_state(e, c, p);
	plan_segments(e, c, p);
	switch (c->kind) {
	case SC_MODRM:
	case SC_MOFFS:
	case SC_PUSH:
	case SC_POP:
		plan_modrm(e, c, p);
		break;
	case SC_STR:
		plan_strings(e, c, p);
		break;
	case SC_IO:
		plan_io(e, c, p);
		break;
	default:
		return false;
	}
	rnd_fill(win_ram + p->wlo, p->whi - p->wlo);
	rnd_fill(scr_ram + p->slo, p->shi - p->slo);
	rnd_fill(stk_ram + p->klo, p->khi - p->klo);
	plan_finish(e, c, p);
	return true;
}
