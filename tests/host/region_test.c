/* Host test of the region registry (vmm/region.c): random sets of non-overlapping MMIO and port
 * regions, then lookups compared with the definition (the region of that space holding every
 * byte of [addr, addr + size), computed in 128-bit arithmetic), near every edge and at random,
 * so that the last-found hint is right, wrong and stale in turn. */
#include <stdio.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/region.h>

static int failures;
static unsigned long long checks;
static u64 rng = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void verdict(const char *name, int ok, const char *detail)
{
	printf("VERDICT %s region/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ", ok ? "" : detail);
	failures += !ok;
}

/* The definition, over the regions as added (not the registry's copy). */
static const struct region *oracle(const struct region *rs, int n, int space, u64 addr, unsigned size)
{
	for (int i = 0; i < n; i++) {
		unsigned __int128 lo = rs[i].base, hi = lo + rs[i].size;
		if (rs[i].space == space && addr >= lo && (unsigned __int128)addr + size <= hi)
			return &rs[i];
	}
	return NULL;
}

static u64 rnd_base(int space)
{
	switch (rnd() % 4) {
	case 0: return space == REGION_PIO ? rnd() % 0x10000 : rnd() % 0x100000000ull;
	case 1: return ~0ull - rnd() % 0x10000; /* near the top of the space */
	case 2: return rnd() % 64;              /* near 0 */
	default: return rnd();
	}
}

/* Adds up to `want` random regions; every refusal must be an overlap or a full table. */
static int build(struct region_set *s, struct region *rs, int want, char *why, size_t len)
{
	int n = 0;
	memset(s, 0, sizeof(*s));
	for (int tries = 0; n < want && tries < 2000; tries++) {
		struct region r = { .space = (u8)(rnd() % 2), .kind = (u8)(rnd() % 5) };
		r.base = rnd_base(r.space);
		r.size = 1 + rnd() % (rnd() % 2 ? 16 : 0x10000);
		if (n && rnd() % 3 == 0) { /* adjacent to an earlier one */
			const struct region *o = &rs[rnd() % n];
			r.space = o->space;
			r.base = o->base + o->size;
		}
		bool wraps = r.base + r.size < r.base;
		bool overlap = false;
		for (int i = 0; i < n; i++) {
			unsigned __int128 a0 = r.base, a1 = a0 + r.size, b0 = rs[i].base, b1 = b0 + rs[i].size;
			overlap |= rs[i].space == r.space && a0 < b1 && b0 < a1;
		}
		int rc = region_add(s, &r), expect = wraps ? -EINVAL : n == REGION_MAX ? -ENOSPC :
						     overlap ? -EEXIST : 0;
		if (rc != expect) {
			snprintf(why, len, "region_add(%d, %#llx+%#llx) gave %d, expected %d", r.space,
				 (unsigned long long)r.base, (unsigned long long)r.size, rc, expect);
			return -1;
		}
		if (!rc)
			rs[n++] = r;
		/* lookups between adds leave hints that later adds make stale */
		for (int k = 0; k < 4 && n; k++) {
			const struct region *o = &rs[rnd() % n];
			u64 at = o->base + rnd() % o->size;
			if (region_find(s, o->space, at, 1) == NULL) {
				snprintf(why, len, "region %#llx+%#llx not found at %#llx while adding",
					 (unsigned long long)o->base, (unsigned long long)o->size,
					 (unsigned long long)at);
				return -1;
			}
		}
	}
	return n;
}

static bool same(const struct region *a, const struct region *b)
{
	if (!a || !b)
		return a == b;
	return a->base == b->base && a->size == b->size && a->space == b->space && a->kind == b->kind;
}

static bool probe(struct region_set *s, const struct region *rs, int n, int space, u64 addr,
		  unsigned size, char *why, size_t len)
{
	const struct region *want = oracle(rs, n, space, addr, size);
	const struct region *got = region_find(s, space, addr, size);
	checks++;
	if (same(got, want))
		return true;
	snprintf(why, len, "region_find(%d, %#llx, %u): got %#llx+%#llx, expected %#llx+%#llx", space,
		 (unsigned long long)addr, size, got ? (unsigned long long)got->base : 0,
		 got ? (unsigned long long)got->size : 0, want ? (unsigned long long)want->base : 0,
		 want ? (unsigned long long)want->size : 0);
	return false;
}

/* Every edge of every region (and one byte either side), both spaces, then random addresses. */
static bool probe_all(struct region_set *s, const struct region *rs, int n, char *why, size_t len)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 16, 256 };
	for (int i = 0; i < n; i++)
		for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			u64 ends[] = { rs[i].base - 1, rs[i].base, rs[i].base + 1,
				       rs[i].base + rs[i].size - sizes[k],
				       rs[i].base + rs[i].size - sizes[k] + 1, rs[i].base + rs[i].size };
			for (unsigned e = 0; e < sizeof(ends) / sizeof(ends[0]); e++)
				for (int sp = 0; sp < 2; sp++)
					if (!probe(s, rs, n, sp, ends[e], sizes[k], why, len))
						return false;
		}
	for (int i = 0; i < 2000; i++)
		if (!probe(s, rs, n, (int)(rnd() % 2), rnd_base(0), 1 + (unsigned)(rnd() % 300), why, len))
			return false;
	return true;
}

int main(void)
{
	static struct region_set s;
	struct region rs[REGION_MAX];
	char why[200] = "";
	bool ok = true;
	int full = 0;

	struct region_set empty;
	memset(&empty, 0, sizeof(empty));
	verdict("empty-set", !region_find(&empty, REGION_MMIO, 0, 1) && !region_find(&empty, REGION_PIO, 0, 1),
		"a lookup in an empty set found something");

	for (int round = 0; round < 3000 && ok; round++) {
		int n = build(&s, rs, 1 + (int)(rnd() % (REGION_MAX + 4)), why, sizeof(why));
		ok = n >= 0 && probe_all(&s, rs, n, why, sizeof(why));
		full += n == REGION_MAX;
	}
	verdict("random-sets", ok, why);
	verdict("full-tables", full > 0, "no round filled the table (the generator is too weak)");

	/* A wrapped lookup never matches a region at 0 (addr + size past 2^64). */
	memset(&s, 0, sizeof(s));
	struct region low = { .base = 0, .size = 0x1000, .space = REGION_MMIO };
	region_add(&s, &low);
	verdict("no-wrap", !region_find(&s, REGION_MMIO, ~0ull, 2) && region_find(&s, REGION_MMIO, 0xffe, 2),
		"an access wrapping past 2^64 matched the region at 0, or an inside one did not");
	printf("region: %llu lookups compared\n", checks);
	return failures != 0;
}
