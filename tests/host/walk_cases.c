/* Page-walker single cases: worked examples with literal tables and numbers (SDM Vol. 3A 4.3-4.5),
 * not-present at every level, tables outside guest RAM, A/D updates and cmpxchg races,
 * canonical addresses, the PAE PDPTE cache. */
#include <stdio.h>
#include <string.h>
#include "walk_test.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x40000ull

static void ram(struct fakemem *m, struct emul_mem *ops)
{
	fakemem_init(m);
	fakemem_add(m, RAM_BASE, RAM_SIZE);
	*ops = fakemem_ops(m);
}

static bool is_pf(int r, const struct emul_fault *f, uint32_t error, uint64_t cr2)
{
	return r == 1 && f->vector == 14 && f->has_error && f->error == error && f->has_cr2 &&
	       f->cr2 == cr2;
}

static bool is_gp0(int r, const struct emul_fault *f)
{
	return r == 1 && f->vector == 13 && f->has_error && f->error == 0 && !f->has_cr2;
}

/* SDM 4.3, Figure 4-2: la 0x00401234 -> directory 1, table 1, offset 0x234. */
static void hand_32bit(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { .wp = true };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	ram(&m, &ops);
	fakemem_wr(&m, 0x100004, 0x00102007, 4); /* PDE 1: table at 0x102000, U/S R/W P */
	fakemem_wr(&m, 0x102004, 0x00555007, 4); /* PTE 1: page at 0x555000 */
	c = tctl(PTM_32, 0x100000, &t);
	r = emul_walk(&c, &ops, 0x00401234, WALK_WRITE, &gpa, &f);
	verdict("walk/hand/32bit-4k", r == 0 && gpa == 0x555234 &&
		fakemem_rd(&m, 0x100004, 4) == 0x00102027 && fakemem_rd(&m, 0x102004, 4) == 0x00555067,
		"r %d gpa %#llx pde %#llx pte %#llx", r, (unsigned long long)gpa,
		(unsigned long long)fakemem_rd(&m, 0x100004, 4),
		(unsigned long long)fakemem_rd(&m, 0x102004, 4));
	fakemem_free(&m);
}

/* SDM Table 4-4 (PSE-36): PDE 3 = 0xC0006087 maps PA bits 31:22 = 0xC0000000 and, from PDE bits
 * 20:13 = 3, PA bits 39:32 = 3: la 0x00C12345 -> 0x3_C001_2345. With MAXPHYADDR 36, PDE bit 17
 * is reserved (21:M-19 = 21:17); with 40 it is PA bit 36. */
static void hand_pse36(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { .pse = true, .m = 36 };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r1, r2, r3;
	bool ok;

	ram(&m, &ops);
	fakemem_wr(&m, 0x10000c, 0xC0006087, 4);
	c = tctl(PTM_32, 0x100000, &t);
	r1 = emul_walk(&c, &ops, 0x00C12345, 0, &gpa, &f);
	ok = r1 == 0 && gpa == 0x3C0012345ull;
	fakemem_wr(&m, 0x10000c, 0xC0026087, 4);
	r2 = emul_walk(&c, &ops, 0x00C12345, 0, &gpa, &f);
	ok = ok && is_pf(r2, &f, 0x9, 0x00C12345);
	c.maxphyaddr = 40;
	r3 = emul_walk(&c, &ops, 0x00C12345, 0, &gpa, &f);
	ok = ok && r3 == 0 && gpa == 0x13C0012345ull;
	verdict("walk/hand/32bit-pse36", ok, "r %d/%d/%d gpa %#llx", r1, r2, r3,
		(unsigned long long)gpa);
	fakemem_free(&m);
}

/* SDM Table 4-5: with CR4.PSE = 0 the PDE's PS bit is ignored and the PDE points to a table:
 * la 0x00C12345 -> PDE 3 -> table 0x103000, PTE 0x12 -> 0x777345. */
static void hand_nopse(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { 0 };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	ram(&m, &ops);
	fakemem_wr(&m, 0x10000c, 0x00103087, 4);
	fakemem_wr(&m, 0x103048, 0x00777005, 4);
	c = tctl(PTM_32, 0x100000, &t);
	r = emul_walk(&c, &ops, 0x00C12345, 0, &gpa, &f);
	verdict("walk/hand/32bit-pse-off", r == 0 && gpa == 0x777345, "r %d gpa %#llx", r,
		(unsigned long long)gpa);
	fakemem_free(&m);
}

/* SDM 4.4.2, Figure 4-5: CR3 0x100060 -> PDPT at 0x100060; la 0xC0201ABC -> PDPTE 3, PDE 1,
 * PTE 1. The PTE has XD: with NXE a read works, a fetch faults with P|I (SDM 4.7). */
static void hand_pae(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { .nxe = true };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r1, r2;

	ram(&m, &ops);
	fakemem_wr(&m, 0x100078, 0x00101001, 8);
	fakemem_wr(&m, 0x101008, 0x00102003, 8);
	fakemem_wr(&m, 0x102008, 0x8000000123456003ull, 8);
	c = tctl(PTM_PAE, 0x100060, &t);
	r1 = emul_walk(&c, &ops, 0xC0201ABC, 0, &gpa, &f);
	r2 = emul_walk(&c, &ops, 0xC0201ABC, WALK_FETCH, &gpa, &f);
	verdict("walk/hand/pae-4k-xd", r1 == 0 && is_pf(r2, &f, 0x11, 0xC0201ABC) &&
		fakemem_rd(&m, 0x100078, 8) == 0x00101001,
		"r %d/%d error %#x", r1, r2, f.error);
	fakemem_free(&m);
}

/* SDM 4.5.4, Figure 4-8: la 0xFFFF888140603ABC -> PML4 0x111, PDPT 5, PD 3, PT 3, offset 0xABC. */
static void hand_4level(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { .wp = true, .nxe = true };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	ram(&m, &ops);
	fakemem_wr(&m, 0x100000 + 0x111 * 8, 0x101003, 8);
	fakemem_wr(&m, 0x101000 + 5 * 8, 0x102003, 8);
	fakemem_wr(&m, 0x102000 + 3 * 8, 0x103003, 8);
	fakemem_wr(&m, 0x103000 + 3 * 8, 0x8000000abcdef003ull, 8);
	c = tctl(PTM_L4, 0x100000, &t);
	r = emul_walk(&c, &ops, 0xFFFF888140603ABCull, WALK_WRITE, &gpa, &f);
	verdict("walk/hand/4level-4k", r == 0 && gpa == 0xabcdefabcull &&
		fakemem_rd(&m, 0x103018, 8) == 0x8000000abcdef063ull,
		"r %d gpa %#llx", r, (unsigned long long)gpa);
	fakemem_free(&m);
}

/* SDM 4.5, Figure 4-10: la 0x4012345678 -> PML4 0, PDPT 0x100; a PDPTE with PS maps 1 GiB at
 * 0x80000000, offset la[29:0] = 0x12345678. */
static void hand_1g(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { 0 };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	ram(&m, &ops);
	fakemem_wr(&m, 0x100000, 0x101003, 8);
	fakemem_wr(&m, 0x101000 + 0x100 * 8, 0x80000083, 8);
	c = tctl(PTM_L4, 0x100000, &t);
	r = emul_walk(&c, &ops, 0x4012345678ull, 0, &gpa, &f);
	verdict("walk/hand/4level-1g", r == 0 && gpa == 0x92345678, "r %d gpa %#llx", r,
		(unsigned long long)gpa);
	fakemem_free(&m);
}

/* SDM 4.5 with CR4.LA57: la 0xFF123456789ABCDE is canonical in 57 bits only; PML5 0x112,
 * PML4 0x68, PDPT 0x159, PD 0x1C4 (2-MByte page at 0x40000000, offset la[20:0] = 0x1ABCDE). */
static void hand_5level(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { 0 };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0, gpa4 = 0;
	int r1, r2;

	ram(&m, &ops);
	fakemem_wr(&m, 0x100000 + 0x112 * 8, 0x101003, 8);
	fakemem_wr(&m, 0x101000 + 0x68 * 8, 0x102003, 8);
	fakemem_wr(&m, 0x102000 + 0x159 * 8, 0x103003, 8);
	fakemem_wr(&m, 0x103000 + 0x1c4 * 8, 0x40000083, 8);
	c = tctl(PTM_L5, 0x100000, &t);
	r1 = emul_walk(&c, &ops, 0xFF123456789ABCDEull, 0, &gpa, &f);
	c = tctl(PTM_L4, 0x100000, &t);
	r2 = emul_walk(&c, &ops, 0xFF123456789ABCDEull, 0, &gpa4, &f);
	verdict("walk/hand/5level-2m", r1 == 0 && gpa == 0x401ABCDE && is_gp0(r2, &f),
		"r %d/%d gpa %#llx", r1, r2, (unsigned long long)gpa);
	fakemem_free(&m);
}

/* SDM 4.1.1: with CR0.PG = 0 the linear address is the physical address (32 bits wide). */
static void hand_off(void)
{
	struct fakemem m;
	struct emul_mem ops;
	struct walk_ctl c = { .cr0 = T_CR0_PE };
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	ram(&m, &ops);
	r = emul_walk(&c, &ops, 0x100005678ull, WALK_WRITE, &gpa, &f);
	verdict("walk/hand/paging-off", r == 0 && gpa == 0x5678 && m.reads == 0 && m.cmpxchgs == 0,
		"r %d gpa %#llx reads %u", r, (unsigned long long)gpa, m.reads);
	fakemem_free(&m);
}

void cases_hand(void)
{
	hand_32bit();
	hand_pse36();
	hand_nopse();
	hand_pae();
	hand_4level();
	hand_1g();
	hand_5level();
	hand_off();
}

/* A fresh RAM with la mapped through tables of `mode` (all P|R/W|U/S, A clear). */
struct cenv {
	struct fakemem m;
	struct emul_mem ops;
	struct ptb b;
	struct ptpath p;
	struct walk_ctl c;
};

static const uint64_t c_la32 = 0x00C2A123, c_la64 = 0x00007f8a4c62a123ull;

static void cenv_init(struct cenv *e, enum ptm mode, unsigned leaf, const struct tstate *t)
{
	ram(&e->m, &e->ops);
	ptb_init(&e->b, &e->m, mode, RAM_BASE, RAM_BASE + RAM_SIZE);
	ptb_map(&e->b, mode < PTM_L4 ? c_la32 : c_la64, 0x40000000, leaf, E_P | E_RW | E_US,
		E_P | E_RW | E_US, &e->p);
	e->c = tctl(mode, e->b.cr3, t);
}

static uint64_t c_la(enum ptm mode)
{
	return mode < PTM_L4 ? c_la32 : c_la64;
}

/* The entry that indexes table `table` at depth `lvl` for la. */
static uint64_t c_entry(enum ptm mode, unsigned lvl, uint64_t table)
{
	const struct ptgeo *g = &ptgeo[mode];

	return table + ((c_la(mode) >> g->shift[lvl]) & ((1ull << g->bits[lvl]) - 1)) * g->esize;
}

/* A table pointer (or CR3) outside guest RAM: the walker stops with -WALK_EFAULT, reports the
 * refused entry's address and reads nothing else. */
static void outside_mode(enum ptm mode)
{
	const struct ptgeo *g = &ptgeo[mode];
	/* Legacy CR3 is 32 bits wide; entries of the other modes reach above 4 GiB. */
	uint64_t far = mode <= PTM_PAE ? 0xF0000000ull : 0x700000000ull;
	unsigned leaf = g->levels - 1, bad = 0;
	struct tstate t = { 0 };
	char name[64], first[160] = "";

	for (int lvl = -1; lvl < (int)leaf; lvl++) {
		struct cenv e;
		struct emul_fault f;
		uint64_t gpa = 0, want;
		int r;

		cenv_init(&e, mode, leaf, &t);
		if (lvl < 0) {
			e.c.cr3 = far + (mode == PTM_PAE ? 0x60 : 0);
			want = c_entry(mode, 0, e.c.cr3);
		} else {
			uint64_t fl = mode == PTM_PAE && lvl == 0 ? E_P : E_P | E_RW | E_US;

			fakemem_wr(&e.m, e.p.gpa[lvl], far | fl, g->esize);
			want = c_entry(mode, (unsigned)lvl + 1, far);
		}
		r = emul_walk(&e.c, &e.ops, c_la(mode), WALK_WRITE, &gpa, &f);
		if ((r != -WALK_EFAULT || gpa != want || e.m.refused != 1) && !bad++)
			snprintf(first, sizeof(first), "level %d: r %d gpa %#llx want %#llx refused %u",
				 lvl, r, (unsigned long long)gpa, (unsigned long long)want,
				 e.m.refused);
		fakemem_free(&e.m);
	}
	snprintf(name, sizeof(name), "walk/outside/%s", g->name);
	verdict(name, !bad, "%u of %u levels wrong %s", bad, leaf + 1, first);
}

static void outside_cmpxchg(void)
{
	struct cenv e;
	struct tstate t = { 0 };
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	cenv_init(&e, PTM_L4, 3, &t);
	e.m.cmpxchg_refuse = true;
	r = emul_walk(&e.c, &e.ops, c_la64, 0, &gpa, &f);
	verdict("walk/outside/cmpxchg-refused", r == -WALK_EFAULT && gpa == e.p.gpa[0],
		"r %d gpa %#llx", r, (unsigned long long)gpa);
	fakemem_free(&e.m);
}

void cases_outside(void)
{
	for (enum ptm mode = PTM_32; mode < PTM_COUNT; mode++)
		outside_mode(mode);
	outside_cmpxchg();
}

static void ad_preset(struct cenv *e, uint64_t extra)
{
	for (unsigned i = 0; i < e->p.n; i++)
		ptb_set(&e->b, &e->p, i, ptb_get(&e->b, &e->p, i) | extra);
}

/* SDM 4.8: nothing to write when A (and D for a write) are already set. */
static void ad_already_set(void)
{
	struct cenv e;
	struct tstate t = { .wp = true };
	struct emul_fault f;
	uint64_t gpa = 0;
	int r;

	cenv_init(&e, PTM_L4, 3, &t);
	ad_preset(&e, E_A | E_D);
	r = emul_walk(&e.c, &e.ops, c_la64, WALK_WRITE, &gpa, &f);
	verdict("walk/ad/already-set", r == 0 && e.m.cmpxchgs == 0, "r %d cmpxchgs %u", r,
		e.m.cmpxchgs);
	fakemem_free(&e.m);
}

/* SDM 4.8: D only in the entry that maps the page (here a 2-MByte PDE), A in all of them. */
static void ad_dirty_leaf(void)
{
	struct cenv e;
	struct tstate t = { .wp = true };
	struct emul_fault f;
	uint64_t gpa = 0;
	bool ok;
	int r;

	cenv_init(&e, PTM_L4, 2, &t);
	r = emul_walk(&e.c, &e.ops, c_la64, WALK_WRITE, &gpa, &f);
	ok = r == 0;
	for (unsigned i = 0; i < 3; i++)
		ok = ok && (ptb_get(&e.b, &e.p, i) & (E_A | E_D)) == (i == 2 ? E_A | E_D : E_A);
	verdict("walk/ad/dirty-leaf-only", ok, "r %d pde %#llx", r,
		(unsigned long long)ptb_get(&e.b, &e.p, 2));
	fakemem_free(&e.m);
}

/* Another CPU changes an entry between the walker's read and its cmpxchg: walk again. */
static void ad_races(void)
{
	struct cenv e;
	struct tstate t = { .wp = true };
	struct emul_fault f;
	uint64_t gpa = 0;
	int r1, r2, r3, r4;
	bool ok;

	cenv_init(&e, PTM_L4, 3, &t);
	e.m.interfere = 1;
	e.m.interfere_xor = 1ull << 9; /* an ignored bit: the retry must succeed */
	r1 = emul_walk(&e.c, &e.ops, c_la64, 0, &gpa, &f);
	ok = r1 == 0 && gpa == 0x40000123 && ptb_get(&e.b, &e.p, 0) == (e.p.addr[0] | 0x227);
	verdict("walk/ad/race-retry", ok, "r %d entry %#llx", r1,
		(unsigned long long)ptb_get(&e.b, &e.p, 0));

	e.m.interfere = 1;
	e.m.interfere_xor = E_P; /* the leaf went away under the D update */
	r2 = emul_walk(&e.c, &e.ops, c_la64, WALK_WRITE, &gpa, &f);
	verdict("walk/ad/race-not-present", is_pf(r2, &f, 0x2, c_la64), "r %d error %#x", r2,
		f.error);

	ptb_set(&e.b, &e.p, 3, E_P | E_RW | E_US);
	e.m.interfere = 1;
	e.m.interfere_xor = E_RW; /* made read-only under the D update, CR0.WP = 1 */
	r3 = emul_walk(&e.c, &e.ops, c_la64, WALK_WRITE, &gpa, &f);
	verdict("walk/ad/race-read-only", is_pf(r3, &f, 0x3, c_la64), "r %d error %#x", r3,
		f.error);

	ptb_set(&e.b, &e.p, 3, E_P | E_RW | E_US);
	e.m.interfere = 1000;
	e.m.interfere_xor = 1ull << 10;
	e.m.cmpxchgs = 0;
	r4 = emul_walk(&e.c, &e.ops, c_la64, WALK_WRITE, &gpa, &f);
	verdict("walk/ad/race-bounded", r4 == -WALK_EAGAIN && e.m.cmpxchgs == 8,
		"r %d after %u cmpxchgs", r4, e.m.cmpxchgs);
	fakemem_free(&e.m);
}

/* 32-bit paging: 4-byte entries; the walker's update leaves the neighbouring entry alone. */
static void ad_32bit_width(void)
{
	struct cenv e;
	struct tstate t = { 0 };
	struct emul_fault f;
	uint64_t gpa = 0, next;
	int r;

	cenv_init(&e, PTM_32, 1, &t);
	next = e.p.gpa[1] + 4;
	fakemem_wr(&e.m, next, 0xffffff9f, 4);
	r = emul_walk(&e.c, &e.ops, c_la32, WALK_WRITE, &gpa, &f);
	verdict("walk/ad/32bit-entry-width", r == 0 && fakemem_rd(&e.m, next, 4) == 0xffffff9f &&
		ptb_get(&e.b, &e.p, 1) == (e.p.addr[1] | 0x67),
		"r %d pte %#llx", r, (unsigned long long)ptb_get(&e.b, &e.p, 1));
	fakemem_free(&e.m);
}

void cases_ad(void)
{
	ad_already_set();
	ad_dirty_leaf();
	ad_races();
	ad_32bit_width();
}

/* SDM 3.3.7.1 / 4.5: 48-bit (57-bit with LA57) canonical addresses; outside long mode only
 * la[31:0] exists. Empty tables: a canonical address gets a not-present #PF. */
static void canon_one(enum ptm mode, uint64_t la, bool canonical, unsigned *bad, char *first)
{
	struct fakemem m;
	struct emul_mem ops;
	struct tstate t = { 0 };
	struct walk_ctl c;
	struct emul_fault f;
	uint64_t gpa = 0;
	uint64_t cr2 = mode < PTM_L4 ? la & 0xffffffffu : la;
	int r;

	ram(&m, &ops);
	c = tctl(mode, RAM_BASE, &t);
	r = emul_walk(&c, &ops, la, 0, &gpa, &f);
	if (!(canonical ? is_pf(r, &f, 0, cr2) : is_gp0(r, &f)) && !(*bad)++)
		sprintf(first, "%s la %#llx: r %d vector %u", ptgeo[mode].name,
			(unsigned long long)la, r, f.vector);
	fakemem_free(&m);
}

void cases_canonical(void)
{
	static const struct {
		enum ptm mode;
		uint64_t la;
		bool canonical;
	} v[] = {
		{ PTM_L4, 0x0000800000000000ull, false }, { PTM_L4, 0xFFFF7FFFFFFFFFFFull, false },
		{ PTM_L4, 0x00007FFFFFFFF000ull, true },  { PTM_L4, 0xFFFF800000000000ull, true },
		{ PTM_L4, 0x8000000000000000ull, false }, { PTM_L5, 0x0100000000000000ull, false },
		{ PTM_L5, 0xFEFFFFFFFFFFFFFFull, false }, { PTM_L5, 0x00FFFFFFFFFFF000ull, true },
		{ PTM_L5, 0xFF00000000000000ull, true },  { PTM_L5, 0x0000800000000000ull, true },
		{ PTM_32, 0xDEADBEEF00401234ull, true },  { PTM_PAE, 0x8000000000401234ull, true },
	};
	unsigned bad = 0;
	char first[160] = "";

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		canon_one(v[i].mode, v[i].la, v[i].canonical, &bad, first);
	verdict("walk/canonical", !bad, "%u of %zu wrong %s", bad, sizeof(v) / sizeof(v[0]), first);
}

/* PAE: the PDPTEs the CPU loaded at the last CR3 write (struct walk_ctl.pdpte) win over memory;
 * their reserved bits (SDM Table 4-8: 63:M, 8:5, 2:1) still fault. */
void cases_pdpte(void)
{
	struct cenv e;
	struct tstate t = { .m = 36 };
	struct emul_fault f;
	uint64_t gpa = 0, cached;
	unsigned idx = (c_la32 >> 30) & 3, reads;
	int r1, r2, r3, r4;

	cenv_init(&e, PTM_PAE, 2, &t);
	cached = ptb_get(&e.b, &e.p, 0);
	fakemem_wr(&e.m, e.p.gpa[0], 0, 8);
	e.c.pdpte_valid = true;
	e.c.pdpte[idx] = cached;
	reads = e.m.reads;
	r1 = emul_walk(&e.c, &e.ops, c_la32, 0, &gpa, &f);
	verdict("walk/pdpte/cached-used", r1 == 0 && gpa == 0x40000123 && e.m.reads - reads == 2,
		"r %d gpa %#llx reads %u", r1, (unsigned long long)gpa, e.m.reads - reads);
	fakemem_wr(&e.m, e.p.gpa[0], cached, 8);
	e.c.pdpte[idx] = 0;
	r2 = emul_walk(&e.c, &e.ops, c_la32, 0, &gpa, &f);
	verdict("walk/pdpte/cached-not-present", is_pf(r2, &f, 0, c_la32), "r %d", r2);
	e.c.pdpte[idx] = cached | 0x2;
	r3 = emul_walk(&e.c, &e.ops, c_la32, 0, &gpa, &f);
	e.c.pdpte[idx] = cached | 1ull << 40;
	r4 = emul_walk(&e.c, &e.ops, c_la32, 0, &gpa, &f);
	verdict("walk/pdpte/cached-reserved", is_pf(r3, &f, 0x9, c_la32) &&
		is_pf(r4, &f, 0x9, c_la32), "r %d/%d", r3, r4);
	fakemem_free(&e.m);
}
