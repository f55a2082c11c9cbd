/* Region registry: a small sorted array per partition (a partition has a handful of regions). */
#include <keel/region.h>
#include <keel/errno.h>

static bool region_overlaps(const struct region *a, const struct region *b)
{
	return a->space == b->space && a->base < b->base + b->size && b->base < a->base + a->size;
}

static void region_index(struct region_set *s)
{
	s->norder[REGION_MMIO] = s->norder[REGION_PIO] = 0;
	for (u32 i = 0; i < s->n; i++) {
		u8 sp = s->r[i].space == REGION_PIO ? REGION_PIO : REGION_MMIO;
		s->base[sp][s->norder[sp]] = s->r[i].base;
		s->order[sp][s->norder[sp]++] = (u8)i;
	}
}

int region_add(struct region_set *s, const struct region *r)
{
	if (!r->size || r->base + r->size < r->base || r->space > REGION_PIO)
		return -EINVAL;
	if (s->n == REGION_MAX)
		return -ENOSPC;
	for (u32 i = 0; i < s->n; i++)
		if (region_overlaps(&s->r[i], r))
			return -EEXIST;
	u32 i = s->n;
	while (i && s->r[i - 1].base > r->base) {
		s->r[i] = s->r[i - 1];
		i--;
	}
	s->r[i] = *r;
	s->n++;
	region_index(s);
	return 0;
}

/* Regions of one space do not overlap: the candidate is the last one starting at or below addr.
 * A partition has a handful per space, so a scan of the bases beats a binary search (the hint
 * was tried inline, region.h). */
struct region *region_scan(struct region_set *s, enum region_space space, u64 addr, unsigned size)
{
	if (space > REGION_PIO)
		return NULL;
	const u64 *base = s->base[space];
	u32 n = s->norder[space], i = 0;
	while (i < n && base[i] <= addr)
		i++;
	if (!i)
		return NULL;
	u8 k = s->order[space][i - 1];
	if (!region_holds(&s->r[k], space, addr, size))
		return NULL;
	__atomic_store_n(&s->last[space], &s->r[k], __ATOMIC_RELAXED);
	return &s->r[k];
}
