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
