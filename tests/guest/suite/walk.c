/* Page-walk cases only Keel's walker can produce: REP MOVS between the window and RAM pages that
 * turn read-only or not present part-way (and its restart after the fault), WP, SMAP and SMEP
 * on the RAM side, large pages, and an MMIO instruction whose bytes run into a page the CPU
 * still had in its TLB. The RAM run, with the same page tables, is again the oracle for the
 * vector, CR2, error code and the registers at the fault; Keel's injected-#PF counter must rise
 * by one for the device run. */
#include "suite.h"
#include "paging.h"
#include "walk.h"

#define CR0_WP   (1u << 16)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define PAGE     0x1000u

static ureg cr_read(int n)
{
	ureg v = 0;
	if (n == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void cr_write(int n, ureg v)
{
	if (n == 0)
		__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
	else
		__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static void cr_bits(int n, ureg set, ureg clear) { cr_write(n, (cr_read(n) | set) & ~clear); }

/* REP MOVS of elem-byte elements (SDM Vol. 2B MOVS: F3 A4 / F3 A5, REX.W for qwords). */
static void movs_case(const struct engine *e, const struct walk *w, struct sc *c)
{
	static const uint8_t b[] = { 0xf3, 0xa4 }, d[] = { 0xf3, 0xa5 }, q[] = { 0xf3, 0x48, 0xa5 };
	const uint8_t *code = w->elem == 1 ? b : w->elem == 4 ? d : q;
	*c = (struct sc){ .len = w->elem == 8 ? 3 : 2, .kind = SC_STR, .msize = (uint8_t)w->elem,
			  .osz = (uint8_t)w->elem, .asz = e->mode == MODE_L64 ? 8 : 4, .base = SC_NOREG,
			  .index = SC_NOREG, .reg = SC_NOREG, .vvvv = SC_NOREG, .seg = SEG_DS,
			  .str = STR_MOVS, .rep = 1, .df = w->down, .count = CNT_MANY, .src = w->src,
			  .dst = w->dst, .flags = SCF_FAULT };
	memcpy(c->code, code, c->len);
}

static void condition(const struct walk *w, bool on)
{
	if (w->page)
		pg_flags(w->page, PAGE, on ? w->set : w->clear, on ? w->clear : w->set);
	if (w->alias)
		pg_alias_flags((uintptr_t)scr_ram + PAGE, w->giant, on ? w->set : w->clear,
			       on ? w->clear : w->set);
	if (w->cr0_clear)
		cr_bits(0, on ? 0 : w->cr0_clear, on ? w->cr0_clear : 0);
	if (w->cr4_set)
		cr_bits(4, on ? w->cr4_set : 0, on ? 0 : w->cr4_set);
}

/* After the fault: the page is fixed and both runs go on from their registers at the fault; the
 * rest of the string must then come out the same (and complete). */
static bool restart(const struct engine *e, struct plan *p, char *why, size_t len)
{
	const struct outcome *b = suite_outcome(1);
	uint32_t left = (uint32_t)(b->out.gpr[RCX] & mask(p->c->asz)), done = p->n - left;
	int32_t step = (int32_t)(done * p->c->msize) * (p->c->df ? -1 : 1);
	struct plan q = *p;
	static struct sc c2;
	c2 = *p->c;
	c2.flags &= (uint16_t)~SCF_FAULT;
	q.c = &c2;
	q.in = b->out;
	q.in.rflags = (b->out.rflags & (FL_ARITH | FL_DF | FL_AC)) | 2;
	q.n = left;
	q.soff = p->soff + (uint32_t)step;
	q.doff = p->doff + (uint32_t)step;
	return suite_case(e, &q, why, len);
}

bool walk_run(const struct engine *e0, const struct walk *w, char *why, size_t len)
{
	struct engine e = *e0;
	static struct sc c;
	struct plan p;
	if (w->alias)
		e.role_lin[ROLE_SCR] = PG_ALIAS + (uintptr_t)scr_ram;
	movs_case(&e, w, &c);
	plan_make(&e, &c, &p);
	p.in.rflags |= w->rflags;
	condition(w, true);
	uint64_t pf0 = hc_stat(KEEL_STAT_INJECTED_PF);
	bool ok = suite_case(&e, &p, why, len);
	uint64_t pf = hc_stat(KEEL_STAT_INJECTED_PF) - pf0;
	const struct outcome *a = suite_outcome(0), *b = suite_outcome(1);
	uint32_t done = p.n - (uint32_t)(b->out.gpr[RCX] & mask(c.asz));
	condition(w, false);
	if (!ok)
		return false;
	if (!w->fault) {
		if (!a->x.exc)
			return true;
		g_snprintf(why, len, "faulted (vector %u), the CPU did not", a->x.vector);
		return false;
	}
	if (!b->x.exc || b->x.vector != 14 || (w->partway && (!done || done == p.n))) {
		g_snprintf(why, len, "the RAM run did not fault part-way as set up (vector %u, %u of %u done)",
			   b->x.exc ? b->x.vector : 0, done, p.n);
		return false;
	}
	if (pf != !w->cpu_fault) {
		g_snprintf(why, len, "Keel's injected-#PF counter rose by %lu, want %u", (unsigned long)pf,
			   !w->cpu_fault);
		return false;
	}
	return restart(&e, &p, why, len);
}

/* The stale-TLB cases: code in the slot first runs on the page (so the CPU caches it), then
 * changes the page's entry with a plain store; run B also invalidates it (INVLPG), run A does
 * not, so the CPU still runs the MMIO instruction and Keel's fetch sees the new entry.
 * Encodings: CALL rel32; MOV byte [disp32], imm8 (64-bit C6 04 25 through SIB, 32-bit C6 05);
 * INVLPG (0F 01 3D: [rip+disp32] in 64-bit mode, [disp32] in 32-bit) (SDM Vol. 2 tables 2-2, 2-3). */
static unsigned prologue(bool l64, uint32_t pte, uint8_t val, uint32_t flush, uint8_t *out)
{
	unsigned n = 0;
	int32_t call = (int32_t)(PAGE + 0x100 - 5);
	out[n++] = 0xe8;
	memcpy(out + n, &call, 4), n += 4;
	out[n++] = 0xc6;
	if (l64)
		out[n++] = 0x04, out[n++] = 0x25;
	else
		out[n++] = 0x05;
	memcpy(out + n, &pte, 4), n += 4;
	out[n++] = val;
	if (flush) { /* 64-bit: RIP-relative (a disp32 alone is sign-extended, SDM Vol. 2A 2.2.1.3) */
		out[n++] = 0x0f, out[n++] = 0x01, out[n++] = 0x3d;
		uint32_t d = l64 ? flush - (SC_SLOT + n + 4) : flush;
		memcpy(out + n, &d, 4), n += 4;
	}
	return n;
}

/* MOV EAX, [RBX + disp32] (8B 83), 6 bytes: at `off` in the slot; page `pg` gets `set`/`clear`
 * behind the TLB's back. Returns 1 pass, 0 fail, -1 when the CPU faulted by itself (no stale
 * entry was used: nothing of Keel's was reached). */
int walk_stale(const struct engine *e, uint32_t off, uint32_t pg, uint64_t set, uint64_t clear,
	       char *why, size_t len)
{
	static struct sc c = { .code = { 0x8b, 0x83, 0, 0, 0, 0 }, .len = 6, .kind = SC_MODRM,
			       .cls = SC_R, .msize = 4, .osz = 4, .base = RBX, .index = SC_NOREG,
			       .scale = 1, .reg = RAX, .regk = RK_GPR, .vvvv = SC_NOREG, .seg = SEG_DS,
			       .flags = SCF_FAULT };
	static uint8_t pa[32], pb[32];
	bool l64 = e->mode == MODE_L64;
	struct plan p;
	c.asz = l64 ? 8 : 4;
	code_ram[PAGE + 0x100] = 0xc3; /* RET, called to put the second page into the TLB */
	uint64_t old[2] = { pg_pte_get(0, pg), pg_pte_get(1, pg) };
	unsigned la = prologue(l64, (uint32_t)pg_pte_addr(0, pg), (uint8_t)((old[0] | set) & ~clear), 0, pa);
	unsigned lb = prologue(l64, (uint32_t)pg_pte_addr(1, pg), (uint8_t)((old[1] | set) & ~clear), pg, pb);
	flat_prologue(pa, la, pb, lb, off);
	plan_make(e, &c, &p);
	uint64_t pf0 = hc_stat(KEEL_STAT_INJECTED_PF);
	bool ok = suite_case(e, &p, why, len);
	uint64_t pf = hc_stat(KEEL_STAT_INJECTED_PF) - pf0;
	flat_prologue(0, 0, 0, 0, 0);
	for (int r = 0; r < 2; r++)
		pg_pte_set(r, pg, old[r]);
	pg_invlpg(pg);
	pg_invlpg(SC_SLOT);
	const struct outcome *a = suite_outcome(0), *b = suite_outcome(1);
	if (a->x.exc && !pf)
		return -1;
	if (!ok)
		return 0;
	if (!b->x.exc || b->x.vector != 14 || pf != 1) {
		g_snprintf(why, len, "RAM run vector %u, Keel's injected-#PF counter +%lu: want a #PF and +1",
			   b->x.exc ? b->x.vector : 0, (unsigned long)pf);
		return 0;
	}
	return 1;
}

/* CR bits the cases need, if the CPU has them (CPUID.7.0:EBX.SMEP[7], SMAP[20]). */
bool walk_cpu_smep(void)
{
	uint32_t r[4];
	cpuid(7, 0, r);
	return r[1] & (1u << 7);
}

bool walk_cpu_smap(void)
{
	uint32_t r[4];
	cpuid(7, 0, r);
	return r[1] & (1u << 20);
}

void walk_smep(bool on) { cr_bits(4, on ? CR4_SMEP : 0, on ? 0 : CR4_SMEP); }

static bool cpu_giant_pages(void)
{
	uint32_t r[4];
	cpuid(0x80000000u, 0, r);
	if (r[0] < 0x80000001u)
		return false;
	cpuid(0x80000001u, 0, r);
	return r[3] & (1u << 26); /* Page1GB */
}

static const struct walk walks[] = {
	{ "movsb-np-partway", 1, false, ROLE_WIN, ROLE_SCR, SC_SCR + PAGE, .clear = PTE_P,
	  .fault = true, .partway = true },
	{ "movs-ro-partway", 8, false, ROLE_WIN, ROLE_SCR, SC_SCR + PAGE, .clear = PTE_W,
	  .fault = true, .partway = true },
	{ "movsd-down-np-partway", 4, true, ROLE_WIN, ROLE_SCR, SC_SCR, .clear = PTE_P, .fault = true,
	  .partway = true },
	{ "movsb-src-np-partway", 1, false, ROLE_SCR, ROLE_WIN, SC_SCR + PAGE, .clear = PTE_P,
	  .fault = true, .partway = true, .cpu_fault = true },
	{ "wp-off", 4, false, ROLE_WIN, ROLE_SCR, SC_SCR + PAGE, .clear = PTE_W, .cr0_clear = CR0_WP },
	{ "smap", 1, false, ROLE_WIN, ROLE_SCR, SC_SCR + PAGE, .set = PTE_U, .cr4_set = CR4_SMAP,
	  .fault = true, .partway = true },
	{ "smap-ac", 1, false, ROLE_WIN, ROLE_SCR, SC_SCR + PAGE, .set = PTE_U, .cr4_set = CR4_SMAP,
	  .rflags = FL_AC },
	{ "large", 4, false, ROLE_WIN, ROLE_SCR, 0, .alias = true },
	{ "large-ro", 4, false, ROLE_WIN, ROLE_SCR, 0, .alias = true, .clear = PTE_W, .fault = true },
	{ "large-1g", 4, false, ROLE_WIN, ROLE_SCR, 0, .alias = true, .giant = true },
	{ "large-1g-ro", 4, false, ROLE_WIN, ROLE_SCR, 0, .alias = true, .giant = true,
	  .clear = PTE_W, .fault = true },
};

static void walk_report(const char *suite, const char *name, int r, const char *why)
{
	if (r > 0)
		verdict_pass(suite, name);
	else if (r < 0)
		verdict_skip(suite, name, why);
	else
		verdict_fail(suite, name, "%s", why);
}

/* The stale-TLB pair: SMEP on the code page (the instruction on the slot's second page), and an
 * instruction whose last bytes lie on a page that goes away. */
static void walk_stale_suite(const struct engine *e, const char *suite, const char *prefix)
{
	static char why[160], name[48];
	int r;
	g_snprintf(name, sizeof(name), "%ssmep-stale-tlb", prefix);
	if (!walk_cpu_smep()) {
		verdict_skip(suite, name, "CPUID shows no SMEP");
	} else {
		walk_smep(true);
		r = walk_stale(e, PAGE + 0x800, SC_SLOT + PAGE, PTE_U, 0, why, sizeof(why));
		walk_smep(false);
		if (r < 0)
			g_snprintf(why, sizeof(why), "the CPU faulted on its own fetch (its TLB kept no stale entry): Keel's check was not reached");
		walk_report(suite, name, r, why);
	}
	g_snprintf(name, sizeof(name), "%sfetch-straddle-np", prefix);
	r = walk_stale(e, PAGE - 3, SC_SLOT + PAGE, 0, PTE_P, why, sizeof(why));
	if (r < 0)
		g_snprintf(why, sizeof(why), "the CPU faulted on its own fetch (its TLB kept no stale entry): Keel's check was not reached");
	walk_report(suite, name, r, why);
}

void walk_skip_all(const char *suite, const char *prefix, bool giant_ok, bool stale, const char *why)
{
	static char name[48];
	static const char *const st[] = { "smep-stale-tlb", "fetch-straddle-np" };
	for (unsigned i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		if (walks[i].giant && !giant_ok)
			continue;
		g_snprintf(name, sizeof(name), "%s%s", prefix, walks[i].name);
		verdict_skip(suite, name, why);
	}
	for (unsigned i = 0; stale && i < 2; i++) {
		g_snprintf(name, sizeof(name), "%s%s", prefix, st[i]);
		verdict_skip(suite, name, why);
	}
}

void walk_suite(const struct engine *e, const char *suite, const char *prefix, bool giant_ok,
		bool stale)
{
	static char why[160], name[48];
	cr_bits(0, CR0_WP, 0); /* supervisor writes obey R/W (SDM Vol. 3A 4.6.1) */
	for (unsigned i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		const struct walk *w = &walks[i];
		struct walk wc = *w;
		g_snprintf(name, sizeof(name), "%s%s", prefix, w->name);
		if (wc.elem == 8 && e->mode != MODE_L64)
			wc.elem = 4;
		if ((w->cr4_set & CR4_SMAP) && !walk_cpu_smap()) {
			verdict_skip(suite, name, "CPUID shows no SMAP");
			continue;
		}
		if (w->giant && !giant_ok)
			continue; /* no 1 GiB pages in this paging mode */
		if (w->giant && !cpu_giant_pages()) {
			verdict_skip(suite, name, "CPUID shows no 1 GiB pages");
			continue;
		}
		if (w->alias)
			pg_alias(w->giant);
		walk_report(suite, name, walk_run(e, &wc, why, sizeof(why)), why);
	}
	if (stale)
		walk_stale_suite(e, suite, prefix);
}
