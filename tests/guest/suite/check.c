/* Judging a case: run A (device) against run B (RAM, the CPU's own execution): exceptions,
 * registers, flags, vector registers, memory; then the device's log against the accesses the
 * architecture implies, replayed over the window's initial bytes. */
#include "suite.h"

struct why {
	char *buf;
	size_t len;
	bool bad;
};

static bool fail(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct why *w, const char *fmt, ...)
{
	va_list ap;
	if (w->bad)
		return false;
	va_start(ap, fmt);
	g_vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
	w->bad = true;
	return false;
}

static bool check_exc(const struct plan *p, const struct xres *a, const struct xres *b,
		      struct why *w)
{
	if (a->exc != b->exc)
		return fail(w, "device run %s, RAM run %s (vector %u)", a->exc ? "faulted" : "completed",
			    b->exc ? "faulted" : "completed", a->exc ? a->vector : b->vector);
	if (!a->exc)
		return true;
	if (!(p->c->flags & (SCF_MISALIGN | SCF_FAULT)))
		return fail(w, "both runs raised exception %u (error %x) at rip %lx: nothing to compare",
			    b->vector, b->error, (unsigned long)b->rip);
	if (a->vector != b->vector || a->error != b->error || a->rip != b->rip ||
	    (a->vector == 14 && a->cr2 != b->cr2))
		return fail(w, "exception %u/%x rip %lx cr2 %lx, RAM run %u/%x rip %lx cr2 %lx", a->vector,
			    a->error, (unsigned long)a->rip, (unsigned long)a->cr2, b->vector, b->error,
			    (unsigned long)b->rip, (unsigned long)b->cr2);
	return true;
}

/* Registers the oracle changes and the tested instruction leaves alone: OUTS's rDI (the MOVS
 * oracle writes a sink), INS's rSI (it reads a copy of the port's bytes). */
static int io_spare_reg(const struct sc *c)
{
	if (c->kind == SC_STR && c->str == STR_INS)
		return RSI;
	if (c->kind == SC_STR && c->str == STR_OUTS)
		return RDI;
	return -1;
}

static bool check_regs(const struct engine *e, const struct plan *p, const struct ctx *a,
		       const struct ctx *b, struct why *w)
{
	uint64_t m = mask(reg_bytes(e));
	int spare = io_spare_reg(p->c);
	for (unsigned i = 0; i < e->nregs; i++) {
		uint64_t want = (int)i == spare ? p->in.gpr[i] : b->gpr[i];
		if ((a->gpr[i] & m) != (want & m))
			return fail(w, "r%u %lx, want %lx (in %lx)", i, (unsigned long)(a->gpr[i] & m),
				    (unsigned long)(want & m), (unsigned long)(p->in.gpr[i] & m));
	}
	uint64_t fm = (FL_ARITH | FL_DF) & ~(uint64_t)p->c->undef;
	if ((a->rflags ^ b->rflags) & fm)
		return fail(w, "rflags %lx, want %lx (in %lx)", (unsigned long)a->rflags,
			    (unsigned long)b->rflags, (unsigned long)p->in.rflags);
	if (p->vec == VEC_NONE)
		return true;
	unsigned bytes = p->vec == VEC_YMM ? 32 : 16;
	for (unsigned r = 0; r < e->vec_regs; r++)
		if (memcmp(a->vec[r], b->vec[r], bytes))
			return fail(w, "%cmm%u differs", bytes == 32 ? 'y' : 'x', r);
	return true;
}

static bool check_bytes(const char *what, const uint8_t *got, const uint8_t *want, uint32_t lo,
			uint32_t hi, struct why *w)
{
	for (uint32_t i = lo; i < hi; i++)
		if (got[i] != want[i])
			return fail(w, "%s byte %x is %02x, want %02x", what, i, got[i], want[i]);
	return true;
}

/* OUTS: the port block wrote the elements at the cursor in port order; the oracle's MOVS put
 * them into the sink in DF order. */
static bool check_outs(const struct plan *p, const struct outcome *a, const struct outcome *b,
		       struct why *w)
{
	const struct sc *c = p->c;
	uint32_t s = c->msize, done = c->rep ? p->n - (uint32_t)(b->out.gpr[RCX] & mask(c->asz)) :
					       !b->x.exc;
	uint32_t first = c->df && p->n ? p->fifo + (p->n - 1) * s : p->fifo;
	for (uint32_t i = 0; i < done; i++) {
		uint32_t at = c->df ? first - i * s : first + i * s;
		if (memcmp(a->win + p->cursor + i * s, b->scr + at, s))
			return fail(w, "port element %u differs from the oracle's", i);
	}
	return true;
}

static bool check_memory(const struct plan *p, const struct outcome *a, const struct outcome *b,
			 struct why *w)
{
	const struct sc *c = p->c;
	bool outs = c->kind == SC_STR && c->str == STR_OUTS;
	if (outs) {
		if (!check_outs(p, a, b, w))
			return false;
		uint32_t cend = p->cursor + p->n * c->msize + c->msize;
		return check_bytes("window", a->win, b->win, p->wlo, p->cursor, w) &&
		       check_bytes("window", a->win, b->win, cend, p->whi, w) &&
		       check_bytes("scratch", a->scr, b->scr, p->slo, p->shi, w);
	}
	return check_bytes("window", a->win, b->win, p->wlo, p->whi, w) &&
	       check_bytes("scratch", a->scr, b->scr, p->slo, p->shi, w) &&
	       check_bytes("stack", a->stk, b->stk, p->klo, p->khi, w);
}

bool check_log(const struct plan *p, const struct outcome *b, const uint8_t *win0,
	       const uint8_t *win_a, const struct tdev_entry *log, uint32_t nlog, uint32_t total,
	       char *why, size_t len);

bool check_case(const struct engine *e, const struct plan *p, const struct outcome *a,
		const struct outcome *b, const uint8_t *win0, const struct tdev_entry *log,
		uint32_t nlog, uint32_t total, char *why, size_t whylen)
{
	struct why w = { why, whylen, false };
	if (!check_exc(p, &a->x, &b->x, &w) || !check_regs(e, p, &a->out, &b->out, &w) ||
	    !check_memory(p, a, b, &w))
		return false;
	return check_log(p, b, win0, a->win, log, nlog, total, why, whylen);
}
