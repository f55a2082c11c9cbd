/* Page-walker host tests: every paging mode x page size x rights combination against the
 * SDM-rule oracle (walk_oracle.c), protection keys, reserved bits; the single cases live in
 * walk_cases.c. Prints VERDICT lines; exits non-zero on any failure. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "walk_oracle.h"
#include "walk_test.h"

unsigned t_failures;

struct walk_ctl tctl(enum ptm mode, uint64_t cr3, const struct tstate *t)
{
	struct walk_ctl c = { .cr3 = cr3, .cpl = t->cpl, .maxphyaddr = t->m,
			      .pkru = t->pkru, .pkrs = t->pkrs };

	c.cr0 = T_CR0_PE | T_CR0_PG | (t->wp ? T_CR0_WP : 0);
	c.cr4 = (t->pse ? T_CR4_PSE : 0) | (t->smep ? T_CR4_SMEP : 0) |
		(t->smap ? T_CR4_SMAP : 0) | (t->pke ? T_CR4_PKE : 0) | (t->pks ? T_CR4_PKS : 0);
	if (mode != PTM_32)
		c.cr4 |= T_CR4_PAE;
	if (mode == PTM_L5)
		c.cr4 |= T_CR4_LA57;
	c.efer = t->nxe ? T_EFER_NXE : 0;
	if (mode >= PTM_L4)
		c.efer |= T_EFER_LME | T_EFER_LMA;
	c.rflags = 0x2 | (t->ac ? T_RFL_AC : 0);
	return c;
}

void verdict(const char *name, bool pass, const char *fmt, ...)
{
	va_list ap;

	if (pass) {
		printf("VERDICT PASS %s ", name);
	} else {
		t_failures++;
		printf("VERDICT FAIL %s ", name);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void verdict_skip(const char *name, const char *why)
{
	printf("VERDICT SKIP %s %s\n", name, why);
}

/* The configurations of the matrices: mode, depth of the leaf, a linear address that uses a
 * different index at every level, and a physical page aligned to the leaf's size. */
struct tcfg {
	const char *name;
	enum ptm mode;
	unsigned leaf;
	uint64_t la, pa;
};

#define LA4(a, b, c, d, off) \
	((uint64_t)(((int64_t)(((uint64_t)(a) << 39 | (uint64_t)(b) << 30 | (uint64_t)(c) << 21 | \
				(uint64_t)(d) << 12 | (off)) << 16)) >> 16))
#define LA5(e, a, b, c, d, off) \
	((uint64_t)(((int64_t)(((uint64_t)(e) << 48 | (uint64_t)(a) << 39 | (uint64_t)(b) << 30 | \
				(uint64_t)(c) << 21 | (uint64_t)(d) << 12 | (off)) << 7)) >> 7))

static const struct tcfg tcfgs[] = {
	{ "32bit-4k", PTM_32, 1, (3u << 22) | (0x2au << 12) | 0x123, 0x40203000 },
	{ "32bit-4m", PTM_32, 0, (3u << 22) | (0x2au << 12) | 0x123, 0x40800000 },
	{ "pae-4k", PTM_PAE, 2, (2u << 30) | (0x15u << 21) | (0x2au << 12) | 0x456, 0x40203000 },
	{ "pae-2m", PTM_PAE, 1, (2u << 30) | (0x15u << 21) | (0x2au << 12) | 0x456, 0x40200000 },
	{ "4level-4k", PTM_L4, 3, LA4(0x1a5, 0xc3, 0x21, 0x10f, 0x789), 0x40203000 },
	{ "4level-2m", PTM_L4, 2, LA4(0x1a5, 0xc3, 0x21, 0x10f, 0x789), 0x40200000 },
	{ "4level-1g", PTM_L4, 1, LA4(0x1a5, 0xc3, 0x21, 0x10f, 0x789), 0x40000000 },
	{ "5level-4k", PTM_L5, 4, LA5(0x1f3, 0x0a5, 0xc3, 0x21, 0x10f, 0x789), 0x40203000 },
	{ "5level-2m", PTM_L5, 3, LA5(0x1f3, 0x0a5, 0xc3, 0x21, 0x10f, 0x789), 0x40200000 },
	{ "5level-1g", PTM_L5, 2, LA5(0x1f3, 0x0a5, 0xc3, 0x21, 0x10f, 0x789), 0x40000000 },
};

struct tacc {
	char who, op;
	unsigned cpl;
};

static const struct tacc taccs[] = {
	{ 'U', 'R', 3 }, { 'U', 'W', 3 }, { 'U', 'X', 3 }, { 'S', 'R', 0 }, { 'S', 'W', 0 },
	{ 'S', 'X', 0 }, { 'S', 'R', 1 }, { 'S', 'W', 2 }, { 'I', 'R', 0 }, { 'I', 'W', 0 },
	{ 'I', 'R', 3 }, { 'I', 'W', 3 },
};

static unsigned tacc_bits(const struct tacc *a)
{
	return (a->op == 'W' ? WALK_WRITE : 0) | (a->op == 'X' ? WALK_FETCH : 0) |
	       (a->who == 'I' ? WALK_IMPLICIT : 0);
}

static uint64_t tcfg_gpa(const struct tcfg *c)
{
	unsigned shift = ptgeo[c->mode].shift[c->leaf];
	uint64_t la = c->mode < PTM_L4 ? (c->la & 0xffffffffu) : c->la;

	return c->pa | (la & ((1ull << shift) - 1));
}

struct texp {
	int ret;
	uint32_t error;
	int a_below;    /* entries above this depth must have A set */
	bool d_on_leaf; /* the leaf must have D set */
};

/* Checks one walk against the expectation, including the A/D bits it left behind. flags[i]
 * is what entry i held before the walk. Returns a failure description or NULL. */
static const char *tcheck(const struct tcfg *c, struct ptb *b, const struct ptpath *p,
			  const uint64_t *flags, const struct texp *x, int ret, uint64_t gpa,
			  const struct emul_fault *f)
{
	static char why[160];

	if (ret != x->ret) {
		snprintf(why, sizeof(why), "returned %d, want %d (error %#x want %#x)", ret,
			 x->ret, ret == 1 ? f->error : 0, x->error);
		return why;
	}
	if (ret == 0 && gpa != tcfg_gpa(c)) {
		snprintf(why, sizeof(why), "gpa %#llx", (unsigned long long)gpa);
		return why;
	}
	if (ret == 1 && (f->vector != 14 || !f->has_error || f->error != x->error ||
			 !f->has_cr2 || f->cr2 != (c->mode < PTM_L4 ? c->la & 0xffffffffu : c->la))) {
		snprintf(why, sizeof(why), "fault vec %u error %#x (want %#x) cr2 %#llx", f->vector,
			 f->error, x->error, (unsigned long long)f->cr2);
		return why;
	}
	for (unsigned i = 0; i < p->n; i++) {
		uint64_t want = p->addr[i] | flags[i];

		if (c->mode == PTM_PAE && i == 0)
			want = p->addr[0] | (flags[0] & E_P);
		else if ((int)i < x->a_below)
			want |= E_A;
		if (i + 1 == p->n && x->d_on_leaf)
			want |= E_D;
		if (ptgeo[c->mode].esize == 4)
			want &= 0xffffffffu;
		if (ptb_get(b, p, i) != want) {
			snprintf(why, sizeof(why), "entry %u is %#llx, want %#llx", i,
				 (unsigned long long)ptb_get(b, p, i), (unsigned long long)want);
			return why;
		}
	}
	return NULL;
}

struct tenv {
	struct fakemem m;
	struct emul_mem ops;
	struct ptb b;
	struct ptpath p;
};

static void tenv_init(struct tenv *e, const struct tcfg *c)
{
	fakemem_init(&e->m);
	fakemem_add(&e->m, 0x100000, 0x40000);
	e->ops = fakemem_ops(&e->m);
	ptb_init(&e->b, &e->m, c->mode, 0x100000, 0x140000);
	ptb_map(&e->b, c->la, c->pa, c->leaf, E_P, E_P, &e->p);
}

/* Entry flags for rights combination `combo`: 3 bits per rights-carrying level (U/S, R/W, XD). */
static void tcombo(const struct tcfg *c, unsigned combo, uint64_t *flags,
		   struct oracle_access *o, int *first_xd)
{
	unsigned j = 0;

	o->n = 0;
	*first_xd = -1;
	for (unsigned i = 0; i <= c->leaf; i++) {
		flags[i] = E_P | (i == c->leaf && i + 1 < ptgeo[c->mode].levels ? E_PS : 0);
		if (c->mode == PTM_PAE && i == 0)
			continue;
		o->us[o->n] = (combo >> (3 * j)) & 1;
		o->rw[o->n] = (combo >> (3 * j + 1)) & 1;
		o->xd[o->n] = c->mode != PTM_32 && ((combo >> (3 * j + 2)) & 1);
		flags[i] |= (o->us[o->n] ? E_US : 0) | (o->rw[o->n] ? E_RW : 0) |
			    (o->xd[o->n] ? E_XD : 0);
		if (o->xd[o->n] && *first_xd < 0)
			*first_xd = (int)i;
		o->n++;
		j++;
	}
}

/* The expectation: reserved XD (NXE = 0) first, then the rights oracle. */
static void texpect(const struct tcfg *c, struct oracle_access *o, int first_xd,
		    struct texp *x)
{
	uint32_t err;

	if (c->mode != PTM_32 && !o->nxe && first_xd >= 0) {
		x->ret = 1;
		x->error = 0x9u | (o->op == 'W' ? 0x2u : 0) | (o->who == 'U' ? 0x4u : 0) |
			   (o->op == 'X' && o->smep ? 0x10u : 0);
		x->a_below = first_xd;
		x->d_on_leaf = false;
		return;
	}
	if (oracle_allows(o, &err)) {
		x->ret = 0;
		x->a_below = (int)c->leaf + 1;
		x->d_on_leaf = o->op == 'W';
	} else {
		x->ret = 1;
		x->error = err;
		x->a_below = (int)c->leaf;
		x->d_on_leaf = false;
	}
}

/* The running result of one matrix: case count and the first mismatch. */
struct trun {
	unsigned long cases, bad;
	char first[300];
};

static void trun_verdict(const struct trun *r, const char *group, const struct tcfg *c)
{
	char name[64];

	snprintf(name, sizeof(name), "walk/%s/%s", group, c->name);
	verdict(name, !r->bad, "%lu cases, %lu mismatches%s%s", r->cases, r->bad,
		r->bad ? "; first: " : "", r->first);
}

/* Writes the entries, walks, and checks the result against the oracle's expectation. */
static void trun_walk(struct tenv *e, const struct tcfg *c, const struct tstate *t,
		      const struct tacc *a, const uint64_t *flags, struct oracle_access *o,
		      int first_xd, struct trun *r, const char *what)
{
	struct walk_ctl ctl = tctl(c->mode, e->b.cr3, t);
	struct emul_fault f = { 0 };
	uint64_t gpa = 0;
	struct texp x;
	const char *why;
	int ret;

	for (unsigned i = 0; i <= c->leaf; i++)
		ptb_set(&e->b, &e->p, i, flags[i]);
	texpect(c, o, first_xd, &x);
	ret = emul_walk(&ctl, &e->ops, c->la, tacc_bits(a), &gpa, &f);
	why = tcheck(c, &e->b, &e->p, flags, &x, ret, gpa, &f);
	r->cases++;
	if (why && !r->bad++)
		snprintf(r->first, sizeof(r->first), "%s %c%c cpl %u: %s", what, a->who, a->op,
			 a->cpl, why);
}

static void rights_one(struct tenv *e, const struct tcfg *c, unsigned combo, unsigned st,
		       const struct tacc *a, struct trun *r)
{
	struct tstate t = { .wp = st & 1, .smap = st & 2, .smep = st & 4, .ac = st & 8,
			    .nxe = st & 16, .pse = true, .cpl = a->cpl };
	struct oracle_access o = { .mode = c->mode, .who = a->who, .op = a->op, .wp = t.wp,
				   .smap = t.smap, .smep = t.smep, .ac = t.ac, .nxe = t.nxe };
	uint64_t flags[5];
	char what[64];
	int first_xd;

	tcombo(c, combo, flags, &o, &first_xd);
	snprintf(what, sizeof(what), "combo %#o state %#x", combo, st);
	trun_walk(e, c, &t, a, flags, &o, first_xd, r, what);
}

/* Every U/S, R/W, XD combination per level x CR0.WP, CR4.SMAP, CR4.SMEP, RFLAGS.AC,
 * EFER.NXE x access kind, against the SDM 4.6 decision table. */
static void test_rights(const struct tcfg *c)
{
	unsigned nrl = c->leaf + 1 - (c->mode == PTM_PAE);
	struct trun r = { 0 };
	struct tenv e;

	tenv_init(&e, c);
	for (unsigned combo = 0; combo < (1u << (3 * nrl)); combo++) {
		if (c->mode == PTM_32 && (combo & 044444)) /* 32-bit paging has no XD bit */
			continue;
		/* 5-level 4 KiB: a fixed quarter of the 2^15 combinations keeps the run short. */
		if (nrl == 5 && ((combo * 0x9e3779b1u) >> 30))
			continue;
		for (unsigned st = 0; st < 32; st++)
			for (size_t ai = 0; ai < sizeof(taccs) / sizeof(taccs[0]); ai++)
				rights_one(&e, c, combo, st, &taccs[ai], &r);
	}
	trun_verdict(&r, "rights", c);
	fakemem_free(&e.m);
}

static uint32_t t_rand_state = 12345;

static uint32_t trand(void)
{
	t_rand_state = t_rand_state * 1103515245u + 12345u;
	return t_rand_state >> 1 ^ t_rand_state << 17;
}

/* One protection-key case: the leaf carries `key`, the other levels other keys (ignored
 * there); st picks CR0.WP, CR4.PKE, CR4.PKS, a user or supervisor page, R/W, CR4.SMAP. */
static void pkeys_one(struct tenv *e, const struct tcfg *c, uint32_t reg, unsigned st,
		      unsigned key, const struct tacc *a, struct trun *r)
{
	struct tstate t = { .wp = st & 1, .pke = st & 2, .pks = st & 4, .smap = st & 32,
			    .nxe = true, .cpl = a->cpl, .pkru = reg, .pkrs = ~reg };
	struct oracle_access o = { .mode = c->mode, .who = a->who, .op = a->op, .wp = t.wp,
				   .smap = t.smap, .nxe = true, .pke = t.pke, .pks = t.pks,
				   .pkru = reg, .pkrs = ~reg, .key = key, .n = c->leaf + 1 };
	uint64_t flags[5];
	char what[64];

	for (unsigned i = 0; i <= c->leaf; i++) {
		uint64_t k = i == c->leaf ? key : (key + 7 + i) & 15;

		o.us[i] = (st & 8) || i != c->leaf;
		o.rw[i] = (st & 16) || i != 0;
		o.xd[i] = false;
		flags[i] = E_P | (o.us[i] ? E_US : 0) | (o.rw[i] ? E_RW : 0) | k << 59 |
			   (i == c->leaf && i + 1 < ptgeo[c->mode].levels ? E_PS : 0);
	}
	snprintf(what, sizeof(what), "reg %#x state %#x key %u", reg, st, key);
	trun_walk(e, c, &t, a, flags, &o, -1, r, what);
}

/* Protection keys (SDM 4.6.2): PKRU/PKRS values x key x page kind x state x access. */
static void test_pkeys(const struct tcfg *c)
{
	static const uint32_t fixed[] = { 0, 0x55555555u, 0xaaaaaaaau, 0xffffffffu };
	struct trun r = { 0 };
	struct tenv e;

	tenv_init(&e, c);
	for (unsigned v = 0; v < 24; v++) {
		uint32_t reg = v < 4 ? fixed[v] : trand();

		for (unsigned st = 0; st < 64; st++)
			for (unsigned key = 0; key < 16; key++)
				for (size_t ai = 0; ai < sizeof(taccs) / sizeof(taccs[0]); ai++)
					pkeys_one(&e, c, reg, st, key, &taccs[ai], &r);
	}
	trun_verdict(&r, "pkeys", c);
	fakemem_free(&e.m);
}

/* SDM 4.7: an entry with P = 0 ends the walk with a not-present fault whatever its other bits
 * (reserved bits are not checked); the entries above it were used and get A (SDM 4.8). */
static void test_notpresent(const struct tcfg *c)
{
	struct tenv e;
	struct tstate t = { .wp = true, .pse = true, .nxe = true, .cpl = 3 };
	struct walk_ctl ctl;
	unsigned bad = 0;
	char name[64], first[200] = "";

	tenv_init(&e, c);
	ctl = tctl(c->mode, e.b.cr3, &t);
	for (unsigned lvl = 0; lvl <= c->leaf; lvl++) {
		uint64_t flags[5], gpa = 0;
		struct emul_fault f = { 0 };
		struct texp x = { .ret = 1, .error = 0x6, .a_below = (int)lvl };
		const char *why;
		int ret;

		for (unsigned i = 0; i <= c->leaf; i++) {
			flags[i] = E_P | E_RW | E_US |
				   (i == c->leaf && i + 1 < ptgeo[c->mode].levels ? E_PS : 0);
			if (i == lvl)
				flags[i] = c->mode == PTM_PAE && i == 0 ? 0 : ~E_P;
			ptb_set(&e.b, &e.p, i, flags[i]);
		}
		ret = emul_walk(&ctl, &e.ops, c->la, WALK_WRITE, &gpa, &f);
		why = tcheck(c, &e.b, &e.p, flags, &x, ret, gpa, &f);
		if (why && !bad++)
			snprintf(first, sizeof(first), "level %u: %s", lvl, why);
	}
	snprintf(name, sizeof(name), "walk/notpresent/%s", c->name);
	verdict(name, !bad, "%u of %u levels wrong %s", bad, c->leaf + 1, first);
	fakemem_free(&e.m);
}

static enum oracle_ekind tkind(const struct tcfg *c, unsigned lvl)
{
	if (c->mode == PTM_PAE && lvl == 0)
		return EK_PDPTE_PAE;
	if (lvl < c->leaf)
		return EK_TABLE;
	return lvl + 1 < ptgeo[c->mode].levels ? EK_PAGE_LARGE : EK_PAGE_4K;
}

/* Physical-address bit that entry bit `bit` of a leaf supplies (PSE-36: 20:13 -> 39:32). */
static unsigned tpabit(const struct tcfg *c, unsigned bit)
{
	return c->mode == PTM_32 && c->leaf == 0 && bit < 22 ? bit + 19 : bit;
}

/* One flipped bit: the expected outcome from the SDM entry-format tables, or skip. */
static bool rsvd_expect(const struct tcfg *c, unsigned lvl, unsigned m, bool nxe, unsigned bit,
			int *xret, uint32_t *xerr, uint64_t *want)
{
	enum oracle_ekind k = tkind(c, lvl);
	uint64_t b = 1ull << bit, addr = oracle_addr(c->mode, lvl, k, m);

	*xret = 0;
	*xerr = 0;
	*want = tcfg_gpa(c);
	if (bit == 0) {
		*xret = 1;
	} else if (oracle_rsvd(c->mode, lvl, k, m, nxe) & b) {
		*xret = 1;
		*xerr = 0x9;
	} else if ((bit == 7 && k != EK_PAGE_4K) || ((addr & b) && lvl != c->leaf)) {
		return false; /* the entry changes kind, or points to another table */
	} else if (addr & b) {
		*want ^= 1ull << tpabit(c, bit);
	}
	return true;
}

static void rsvd_one(struct tenv *e, const struct tcfg *c, unsigned m, bool nxe, unsigned lvl,
		     unsigned bit, struct trun *r, unsigned long *skipped)
{
	struct tstate t = { .wp = true, .pse = true, .nxe = nxe, .m = m };
	struct walk_ctl ctl = tctl(c->mode, e->b.cr3, &t);
	struct emul_fault f = { 0 };
	uint64_t gpa = 0, want;
	uint32_t xerr;
	int ret, xret;

	if (!rsvd_expect(c, lvl, m, nxe, bit, &xret, &xerr, &want)) {
		(*skipped)++;
		return;
	}
	for (unsigned i = 0; i <= c->leaf; i++)
		ptb_set(&e->b, &e->p, i, i == 0 && c->mode == PTM_PAE ? E_P :
			E_P | E_RW | E_US | E_A | (tkind(c, i) == EK_TABLE ? 0 : E_D) |
			(tkind(c, i) == EK_PAGE_LARGE ? E_PS : 0));
	fakemem_wr(&e->m, e->p.gpa[lvl], ptb_get(&e->b, &e->p, lvl) ^ (1ull << bit),
		   ptgeo[c->mode].esize);
	ret = emul_walk(&ctl, &e->ops, c->la, 0, &gpa, &f);
	r->cases++;
	if ((ret != xret || (ret == 0 && gpa != want) ||
	     (ret == 1 && (f.vector != 14 || f.error != xerr))) && !r->bad++)
		snprintf(r->first, sizeof(r->first),
			 "M %u nxe %u level %u bit %u: r %d error %#x gpa %#llx (want r %d error "
			 "%#x gpa %#llx)", m, nxe, lvl, bit, ret, f.error, (unsigned long long)gpa,
			 xret, xerr, (unsigned long long)want);
}

/* Flips each bit of each entry in turn and checks the outcome the SDM's entry-format tables
 * give (walk_oracle.c): reserved -> #PF with RSVD, leaf address bit -> another page, ignored ->
 * the same page. A flipped P gives not-present; PS in a table entry changes its kind (skipped). */
static void test_rsvd(const struct tcfg *c)
{
	static const unsigned ms[] = { 36, 40, 46, 52 };
	unsigned long skipped = 0;
	struct trun r = { 0 };
	struct tenv e;
	char name[64];

	tenv_init(&e, c);
	for (unsigned mi = 0; mi < 4; mi++)
		for (unsigned nxe = 0; nxe < 2; nxe++)
			for (unsigned lvl = 0; lvl <= c->leaf; lvl++)
				for (unsigned bit = 0; bit < 8 * ptgeo[c->mode].esize; bit++)
					rsvd_one(&e, c, ms[mi], nxe, lvl, bit, &r, &skipped);
	snprintf(name, sizeof(name), "walk/rsvd/%s", c->name);
	verdict(name, !r.bad, "%lu cases (%lu skipped), %lu mismatches%s%s", r.cases, skipped,
		r.bad, r.bad ? "; first: " : "", r.first);
	fakemem_free(&e.m);
}

int main(void)
{
	cases_hand();
	for (size_t i = 0; i < sizeof(tcfgs) / sizeof(tcfgs[0]); i++)
		test_rights(&tcfgs[i]);
	for (size_t i = 0; i < sizeof(tcfgs) / sizeof(tcfgs[0]); i++)
		if (tcfgs[i].mode >= PTM_L4)
			test_pkeys(&tcfgs[i]);
	for (size_t i = 0; i < sizeof(tcfgs) / sizeof(tcfgs[0]); i++) {
		test_rsvd(&tcfgs[i]);
		test_notpresent(&tcfgs[i]);
	}
	cases_outside();
	cases_ad();
	cases_canonical();
	cases_pdpte();
	printf("walk: %u failures\n", t_failures);
	return t_failures ? 1 : 0;
}
