/* Running the generated cases: per case the device run, the log and the window read back, the
 * RAM run, the checks; per form one verdict. */
#include "suite.h"

static struct outcome oa, ob;
static uint8_t win0[SC_WIN_BYTES], scr0[0x2000], stk0[0x4000];
static struct tdev_entry logbuf[KEEL_TESTDEV_LOG_MAX];
static uint32_t features;
bool suite_trace; /* the payload's command line says trace=1: name each case before it runs */
int suite_half = -1;

static const char *const cpu_name[CPU_COUNT] = { "base", "sse", "sse2", "avx", "bmi1", "movbe",
						 "clflush", "clflushopt", "clwb" };

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

void cpu_features_init(void)
{
	uint32_t r1[4], r7[4] = { 0 }, r0[4];
	cpuid(0, 0, r0);
	cpuid(1, 0, r1);
	if (r0[0] >= 7)
		cpuid(7, 0, r7);
	bool avx = (r1[2] & (1u << 28)) && (r1[2] & (1u << 27)) && (xgetbv0() & 6) == 6;
	features = 1u << CPU_BASE | (r1[3] >> 25 & 1) << CPU_SSE | (r1[3] >> 26 & 1) << CPU_SSE2 |
		   (uint32_t)avx << CPU_AVX | (r7[1] >> 3 & 1) << CPU_BMI1 |
		   (r1[2] >> 22 & 1) << CPU_MOVBE | (r1[3] >> 19 & 1) << CPU_CLFLUSH |
		   (r7[1] >> 23 & 1) << CPU_CLFLUSHOPT | (r7[1] >> 24 & 1) << CPU_CLWB;
}

bool cpu_has(unsigned f) { return features & (1u << f); }

static void copy_range(uint8_t *dst, const uint8_t *src, uint32_t lo, uint32_t hi)
{
	if (hi > lo)
		memcpy(dst + lo, src + lo, hi - lo);
}

static void run_device(const struct engine *e, struct plan *p, uint32_t *nlog, uint32_t *total)
{
	const struct sc *c = p->c;
	copy_range(win0, win_ram, p->wlo, p->whi);
	copy_range(scr0, scr_ram, p->slo, p->shi);
	copy_range(stk0, stk_ram, p->klo, p->khi);
	tdev_bulk_write(p->wlo, win_ram + p->wlo, p->whi - p->wlo);
	if (c->kind == SC_IO || (c->kind == SC_STR && (c->str == STR_INS || c->str == STR_OUTS)))
		tdev_cursor(p->cursor);
	tdev_log_clear();
	e->run(e, p, 0, c->code, c->len, &oa.out, &oa.x);
	*total = tdev_log_total();
	*nlog = tdev_log_fetch(logbuf, *total, KEEL_TESTDEV_LOG_MAX);
	tdev_bulk_read(p->wlo, oa.win + p->wlo, p->whi - p->wlo);
	copy_range(oa.scr, scr_ram, p->slo, p->shi);
	copy_range(oa.stk, stk_ram, p->klo, p->khi);
	copy_range(scr_ram, scr0, p->slo, p->shi);
	copy_range(stk_ram, stk0, p->klo, p->khi);
}

static void run_ram(const struct engine *e, struct plan *p)
{
	const struct sc *c = p->c;
	e->run(e, p, 1, c->olen ? c->ocode : c->code, c->olen ? c->olen : c->len, &ob.out, &ob.x);
	copy_range(ob.win, win_ram, p->wlo, p->whi);
	copy_range(ob.scr, scr_ram, p->slo, p->shi);
	copy_range(ob.stk, stk_ram, p->klo, p->khi);
	if (c->kind == SC_STR && c->str == STR_OUTS) /* the oracle's sink */
		copy_range(ob.scr, scr_ram, p->fifo, p->fifo + (p->n + 1) * c->msize);
}

const struct outcome *suite_outcome(int which) { return which ? &ob : &oa; }

bool suite_case(const struct engine *e, struct plan *p, char *why, size_t whylen)
{
	uint32_t nlog, total;
	run_device(e, p, &nlog, &total);
	run_ram(e, p);
	return check_case(e, p, &oa, &ob, win0, logbuf, nlog, total, why, whylen);
}

static int hexbytes(char *buf, size_t len, const uint8_t *b, unsigned n)
{
	int k = 0;
	for (unsigned i = 0; i < n && (size_t)k + 3 < len; i++)
		k += g_snprintf(buf + k, len - (size_t)k, "%02x", b[i]);
	return k;
}

/* One form's cases [i, j): PASS, SKIP (a CPU feature missing, or no memory operand) or the
 * first failure. */
static void suite_form(const struct engine *e, const struct sc *c, uint32_t n, uint64_t seed)
{
	const char *name = sc_forms[c->form].name;
	static char why[160], line[200];
	if (c->kind == SC_NOMEM) {
		verdict_skip(e->suite, name, "no memory operand: it never reaches the MMIO path");
		return;
	}
	if (!cpu_has(c->cpu)) {
		g_snprintf(line, sizeof(line), "CPUID shows no %s", cpu_name[c->cpu]);
		verdict_skip(e->suite, name, line);
		return;
	}
	if (!oracle_sound(e, name, why, sizeof(why))) {
		verdict_skip(e->suite, name, why);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct plan p;
		rnd_seed(seed + i);
		if (suite_trace)
			g_printf("trace %s %s case %u\n", e->suite, name, i);
		if (!plan_make(e, &c[i], &p) || suite_case(e, &p, why, sizeof(why)))
			continue;
		int k = g_snprintf(line, sizeof(line), "case %u/%u variant %u seed %lx bytes ", i, n,
				   c[i].variant, (unsigned long)(seed + i));
		k += hexbytes(line + k, sizeof(line) - (size_t)k, c[i].code, c[i].len);
		verdict_fail(e->suite, name, "%s: %s", line, why);
		return;
	}
	verdict_pass(e->suite, name);
}

void suite_run(const struct engine *e)
{
	const struct sc_table *t = &sc_tables[e->mode];
	uint32_t i = 0, place = 0;
	for (uint32_t f = 0; f < sc_nforms; f++) {
		if (!(sc_forms[f].modes & (1u << e->mode)))
			continue;
		uint32_t j = i;
		while (j < t->n && t->c[j].form == f)
			j++;
		bool mine = suite_half < 0 || (int)(place++ & 1) == suite_half;
		if (mine && j == i)
			verdict_fail(e->suite, sc_forms[f].name, "no generated cases");
		else if (mine)
			suite_form(e, &t->c[i], j - i, 0x5eed0000ull * (e->mode + 1) + i * 0x100);
		i = j;
	}
}
