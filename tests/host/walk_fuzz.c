/* libFuzzer target for emul/walk.c and emul/seg.c: random control state, random guest RAM
 * (page tables included) at a random place, a cmpxchg that sometimes loses its race. Checks the
 * results' invariants and that the walker only asks for aligned entries and stays bounded.
 * Built with clang -fsanitize=fuzzer,address,undefined (emul/walk.mk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emul/seg.h"
#include "emul/walk.h"

#define FZ_RAM (32u * 1024)

struct fz {
	const uint8_t *d;
	size_t n, pos;
};

static uint64_t fz_take(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)(f->pos < f->n ? f->d[f->pos++] : 0) << (8 * i);
	return v;
}

struct fz_mem {
	uint8_t ram[FZ_RAM];
	uint64_t base;
	unsigned reads, cmpxchgs;
	uint32_t race; /* bit i: the i-th cmpxchg finds its entry changed */
};

/* Outcome counts, printed at exit for the run's statistics line. */
static unsigned long fz_stats[9];
static const char *const fz_stat_names[9] = { "walk-ok", "walk-pf", "walk-gp", "walk-efault",
					      "walk-eagain", "walk-paging-off", "walk-5level",
					      "seg-ok", "seg-fault" };

static void fz_stats_print(void)
{
	fprintf(stderr, "walk_fuzz stats:");
	for (unsigned i = 0; i < 9; i++)
		fprintf(stderr, " %s=%lu", fz_stat_names[i], fz_stats[i]);
	fprintf(stderr, "\n");
}

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

static uint8_t *fz_ptr(struct fz_mem *m, uint64_t gpa, uint32_t len)
{
	/* The walker only ever touches naturally aligned 4- or 8-byte entries. */
	fz_check((len == 4 || len == 8) && (gpa & (len - 1)) == 0);
	if (gpa < m->base || gpa - m->base > FZ_RAM - len)
		return NULL;
	return m->ram + (gpa - m->base);
}

static int fz_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	struct fz_mem *m = ctx;
	uint8_t *p = fz_ptr(m, gpa, len);

	m->reads++;
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static int fz_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	(void)ctx;
	(void)gpa;
	(void)buf;
	(void)len;
	abort(); /* the walker updates entries only with cmpxchg */
}

static int fz_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new, uint32_t size)
{
	struct fz_mem *m = ctx;
	uint8_t *p = fz_ptr(m, gpa, size);
	uint64_t cur = 0;
	unsigned k = m->cmpxchgs++;

	if (!p)
		return -1;
	if (k < 32 && (m->race >> k) & 1)
		p[0] ^= 0x20; /* another CPU flips the entry's A bit */
	memcpy(&cur, p, size);
	fz_check((old & ~new) == 0); /* A/D updates only ever set bits */
	if (cur != old)
		return 1;
	memcpy(p, &new, size);
	return 0;
}

static void fz_walk(struct fz *f, struct fz_mem *m)
{
	struct emul_mem ops = { m, fz_read, fz_write, fz_cmpxchg };
	struct walk_ctl c = { 0 };
	struct emul_fault flt = { 0 };
	uint64_t la, gpa = 0, sel = fz_take(f, 1);
	unsigned access;
	int r;

	c.cr0 = fz_take(f, 4);
	c.cr4 = fz_take(f, 4);
	c.efer = fz_take(f, 2);
	c.rflags = fz_take(f, 4);
	c.cpl = (unsigned)fz_take(f, 1) & 7;
	c.maxphyaddr = (unsigned)fz_take(f, 1);
	c.pkru = (uint32_t)fz_take(f, 4);
	c.pkrs = (uint32_t)fz_take(f, 4);
	c.pdpte_valid = sel & 1;
	for (unsigned i = 0; i < 4; i++)
		c.pdpte[i] = fz_take(f, 8);
	/* Mostly keep CR3 and the RAM window where the tables can reach each other. */
	m->base = (sel & 2) ? fz_take(f, 8) & 0x000ffffffffff000ull : (sel & 4) ? 0x100000 : 0;
	c.cr3 = (sel & 8) ? fz_take(f, 8) : m->base + (fz_take(f, 2) & (FZ_RAM - 1));
	la = fz_take(f, 8);
	access = (unsigned)fz_take(f, 1);
	m->race = (uint32_t)fz_take(f, 4);
	memset(m->ram, 0, FZ_RAM);
	if (f->pos < f->n)
		memcpy(m->ram, f->d + f->pos, f->n - f->pos < FZ_RAM ? f->n - f->pos : FZ_RAM);
	m->reads = m->cmpxchgs = 0;

	r = emul_walk(&c, &ops, la, access, &gpa, &flt);
	fz_check(r == 0 || r == 1 || r == -WALK_EFAULT || r == -WALK_EAGAIN);
	fz_stats[r == 0 ? 0 : r == 1 ? (flt.vector == 14 ? 1 : 2) : r == -WALK_EFAULT ? 3 : 4]++;
	if (!(c.cr0 & (1u << 31)))
		fz_stats[5]++;
	else if ((c.efer & (1u << 10)) && (c.cr4 & (1u << 12)) && r != -WALK_EFAULT)
		fz_stats[6]++;
	/* Bounded: at most 8 attempts of 5 reads and 5 cmpxchgs. */
	fz_check(m->reads <= 40 && m->cmpxchgs <= 40);
	if (r == 1 && flt.vector == 14) {
		fz_check(flt.has_error && flt.has_cr2 && (flt.error & ~0x3fu) == 0);
		fz_check(!(flt.error & WALK_PF_RSVD) || (flt.error & WALK_PF_P));
		fz_check(flt.cr2 == ((c.efer & (1u << 10)) ? la : (la & 0xffffffffu)));
	} else if (r == 1) {
		fz_check(flt.vector == 13 && flt.has_error && flt.error == 0 && !flt.has_cr2);
	}
	if (r == 0 && !(c.cr0 & (1u << 31)))
		fz_check(gpa == (la & 0xffffffffu) && m->reads == 0);
	if (r == 0)
		fz_check(gpa < (1ull << 52));
}

static void fz_seg(struct fz *f)
{
	struct emul_seg segs[SEG_COUNT];
	struct emul_fault flt = { 0 };
	enum emul_mode mode;
	enum emul_segreg sr;
	uint64_t ea, la = 0;
	uint32_t size;
	int r;

	for (unsigned i = 0; i < SEG_COUNT; i++) {
		segs[i].base = fz_take(f, 8);
		segs[i].limit = (uint32_t)fz_take(f, 4);
		segs[i].sel = (uint16_t)fz_take(f, 2);
		segs[i].attr = (uint32_t)fz_take(f, 3);
	}
	mode = emul_mode_of(fz_take(f, 1), fz_take(f, 2), fz_take(f, 4), &segs[SEG_CS]);
	fz_check(mode <= EMUL_MODE_LONG64);
	if (fz_take(f, 1) & 1)
		mode = (enum emul_mode)(fz_take(f, 1) % 5);
	sr = (enum emul_segreg)(fz_take(f, 1) % 7); /* 6 is out of range on purpose */
	ea = fz_take(f, 8);
	size = (uint32_t)fz_take(f, 1);
	r = emul_seg_linear(segs, mode, sr, ea, size, (unsigned)fz_take(f, 2), &la, &flt);
	fz_check(r == 0 || r == 1);
	fz_stats[7 + r]++;
	if (r == 1)
		fz_check((flt.vector == 12 || flt.vector == 13) && flt.error == 0 && !flt.has_cr2);
	if (r == 0 && mode != EMUL_MODE_LONG64)
		fz_check(la <= 0xffffffffu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_mem m;
	struct fz f = { data, size, 1 };

	static bool registered;

	if (!registered) {
		registered = true;
		atexit(fz_stats_print);
	}
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fz_seg(&f);
	else
		fz_walk(&f, &m);
	return 0;
}
