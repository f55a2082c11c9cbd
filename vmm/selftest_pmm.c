/* boot/pmm: the allocator on the real memory map never returns a reserved page, honours
 * alignment, and frees back to the same count. */
#include <keel/phys.h>
#include <keel/selftest.h>
#include <keel/verdict.h>

#define SELFTEST_BLOCKS 8

static const struct pmm_resv *selftest_hit(u64 pa, u64 len, const struct pmm_resv *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pa < r[i].end && r[i].base < pa + len)
			return &r[i];
	return NULL;
}

void selftest_pmm(const struct pmm_resv *resv, unsigned nresv)
{
	static const struct { u64 pages, align; } req[SELFTEST_BLOCKS] = {
		{ 1, 4096 }, { 1, 4096 }, { 3, 4096 }, { 16, 65536 }, { 1, 1 << 21 }, { 512, 1 << 21 }, { 2, 8192 },
		{ 1, 4096 },
	};
	u64 got[SELFTEST_BLOCKS] = { 0 }, before = pmm_free_pages();
	const char *bad = NULL;
	const struct pmm_resv *hit = NULL;
	for (unsigned i = 0; i < SELFTEST_BLOCKS && !bad; i++) {
		got[i] = pmm_alloc(req[i].pages, req[i].align);
		if (!got[i])
			bad = "allocation failed";
		else if (got[i] % req[i].align)
			bad = "misaligned block";
		else if ((hit = selftest_hit(got[i], req[i].pages * PAGE_SIZE, resv, nresv)))
			bad = "block overlaps a reservation";
		else if (!phys_map(got[i], req[i].pages * PAGE_SIZE))
			bad = "block is not mapped";
	}
	for (unsigned i = 0; i < SELFTEST_BLOCKS; i++)
		if (got[i] && pmm_free(got[i], req[i].pages))
			bad = bad ? bad : "free refused";
	if (!bad && pmm_free(got[0], 1) == 0)
		bad = "double free accepted";
	if (!bad && pmm_free_pages() != before)
		bad = "free page count not restored";
	if (bad)
		verdict_fail("boot/pmm", "%s%s%s", bad, hit ? ": " : "", hit ? hit->what : "");
	else
		verdict_pass("boot/pmm");
}

/* boot/map-high: RAM above 4 GiB is in the identity map and holds what is written to it. */
void selftest_map_high(void)
{
	const u64 four_g = 4ULL << 30;
	if (pmm_top() <= four_g) {
		verdict_skip("boot/map-high", "no RAM above 4 GiB");
		return;
	}
	u64 pa = pmm_alloc_in(1, PAGE_SIZE, four_g, ~0ULL), top = pmm_alloc_in(1, PAGE_SIZE, pmm_top() - (64ULL << 20), ~0ULL);
	volatile u64 *a = pa ? phys_map(pa, PAGE_SIZE) : NULL, *b = top ? phys_map(top, PAGE_SIZE) : NULL;
	bool ok = a && b;
	for (unsigned i = 0; ok && i < PAGE_SIZE / 8; i++) {
		a[i] = pa + i * 8;
		b[i] = ~(top + i * 8);
	}
	for (unsigned i = 0; ok && i < PAGE_SIZE / 8; i++)
		ok = a[i] == pa + i * 8 && b[i] == ~(top + i * 8);
	if (ok)
		verdict_pass("boot/map-high");
	else
		verdict_fail("boot/map-high", "pages %#llx and %#llx above 4 GiB not usable", (unsigned long long)pa,
			     (unsigned long long)top);
	pmm_free(pa, pa ? 1 : 0);
	pmm_free(top, top ? 1 : 0);
}

