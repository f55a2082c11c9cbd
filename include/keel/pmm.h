/* Physical page allocator (vmm/pmm.c): a bitmap over 4 KiB frames built from the memory map.
 * Only RAM pages that no reservation touches are ever handed out. Thread-safe. */
#ifndef KEEL_PMM_H
#define KEEL_PMM_H

#include <keel/errno.h>
#include <keel/types.h>

#define PMM_MAX_RESV 96
#define PMM_LOW_LIMIT (1ULL << 20)

struct bi_range;

/* A range the allocator must never hand out, [base, end). */
struct pmm_resv {
	u64 base, end;
	const char *what;
};

/* Builds the allocator from the memory map minus the reservations (page 0 is always excluded).
 * The bitmap itself is placed in free RAM reachable through phys_map and reserved too.
 * Returns 0, or a negative errno with *why set. */
int pmm_init(const struct bi_range *map, unsigned nmap, const struct pmm_resv *resv, unsigned nresv,
	     const char **why);

/* n contiguous pages aligned to `align` (a power of two >= 4096) inside [lo, hi): the physical
 * address, or 0 when none is free (page 0 is never handed out, so 0 is never a valid answer). */
u64 pmm_alloc_in(u64 n, u64 align, u64 lo, u64 hi);
/* n contiguous pages, preferring memory above 1 MiB; 0 on failure. */
u64 pmm_alloc(u64 n, u64 align);
u64 pmm_alloc_page(void);
/* Returns pages to the allocator; pages it never owned are refused (-EINVAL). */
int pmm_free(u64 pa, u64 n);

u64 pmm_free_pages(void);
u64 pmm_top(void);      /* end of the highest page the bitmap covers */
bool pmm_page_free(u64 pa);
/* The bitmap's own location (for tests and the memory report). */
void pmm_bitmap_range(u64 *base, u64 *end);

#endif
