/* Region registry: a small sorted array per partition (a partition has a handful of regions). */
#include <keel/region.h>
#include <keel/errno.h>

static bool region_overlaps(const struct region *a, const struct region *b)
{
	return a->space == b->space && a->base < b->base + b->size && b->base < a->base + a->size;
}

int region_add(struct region_set *s, const struct region *r)
{
	if (!r->size || r->base + r->size < r->base)
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
	return 0;
}

struct region *region_scan(struct region_set *s, enum region_space space, u64 addr, unsigned size)
{
	for (u32 i = 0; i < s->n; i++) {
		struct region *r = &s->r[i];
		if (region_covers(r, space, addr, size)) {
			__atomic_store_n(&s->last[space & 1], r, __ATOMIC_RELAXED);
			return r;
		}
	}
	return NULL;
}
