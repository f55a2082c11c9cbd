/* Differential test of emul_walk() against QEMU's TCG page walker: random page tables and
 * control state are generated here, run on the emulated CPU by a small probe kernel
 * (tests/host/walkq/, booted with qemu -kernel) and replayed through emul_walk() on the same
 * memory. The exception (vector, error code, CR2) and every paging-structure entry the access
 * changed (A/D bits) must agree. Prints VERDICT lines; exits non-zero on a mismatch. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "walk_mem.h"
#include "walkq/walkq.h"

#define NCASES   4000u
#define QEMU_CPU "qemu64,+la57,+pku,+pks,+smep,+smap,+pdpe1gb,+nx"
#define FEAT_LA57 0x1000u
#define FEAT_1G   0x2000u

static const char *const mode_names[] = { "32bit", "pae", "4level", "5level" };

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static bool chance(unsigned percent)
{
	return rnd() % 100 < percent;
}

/* Geometry of each mode (SDM Vol. 3A Figures 4-2..4-10). */
static const struct {
	unsigned levels, esize, shift[5], first_leaf;
} geo[4] = {
	[WQ_32] = { 2, 4, { 22, 12 }, 0 },
	[WQ_PAE] = { 3, 8, { 30, 21, 12 }, 1 },
	[WQ_L4] = { 4, 8, { 39, 30, 21, 12 }, 1 },
	[WQ_L5] = { 5, 8, { 48, 39, 30, 21, 12 }, 2 },
};

static void add_ent(struct wq_case *c, uint32_t off, uint64_t val, unsigned size)
{
	c->ent[c->nent++] = (struct wq_entry){ off, size, val };
}

/* A bit to flip in a random entry: ignored bits, reserved ones at and above MAXPHYADDR 40
 * (QEMU's qemu64), the large-page reserved range, bits 62:52, or PS. Never an address bit
 * below 40: every table and page the access can reach stays in guest RAM. */
static uint64_t noise(const struct wq_case *c, unsigned lvl, bool leaf, bool large)
{
	unsigned shift = geo[c->mode].shift[lvl], b;

	if (!chance(15))
		return 0;
	if (c->mode == WQ_32) {
		static const unsigned bits32[] = { 8, 9, 10, 11, 21, 7 };

		b = bits32[rnd() % (large ? 6 : (leaf ? 4 : 6))];
		/* PS on a table PDE with CR4.PSE would read the table address's bits 20:13
		 * as physical-address bits 39:32 (PSE-36): outside guest RAM. */
		if (b == 7 && !large && (c->flags & WQF_PSE))
			return 0;
		return b == 21 && !large ? 0 : 1ull << b;
	}
	switch (rnd() % 5) {
	case 0:
		return 1ull << (8 + rnd() % 4);
	case 1:
		return 1ull << (40 + rnd() % 12);
	case 2:
		return 1ull << (52 + rnd() % 11);
	case 3:
		return large ? 1ull << (13 + rnd() % (shift - 13)) : 0;
	default: /* not on a 1-GByte leaf: its base, 0, would become a table address */
		return (leaf && (!large || shift == 30)) ? 0 : 1ull << 7;
	}
}

static uint64_t rights(const struct wq_case *c)
{
	uint64_t e = chance(96) ? 1 : 0;

	e |= chance(75) ? 2 : 0;
	e |= chance(75) ? 4 : 0;
	e |= chance(40) ? 0x20 : 0;
	if (c->mode != WQ_32 && chance(10))
		e |= 1ull << 63;
	return e;
}

static uint64_t gen_la(struct wq_case *c, uint32_t pa)
{
	uint64_t la = pa & 0x3fffffffu;

	switch (c->mode) {
	case WQ_32:
	case WQ_PAE:
		return la | (uint64_t)(1 + rnd() % 3) << 30;
	case WQ_L4:
		la |= (uint64_t)(1 + rnd() % 511) << 39 | (uint64_t)(rnd() % 512) << 30;
		la = (uint64_t)((int64_t)(la << 16) >> 16);
		if (chance(4))
			la ^= 1ull << (48 + rnd() % 16);
		return la;
	default:
		la |= (uint64_t)(1 + rnd() % 511) << 48 | (uint64_t)(rnd() % 512) << 39 |
		      (uint64_t)(rnd() % 512) << 30;
		la = (uint64_t)((int64_t)(la << 7) >> 7);
		if (chance(4))
			la ^= 1ull << (57 + rnd() % 7);
		return la;
	}
}

static void gen_case(struct wq_case *c, uint32_t mode)
{
	const unsigned n = geo[mode].levels, esz = geo[mode].esize;
	unsigned leaf, pages[5];
	uint32_t pa, table = 0;

	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->cpl = chance(50) ? 3 : 0;
	c->op = rnd() % 3;
	c->flags = rnd() & (WQF_WP | WQF_PSE | WQF_SMEP | WQF_SMAP | WQF_NXE | WQF_AC);
	if (mode >= WQ_L4)
		c->flags |= rnd() & (WQF_PKE | WQF_PKS);
	c->pkru = rnd();
	c->pkrs = rnd() & ~3u; /* key 0 stays open: the kernel's own pages use it */
	c->cr3 = WQ_BLOB_GPA;
	leaf = geo[mode].first_leaf + rnd() % (n - geo[mode].first_leaf);
	if (mode == WQ_32 && leaf == 0 && chance(70)) /* mostly let the 4-MByte leaf be one */
		c->flags |= WQF_PSE;
	do /* the page offset keeps misread large pages (PS flips) out of the tables */
		pa = WQ_SCRATCH_GPA + (rnd() % 0x400000u & ~7u);
	while ((pa & 0x1fffff) < 0x10000 || (pa & 0x3fffff) < 0x10000);
	c->la = gen_la(c, pa);
	for (unsigned i = 0; i < 5; i++) /* distinct table pages per level */
		pages[i] = WQ_TEST_PAGE0 + i * 2 + rnd() % 2;
	for (unsigned i = 0; i <= leaf; i++) {
		unsigned shift = geo[mode].shift[i];
		uint64_t idx = (c->la >> shift) & ((mode == WQ_PAE && i == 0) ? 3 : (esz == 4 ? 1023 : 511));
		uint64_t e;
		bool large = i == leaf && i + 1 < n;

		if (mode == WQ_PAE && i == 0)
			e = (WQ_BLOB_GPA + pages[1] * 0x1000u) | 1 | (chance(5) ? 1ull << (1 + rnd() % 8) : 0);
		else if (i == leaf)
			e = ((pa & ~((1u << shift) - 1)) | rights(c) | (chance(50) ? 0x40 : 0) |
			     (large ? 0x80 : 0) | (mode >= WQ_L4 ? (uint64_t)(rnd() % 16) << 59 : 0)) ^
			    noise(c, i, true, large);
		else
			e = ((WQ_BLOB_GPA + pages[i + 1] * 0x1000u) | rights(c)) ^
			    noise(c, i, false, false);
		add_ent(c, table + (uint32_t)idx * esz, e, esz);
		table = pages[i + 1] * 0x1000u;
	}
}

static void fixed_wr(void *ctx, uint32_t off, uint64_t v, unsigned size)
{
	fakemem_wr(ctx, WQ_BLOB_GPA + off, v, size);
}

/* One side's answer for a case, in the probe's terms: vector (0x80 / 3 for a completed data
 * access / fetch), error code, CR2, and the case's entries that changed (offset, new value). */
struct outcome {
	uint32_t vector, error;
	uint64_t cr2;
	unsigned nch;
	uint32_t off[WQ_MAX_ENT];
	uint64_t val[WQ_MAX_ENT];
};

static void keel_case(struct fakemem *m, const struct wq_case *c, unsigned maxphy,
		      struct outcome *o)
{
	struct emul_mem ops = fakemem_ops(m);
	struct walk_ctl ctl = { .cr3 = c->cr3, .cpl = c->cpl, .maxphyaddr = maxphy,
				.pkru = c->pkru, .pkrs = c->pkrs };
	struct emul_fault f = { 0 };
	unsigned access = c->op == WQ_WRITE ? WALK_WRITE : c->op == WQ_FETCH ? WALK_FETCH : 0;
	uint64_t gpa = 0;
	int r;

	memset(m->r[0].buf, 0, WQ_BLOB_SIZE);
	wq_fixed(c->mode, fixed_wr, m);
	for (unsigned i = 0; i < c->nent; i++)
		fakemem_wr(m, WQ_BLOB_GPA + c->ent[i].off, c->ent[i].val, c->ent[i].size);
	ctl.cr0 = 0x80000001u | ((c->flags & WQF_WP) ? 0x10000u : 0);
	ctl.cr4 = ((c->flags & WQF_PSE) ? 1u << 4 : 0) | ((c->flags & WQF_SMEP) ? 1u << 20 : 0) |
		  ((c->flags & WQF_SMAP) ? 1u << 21 : 0) | ((c->flags & WQF_PKE) ? 1u << 22 : 0) |
		  ((c->flags & WQF_PKS) ? 1u << 24 : 0) | (c->mode != WQ_32 ? 1u << 5 : 0) |
		  (c->mode == WQ_L5 ? 1u << 12 : 0);
	ctl.efer = ((c->flags & WQF_NXE) ? 0x800u : 0) | (c->mode >= WQ_L4 ? 0x500u : 0);
	ctl.rflags = 0x2u | ((c->flags & WQF_AC) ? 1u << 18 : 0);
	r = emul_walk(&ctl, &ops, c->la, access, &gpa, &f);
	*o = (struct outcome){ .vector = r == 0 ? (c->op == WQ_FETCH ? 3 : 0x80) :
				       r == 1 ? f.vector : 0xffffu,
			       .error = r == 1 ? f.error : 0, .cr2 = f.cr2 };
	for (unsigned i = 0; i < c->nent; i++) {
		uint64_t now = fakemem_rd(m, WQ_BLOB_GPA + c->ent[i].off, c->ent[i].size);
		uint64_t was = c->ent[i].size == 4 ? (uint32_t)c->ent[i].val : c->ent[i].val;

		if (now != was) {
			o->off[o->nch] = c->ent[i].off;
			o->val[o->nch++] = now;
		}
	}
}

/* Parses the probe's " off=val ..." list. */
static bool qemu_changes(const char *s, struct outcome *o)
{
	unsigned off;
	unsigned long long val;
	int used;

	o->nch = 0;
	while (sscanf(s, " %x=%llx%n", &off, &val, &used) == 2) {
		if (o->nch == WQ_MAX_ENT)
			return false;
		o->off[o->nch] = off;
		o->val[o->nch++] = val;
		s += used;
	}
	return true;
}

/* Where QEMU 7.2's TCG walker departs from the SDM, measured here and documented in
 * docs/pagewalk.md; QEMU's answer is brought back to the SDM before comparing. */
enum { DEV_RSVD_P, DEV_PDPTE_A, DEV_1G_A, DEV_PDPTE_RSVD, DEV_PKS_USER, DEV_COUNT };
static const char *const dev_names[DEV_COUNT] = {
	"RSVD without P", "A written into PAE PDPTEs", "A set early in 1-GByte leaves", "PDPTE bits 2:1/8:5 not checked (cases not compared)",
	"no PK for user accesses refused by U/S",
};

/* SDM Table 4-8: PAE PDPTE bits 2:1 and 8:5 are reserved. Intel checks them when CR3 is
 * loaded (#GP), Keel at walk time (#PF with RSVD), QEMU not at all: such cases are not
 * compared. */
static bool pdpte_low_rsvd(const struct wq_case *c)
{
	return c->mode == WQ_PAE && (c->ent[0].val & 0x1e6);
}

static void qemu_normalise(const struct wq_case *c, const struct outcome *k, struct outcome *q,
			   unsigned *dev)
{
	unsigned n = 0;

	/* SDM 4.7: RSVD is reported with P = 1. */
	if (q->vector == 14 && (q->error & 0x9) == 0x8) {
		q->error |= 1;
		dev[DEV_RSVD_P]++;
	}
	/* SDM 4.7: PK is set when a PKRS key forbids the data access to a supervisor-mode
	 * address, whoever makes it; QEMU stops at the U/S check for user-mode accesses. */
	if (q->vector == 14 && c->cpl == 3 && (c->flags & WQF_PKS) && k->error == (q->error | 0x20)) {
		bool sup = false;

		for (unsigned i = c->mode == WQ_PAE; i < c->nent; i++)
			sup |= !(c->ent[i].val & 4);
		if (sup) {
			q->error |= 0x20;
			dev[DEV_PKS_USER]++;
		}
	}
	for (unsigned i = 0; i < q->nch; i++) {
		uint64_t was = c->ent[0].val;
		bool keep = true;

		for (unsigned j = 0; j < c->nent; j++)
			if (c->ent[j].off == q->off[i])
				was = c->ent[j].val;
		/* SDM 4.4.1: PDPTEs live in registers; bit 5 is reserved and never written. */
		if (c->mode == WQ_PAE && q->off[i] < 32 && (q->val[i] ^ was) == 0x20) {
			keep = false;
			dev[DEV_PDPTE_A]++;
		}
		/* The leaf's A on a fault is model-specific (SDM 6.15); QEMU sets it on a 1-GByte
		 * PDPTE before checking it, Keel only after the access is allowed. */
		if (c->mode >= WQ_L4 && k->vector == 14 && (q->val[i] ^ was) == 0x20 &&
		    (was & 0x80) && q->off[i] == c->ent[c->mode == WQ_L5 ? 2 : 1].off) {
			keep = false;
			dev[DEV_1G_A]++;
		}
		if (keep) {
			q->off[n] = q->off[i];
			q->val[n++] = q->val[i];
		}
	}
	q->nch = n;
}

static bool outcome_same(const struct outcome *a, const struct outcome *b)
{
	if (a->vector != b->vector || a->nch != b->nch)
		return false;
	if ((a->vector == 13 || a->vector == 14) && a->error != b->error)
		return false;
	if (a->vector == 14 && a->cr2 != b->cr2)
		return false;
	for (unsigned i = 0; i < a->nch; i++)
		if (a->off[i] != b->off[i] || a->val[i] != b->val[i])
			return false;
	return true;
}

static int outcome_fmt(char *buf, size_t size, const struct outcome *o)
{
	int len = snprintf(buf, size, "vector %#x error %#x cr2 %#llx changes [", o->vector,
			   o->error, (unsigned long long)o->cr2);

	for (unsigned i = 0; i < o->nch && len > 0 && (size_t)len < size; i++)
		len += snprintf(buf + len, size - (size_t)len, " %x=%llx", o->off[i],
				(unsigned long long)o->val[i]);
	if (len > 0 && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, " ]");
	return len;
}

/* Runs QEMU on the cases; returns the serial output (malloc'ed) or NULL. */
static char *run_qemu(const char *kernel, const char *dir, const struct wq_case *cases,
		      unsigned n)
{
	char mod[PATH_MAX], out[PATH_MAX], cmd[5 * PATH_MAX];
	struct wq_head h = { WQ_MAGIC, n };
	FILE *f;
	char *buf;
	long len;

	snprintf(mod, sizeof(mod), "%s/cases.bin", dir);
	snprintf(out, sizeof(out), "%s/serial.txt", dir);
	f = fopen(mod, "wb");
	if (!f || fwrite(&h, sizeof(h), 1, f) != 1 || fwrite(cases, sizeof(*cases), n, f) != n ||
	    fclose(f))
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "timeout 300 qemu-system-x86_64 -accel tcg -cpu %s -m 64 -kernel %s -initrd %s "
		 "-serial file:%s -display none -vga none -monitor none -no-reboot "
		 "-device isa-debug-exit,iobase=0xf4,iosize=4 >%s/qemu.log 2>&1",
		 QEMU_CPU, kernel, mod, out, dir);
	if (system(cmd) == -1)
		return NULL;
	f = fopen(out, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* What the compared cases ended with: completed, not present, protection, reserved bit,
 * protection key, #GP. */
enum { OUT_OK, OUT_NP, OUT_PROT, OUT_RSVD, OUT_PK, OUT_GP, OUT_COUNT };

static unsigned outcome_kind(const struct outcome *o)
{
	if (o->vector == 13)
		return OUT_GP;
	if (o->vector != 14)
		return OUT_OK;
	if (o->error & 0x20)
		return OUT_PK;
	if (o->error & 0x8)
		return OUT_RSVD;
	return (o->error & 1) ? OUT_PROT : OUT_NP;
}

struct tally {
	unsigned cases, bad, skipped, dev[DEV_COUNT], out[OUT_COUNT];
	char first[700];
};

static unsigned failures;

static void compare(struct fakemem *m, const struct wq_case *cases, char *out, unsigned maxphy,
		    struct tally *t)
{
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned idx, vec, err;
		unsigned long long cr2;
		int used = 0;
		struct outcome k, q;
		const struct wq_case *c;
		char kb[320], qb[320];

		if (sscanf(line, "S %x", &idx) == 1 && idx < NCASES) {
			t[cases[idx].mode].skipped++;
			continue;
		}
		if (sscanf(line, "R %x %x %x %llx%n", &idx, &vec, &err, &cr2, &used) != 4 ||
		    idx >= NCASES)
			continue;
		c = &cases[idx];
		if (pdpte_low_rsvd(c)) {
			t[c->mode].dev[DEV_PDPTE_RSVD]++;
			continue;
		}
		keel_case(m, c, maxphy, &k);
		q = (struct outcome){ .vector = vec, .error = err, .cr2 = cr2 };
		t[c->mode].cases++;
		t[c->mode].out[outcome_kind(&k)]++;
		if (qemu_changes(line + used, &q))
			qemu_normalise(c, &k, &q, t[c->mode].dev);
		if (outcome_same(&k, &q))
			continue;
		outcome_fmt(kb, sizeof(kb), &k);
		outcome_fmt(qb, sizeof(qb), &q);
		if (getenv("WALK_QEMU_VERBOSE")) {
			printf("# case %u mode %u cpl %u op %u flags %#x pkru %#x pkrs %#x la %#llx: "
			       "qemu %s; keel %s\n", idx, c->mode, c->cpl, c->op, c->flags, c->pkru,
			       c->pkrs, (unsigned long long)c->la, qb, kb);
			for (unsigned i = 0; i < c->nent; i++)
				printf("#   %x: %llx\n", c->ent[i].off, (unsigned long long)c->ent[i].val);
		}
		if (!t[c->mode].bad++)
			snprintf(t[c->mode].first, sizeof(t[c->mode].first),
				 "case %u cpl %u op %u flags %#x la %#llx: qemu %s; keel %s", idx,
				 c->cpl, c->op, c->flags, (unsigned long long)c->la, qb, kb);
	}
}

static void report(const struct tally *t, unsigned mode)
{
	bool pass = t->cases > 0 && !t->bad;
	char devs[400] = "";
	size_t len = 0;

	failures += !pass;
	for (unsigned d = 0; d < DEV_COUNT && len < sizeof(devs); d++)
		if (t->dev[d])
			len += (size_t)snprintf(devs + len, sizeof(devs) - len, "%s%s %u",
						len ? ", " : "; QEMU departures from the SDM set aside: ",
						dev_names[d], t->dev[d]);
	printf("VERDICT %s walk_qemu/%s %u cases (completed %u, #PF not-present %u, protection %u, "
	       "reserved %u, key %u, #GP %u), %u mismatches, %u skipped%s%s%s\n",
	       pass ? "PASS" : "FAIL", mode_names[mode], t->cases, t->out[OUT_OK], t->out[OUT_NP],
	       t->out[OUT_PROT], t->out[OUT_RSVD], t->out[OUT_PK], t->out[OUT_GP], t->bad,
	       t->skipped, devs, t->bad ? "; first: " : "", t->first);
}

/* Replays QEMU's answers (after the "F maxphyaddr features" line) through emul_walk. */
static void replay(const struct wq_case *cases, char *out, unsigned maxphy)
{
	struct tally t[4] = { 0 };
	struct fakemem m;
	char *p = strchr(out, '\n');

	fakemem_init(&m);
	fakemem_add(&m, WQ_BLOB_GPA, WQ_BLOB_SIZE);
	fakemem_add(&m, WQ_FILL_GPA, WQ_FILL_END - WQ_FILL_GPA);
	memset(m.r[1].buf, 0xcc, WQ_FILL_END - WQ_FILL_GPA);
	compare(&m, cases, p ? p + 1 : out, maxphy, t);
	for (unsigned i = 0; i < 4; i++)
		report(&t[i], i);
	fakemem_free(&m);
}

static bool kernel_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	return (size_t)snprintf(buf, size, "%s/walkq.elf", self) < size;
}

int main(void)
{
	static struct wq_case cases[NCASES];
	char kernel[PATH_MAX], dir[] = "/tmp/walk_qemu.XXXXXX", cmd[64], *out;
	unsigned maxphy = 0, feat = 0;

	if (system("command -v qemu-system-x86_64 >/dev/null") != 0) {
		printf("VERDICT SKIP walk_qemu/all qemu-system-x86_64 not installed\n");
		return 0;
	}
	if (!kernel_path(kernel, sizeof(kernel)) || !mkdtemp(dir)) {
		printf("VERDICT FAIL walk_qemu/setup cannot find the probe kernel or make a temp dir\n");
		return 1;
	}
	for (unsigned i = 0; i < NCASES; i++)
		gen_case(&cases[i], i % 4);
	out = run_qemu(kernel, dir, cases, NCASES);
	if (!out || sscanf(out, "F %x %x", &maxphy, &feat) != 2 || !strstr(out, "\nE\n")) {
		printf("VERDICT FAIL walk_qemu/run the probe kernel did not finish (see %s)\n", dir);
		return 1;
	}
	if (maxphy != 40 || !(feat & FEAT_1G))
		printf("VERDICT SKIP walk_qemu/all the emulated CPU has MAXPHYADDR %u and %s "
		       "1-GByte pages; the cases assume 40 and 1-GByte pages\n", maxphy,
		       (feat & FEAT_1G) ? "has" : "lacks");
	else
		replay(cases, out, maxphy);
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!failures && system(cmd) != 0)
		fprintf(stderr, "walk_qemu: could not remove %s\n", dir);
	return failures ? 1 : 0;
}
