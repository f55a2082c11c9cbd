/* Physical page allocator: one bit per 4 KiB frame (1 = free) over [0, top), and a second bitmap
 * of the frames the allocator owns at all (so a stray free of a reserved page is refused). Both
 * live in RAM found at init time, chosen so they collide with no reservation. */
#include <keel/bootinfo.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/string.h>

static u64 *pmm_bits, *pmm_owned;
static u64 pmm_npages, pmm_nfree, pmm_bitmap_pa, pmm_bitmap_end, pmm_hint;
static volatile int pmm_lock_word;

static void pmm_lock(void)
{
	while (__atomic_exchange_n(&pmm_lock_word, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void pmm_unlock(void) { __atomic_store_n(&pmm_lock_word, 0, __ATOMIC_RELEASE); }

static bool bit_get(u64 pfn) { return pmm_bits[pfn / 64] >> (pfn % 64) & 1; }
static void bit_set(u64 pfn) { pmm_bits[pfn / 64] |= 1ULL << (pfn % 64); }
static void bit_clear(u64 pfn) { pmm_bits[pfn / 64] &= ~(1ULL << (pfn % 64)); }
static bool owned(u64 pfn) { return pmm_owned[pfn / 64] >> (pfn % 64) & 1; }

/* Clears the bits of every page that [base, end) touches (rounded outwards). */
static void pmm_mark_used(u64 base, u64 end)
{
	u64 first = base / PAGE_SIZE, last = MIN(ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE, pmm_npages);
	for (u64 p = first; p < last; p++)
		if (bit_get(p)) {
			bit_clear(p);
			pmm_nfree--;
		}
}

static u64 pmm_ram_top(const struct bi_range *map, unsigned n)
{
	u64 top = 0;
	for (unsigned i = 0; i < n; i++)
		if (map[i].type == BI_MEM_RAM && map[i].len)
			top = MAX(top, ALIGN_DOWN(map[i].base + map[i].len, PAGE_SIZE));
	return top;
}

/* The first exclusion overlapping [a, b), or NULL. */
static const struct pmm_resv *pmm_conflict(u64 a, u64 b, const struct bi_range *map, unsigned nmap,
					   const struct pmm_resv *resv, unsigned nresv, struct pmm_resv *tmp)
{
	for (unsigned i = 0; i < nresv; i++)
		if (resv[i].base < b && a < resv[i].end)
			return &resv[i];
	for (unsigned i = 0; i < nmap; i++) {
		u64 s = ALIGN_DOWN(map[i].base, PAGE_SIZE), e = ALIGN_UP(map[i].base + map[i].len, PAGE_SIZE);
		if (map[i].type != BI_MEM_RAM && map[i].len && s < b && a < e) {
			*tmp = (struct pmm_resv){ s, e, "firmware" };
			return tmp;
		}
	}
	return NULL;
}

/* Finds room for `bytes` of bitmap in RAM above 1 MiB, clear of every exclusion. */
static u64 pmm_place_bitmap(u64 bytes, const struct bi_range *map, unsigned nmap, const struct pmm_resv *resv,
			    unsigned nresv)
{
	struct pmm_resv tmp;
	for (unsigned i = 0; i < nmap; i++) {
		if (map[i].type != BI_MEM_RAM)
			continue;
		u64 end = ALIGN_DOWN(map[i].base + map[i].len, PAGE_SIZE);
		u64 a = ALIGN_UP(MAX(map[i].base, PMM_LOW_LIMIT), PAGE_SIZE);
		while (a < end && end - a >= bytes) {
			const struct pmm_resv *c = pmm_conflict(a, a + bytes, map, nmap, resv, nresv, &tmp);
			if (!c && phys_map(a, bytes))
				return a;
			a = c ? ALIGN_UP(MAX(c->end, a + 1), PAGE_SIZE) : end;
		}
	}
	return 0;
}

int pmm_init(const struct bi_range *map, unsigned nmap, const struct pmm_resv *resv, unsigned nresv,
	     const char **why)
{
	u64 top = pmm_ram_top(map, nmap);
	pmm_npages = top / PAGE_SIZE;
	pmm_nfree = pmm_hint = 0;
	u64 half = ALIGN_UP(pmm_npages, 64) / 8, bytes = ALIGN_UP(2 * half, PAGE_SIZE);
	pmm_bitmap_pa = pmm_place_bitmap(bytes, map, nmap, resv, nresv);
	if (!pmm_npages || !pmm_bitmap_pa) {
		*why = pmm_npages ? "no free RAM above 1 MiB holds the page bitmap" : "no RAM in the memory map";
		return -ENOMEM;
	}
	pmm_bitmap_end = pmm_bitmap_pa + bytes;
	pmm_bits = phys_map(pmm_bitmap_pa, bytes);
	memset(pmm_bits, 0, bytes);
	for (unsigned i = 0; i < nmap; i++) {
		if (map[i].type != BI_MEM_RAM)
			continue;
		u64 s = ALIGN_UP(map[i].base, PAGE_SIZE), e = ALIGN_DOWN(map[i].base + map[i].len, PAGE_SIZE);
		for (u64 p = s / PAGE_SIZE; p < e / PAGE_SIZE; p++)
			if (!bit_get(p)) {
				bit_set(p);
				pmm_nfree++;
			}
	}
	for (unsigned i = 0; i < nmap; i++)
		if (map[i].type != BI_MEM_RAM)
			pmm_mark_used(map[i].base, map[i].base + map[i].len);
	for (unsigned i = 0; i < nresv; i++)
		pmm_mark_used(resv[i].base, resv[i].end);
	pmm_mark_used(0, PAGE_SIZE);
	pmm_mark_used(pmm_bitmap_pa, pmm_bitmap_end);
	pmm_owned = pmm_bits + half / 8;
	memcpy(pmm_owned, pmm_bits, half);
	return 0;
}

static bool pmm_run_free(u64 pfn, u64 n)
{
	for (u64 k = 0; k < n; k++)
		if (!bit_get(pfn + k))
			return false;
	return true;
}

/* First fit over pfns [from, to) at multiples of step; 0 if nothing fits. */
static u64 pmm_scan(u64 from, u64 to, u64 n, u64 step)
{
	for (u64 p = from; p < to && to - p >= n; p += step) {
		if (step == 1 && p % 64 == 0 && !pmm_bits[p / 64]) {
			p += 63; /* a whole word of used pages */
			continue;
		}
		if (pmm_run_free(p, n))
			return p;
	}
	return 0;
}

/* Next fit: the search starts where the last allocation ended and wraps around once, so
 * allocating page after page costs O(1) each instead of rescanning from the bottom. */
u64 pmm_alloc_in(u64 n, u64 align, u64 lo, u64 hi)
{
	u64 step = MAX(align, PAGE_SIZE) / PAGE_SIZE;
	if (!n || (step & (step - 1)) || !pmm_bits)
		return 0;
	pmm_lock();
	u64 end = MIN(hi / PAGE_SIZE, pmm_npages), start = ALIGN_UP(MAX(ALIGN_UP(lo, PAGE_SIZE) / PAGE_SIZE, 1), step);
	u64 h = ALIGN_UP(pmm_hint, step), p = 0;
	if (h > start && h < end)
		p = pmm_scan(h, end, n, step);
	if (!p)
		p = pmm_scan(start, end, n, step);
	if (p) {
		for (u64 k = 0; k < n; k++)
			bit_clear(p + k);
		pmm_nfree -= n;
		pmm_hint = p + n;
	}
	pmm_unlock();
	return p * PAGE_SIZE;
}

u64 pmm_alloc(u64 n, u64 align)
{
	u64 pa = pmm_alloc_in(n, align, PMM_LOW_LIMIT, ~0ULL);
	return pa ? pa : pmm_alloc_in(n, align, 0, PMM_LOW_LIMIT);
}

u64 pmm_alloc_page(void) { return pmm_alloc(1, PAGE_SIZE); }

int pmm_free(u64 pa, u64 n)
{
	u64 pfn = pa / PAGE_SIZE;
	if ((pa & (PAGE_SIZE - 1)) || !pfn || pfn >= pmm_npages || n > pmm_npages - pfn)
		return -EINVAL;
	pmm_lock();
	for (u64 k = 0; k < n; k++)
		if (bit_get(pfn + k) || !owned(pfn + k)) {
			pmm_unlock();
			return -EINVAL; /* a double free, or a page that was never the allocator's */
		}
	for (u64 k = 0; k < n; k++)
		bit_set(pfn + k);
	pmm_nfree += n;
	pmm_unlock();
	return 0;
}

u64 pmm_free_pages(void) { return pmm_nfree; }
u64 pmm_top(void) { return pmm_npages * PAGE_SIZE; }
bool pmm_page_free(u64 pa) { return pa / PAGE_SIZE < pmm_npages && bit_get(pa / PAGE_SIZE); }

void pmm_bitmap_range(u64 *base, u64 *end)
{
	*base = pmm_bitmap_pa;
	*end = pmm_bitmap_end;
}
