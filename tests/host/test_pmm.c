/* Page allocator (vmm/pmm.c): every page it hands out is checked against an independent
 * page-by-page classification of the memory map and the reservation list, exhaustively. */
#include "hostenv.h"
#include "mbi_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/bootinfo.h>
#include <keel/pmm.h>

#define PG 4096ULL

struct scenario {
	const char *name;
	const struct mm_entry *map;
	unsigned nmap;
	const struct pmm_resv *resv;
	unsigned nresv;
	bool small; /* no room for a 2 MiB block */
};

static const struct scenario *sc;
static struct bi_range map[BI_MAX_MMAP];
static uint8_t *seen;

static bool touches(uint64_t p, uint64_t base, uint64_t end) { return p < end && base < p + PG; }

/* The oracle: may page p be handed out? */
static bool page_allocatable(uint64_t p)
{
	bool in_ram = false;
	uint64_t bb, be;
	if (p == 0)
		return false;
	for (unsigned i = 0; i < sc->nmap; i++) {
		const struct mm_entry *e = &sc->map[i];
		if (e->type == 1 && e->base <= p && p + PG <= e->base + e->len)
			in_ram = true;
		if (e->type != 1 && e->len && touches(p, e->base, e->base + e->len))
			return false;
	}
	for (unsigned i = 0; i < sc->nresv; i++)
		if (touches(p, sc->resv[i].base, sc->resv[i].end))
			return false;
	pmm_bitmap_range(&bb, &be);
	return in_ram && !touches(p, bb, be);
}

static uint64_t oracle_count(uint64_t top)
{
	uint64_t n = 0;
	for (uint64_t p = 0; p < top; p += PG)
		n += page_allocatable(p);
	return n;
}

static void name_of(char *buf, size_t n, const char *what) { snprintf(buf, n, "pmm/%s-%s", sc->name, what); }

static bool init(void)
{
	const char *why = NULL;
	char name[96];
	fakemem_reset();
	fakemem_lazy(true);
	for (unsigned i = 0; i < sc->nmap; i++)
		map[i] = (struct bi_range){ sc->map[i].base, sc->map[i].len, sc->map[i].type };
	int r = pmm_init(map, sc->nmap, sc->resv, sc->nresv, &why);
	name_of(name, sizeof(name), "init");
	return check(r == 0, name, "r=%d why=%s", r, why ? why : "");
}

/* The bitmap itself sits in RAM above 1 MiB, clear of every reservation. */
static void test_bitmap_place(void)
{
	char name[96];
	uint64_t bb, be;
	pmm_bitmap_range(&bb, &be);
	bool ok = bb >= PMM_LOW_LIMIT && be > bb;
	for (uint64_t p = bb; p < be && ok; p += PG) {
		for (unsigned i = 0; i < sc->nresv; i++)
			ok &= !touches(p, sc->resv[i].base, sc->resv[i].end);
		bool ram = false;
		for (unsigned i = 0; i < sc->nmap; i++) {
			const struct mm_entry *e = &sc->map[i];
			ram |= e->type == 1 && e->base <= p && p + PG <= e->base + e->len;
			ok &= e->type == 1 || !touches(p, e->base, e->base + e->len);
		}
		ok &= ram;
	}
	name_of(name, sizeof(name), "bitmap-placement");
	check(ok, name, "bitmap [%llx, %llx)", (unsigned long long)bb, (unsigned long long)be);
}

/* Allocates every page one by one: each must be allocatable per the oracle and fresh. */
static void test_exhaust(void)
{
	char name[96];
	uint64_t top = pmm_top(), want = oracle_count(top), got = 0, bad = 0, first_bad = 0;
	name_of(name, sizeof(name), "free-count-matches-oracle");
	check(pmm_free_pages() == want, name, "allocator %llu, oracle %llu", (unsigned long long)pmm_free_pages(),
	      (unsigned long long)want);
	seen = calloc(top / PG, 1);
	for (uint64_t pa; (pa = pmm_alloc_page());) {
		if (pa % PG || pa >= top || seen[pa / PG] || !page_allocatable(pa)) {
			if (!bad++)
				first_bad = pa;
		} else {
			seen[pa / PG] = 1;
		}
		got++;
	}
	name_of(name, sizeof(name), "exhaustive-never-reserved");
	check(!bad, name, "%llu bad pages, first %#llx", (unsigned long long)bad, (unsigned long long)first_bad);
	name_of(name, sizeof(name), "exhaustive-count");
	check(got == want && pmm_free_pages() == 0, name, "got %llu want %llu", (unsigned long long)got,
	      (unsigned long long)want);
	uint64_t freed_ok = 0;
	for (uint64_t p = 0; p < top; p += PG)
		if (seen[p / PG])
			freed_ok += pmm_free(p, 1) == 0;
	name_of(name, sizeof(name), "free-all-restores");
	check(freed_ok == want && pmm_free_pages() == want, name, "freed %llu", (unsigned long long)freed_ok);
	free(seen);
}

static bool block_ok(uint64_t pa, uint64_t n, uint64_t align)
{
	if (!pa || pa % align)
		return false;
	for (uint64_t k = 0; k < n; k++)
		if (!page_allocatable(pa + k * PG))
			return false;
	return true;
}

static void test_blocks(void)
{
	char name[96];
	uint64_t before = pmm_free_pages();
	uint64_t a = pmm_alloc(16, 65536), b = pmm_alloc(512, 2 << 20), c = pmm_alloc_in(1, PG, 0, PMM_LOW_LIMIT);
	name_of(name, sizeof(name), "aligned-blocks");
	check(block_ok(a, 16, 65536) && (sc->small ? !b : block_ok(b, 512, 2 << 20) && (a + 16 * PG <= b || b + (2 << 20) <= a)),
	      name, "a=%#llx b=%#llx", (unsigned long long)a, (unsigned long long)b);
	name_of(name, sizeof(name), "low-page-below-1m");
	check(c && c < PMM_LOW_LIMIT && block_ok(c, 1, PG), name, "c=%#llx", (unsigned long long)c);
	name_of(name, sizeof(name), "double-free-refused");
	check(pmm_free(a, 16) == 0 && pmm_free(a, 1) < 0 && pmm_free(a + 8 * PG, 8) < 0, name, "-");
	name_of(name, sizeof(name), "free-of-reserved-refused");
	bool refused = pmm_free(0, 1) < 0 && pmm_free(pmm_top(), 1) < 0 && pmm_free(a + 1, 1) < 0;
	for (unsigned i = 0; i < sc->nresv; i++)
		refused &= pmm_free(sc->resv[i].base & ~(PG - 1), 1) < 0;
	check(refused, name, "-");
	pmm_free(b, 512);
	pmm_free(c, 1);
	name_of(name, sizeof(name), "blocks-freed");
	check(pmm_free_pages() == before, name, "%llu vs %llu", (unsigned long long)pmm_free_pages(),
	      (unsigned long long)before);
	name_of(name, sizeof(name), "bad-requests");
	check(!pmm_alloc(0, PG) && !pmm_alloc(1, 3 * PG) && !pmm_alloc(pmm_top() / PG + 1, PG), name, "-");
}

/* Single pages at 2 MiB alignment until none is left: each aligned and allocatable. */
static void test_aligned_exhaust(void)
{
	char name[96];
	uint64_t n = 0, bad = 0, want = 0;
	for (uint64_t p = 0; p < pmm_top(); p += 2 << 20)
		want += page_allocatable(p);
	for (uint64_t pa; (pa = pmm_alloc(1, 2 << 20)); n++)
		bad += !block_ok(pa, 1, 2 << 20);
	name_of(name, sizeof(name), "aligned-exhaustive");
	check(!bad && n == want, name, "n=%llu want=%llu bad=%llu", (unsigned long long)n, (unsigned long long)want,
	      (unsigned long long)bad);
}

static const struct pmm_resv resv_qemu[] = {
	{ 0x100000, 0x140000, "image" }, { 0x15a000, 0x15a468, "mbi" }, { 0x15b000, 0x160123, "module" },
	{ 0x9f000, 0x100000, "ebda" }, { 0x7fe1234, 0x7fe1300, "acpi table in RAM" },
	{ 0x1fff0000, 0x1fff1000, "acpi" },
};

static const struct mm_entry map_ovmf[] = {
	{ 0, 0xa0000, 1 }, { 0x100000, 0x700000, 1 }, { 0x800000, 0x8000, 4 }, { 0x808000, 0x8000, 1 },
	{ 0x900000, 0x1e700000, 1 }, { 0x1000000, 0x1000, 2 }, { 0x1f000800, 0x10000, 1 },
	{ 0x1f100000, 0x80000, 3 }, { 0x1f180000, 0x0, 2 }, { 0xfeffc000, 0x4000, 2 },
	{ 0x100000000, 0x8000000, 1 }, { 0x104000000, 0x1000, 5 },
};
static const struct pmm_resv resv_ovmf[] = {
	{ 0x4000, 0x4012, "module" }, { 0x5000, 0x5400, "mbi" }, { 0x100000, 0x180000, "image" },
	{ 0x80000, 0x100000, "bios" }, { 0x8000000, 0x8000001, "one byte" },
};

/* RAM that begins below a reservation covering most of it: the bitmap must skip ahead. */
static const struct mm_entry map_tight[] = { { 0x1000, 0x9e000, 1 }, { 0x100000, 0x400000, 1 } };
static const struct pmm_resv resv_tight[] = { { 0x100000, 0x4f0000, "big module" }, { 0x80000, 0x100000, "bios" } };

static const struct scenario scenarios[] = {
	{ "qemu", mm_qemu, 6, resv_qemu, sizeof(resv_qemu) / sizeof(resv_qemu[0]), false },
	{ "ovmf", map_ovmf, sizeof(map_ovmf) / sizeof(map_ovmf[0]), resv_ovmf, sizeof(resv_ovmf) / sizeof(resv_ovmf[0]), false },
	{ "tight", map_tight, 2, resv_tight, 2, true },
};

static void test_no_room(void)
{
	static const struct mm_entry m[] = { { 0x100000, 0x100000, 1 } };
	static const struct pmm_resv r[] = { { 0x100000, 0x1ff000, "all but one page" } };
	const char *why = NULL;
	struct bi_range bm = { m[0].base, m[0].len, 1 };
	fakemem_reset();
	fakemem_lazy(true);
	/* One free page left (bitmap needs one page): fits; with it reserved too: refused. */
	int r1 = pmm_init(&bm, 1, r, 1, &why);
	struct pmm_resv r2[] = { { 0x100000, 0x200000, "all" } };
	int r2v = pmm_init(&bm, 1, r2, 1, &why);
	check(r1 == 0 && pmm_free_pages() == 0 && r2v < 0 && why && strstr(why, "bitmap"), "pmm/no-room-for-bitmap",
	      "r1=%d r2=%d why=%s", r1, r2v, why ? why : "");
}

int main(void)
{
	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		sc = &scenarios[i];
		if (!init())
			continue;
		test_bitmap_place();
		test_blocks();
		test_exhaust();
		test_aligned_exhaust();
	}
	test_no_room();
	return verdict_exit();
}
