/* The MMIO and port regions of a partition and what answers each: an in-core device, the
 * service VM (forwarded, optionally posted writes), the real device (passthrough: never exits),
 * or nothing on purpose (reads all-ones, writes dropped, never logged). docs/partitions.md. */
#ifndef KEEL_REGION_H
#define KEEL_REGION_H

#include <keel/types.h>

#define REGION_MAX 32

enum region_space { REGION_MMIO, REGION_PIO };
enum region_kind { REGION_INCORE, REGION_FORWARD, REGION_FORWARD_POSTED, REGION_NONE, REGION_PASSTHROUGH };

struct vcpu;

/* An in-core device. `off` is relative to the region base; size is 1, 2, 4 or 8. */
struct region_ops {
	u64 (*read)(void *dev, struct vcpu *v, u64 off, unsigned size);
	void (*write)(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val);
};

struct region {
	u64 base, size;
	u8 space;  /* enum region_space */
	u8 kind;   /* enum region_kind */
	bool warned; /* logged once (an emulated access to a passthrough window) */
	u16 device;  /* forwarded: index in the ring's device table */
	const struct region_ops *ops;
	void *dev;
	const char *name; /* the in-core device or the service VM's model */
};

struct region_set {
	struct region r[REGION_MAX];
	u32 n;
	u64 base[2][REGION_MAX]; /* per space, ascending: the bases region_find scans */
	u8 order[2][REGION_MAX]; /* the index into r of each */
	u8 norder[2];
	/* per space, the region region_find found last: a hint any vCPU may replace, checked like
	 * any entry (regions of a space never overlap: one that holds the access is the answer,
	 * even where an insertion has moved it) */
	struct region *last[2];
};

int region_add(struct region_set *s, const struct region *r);
/* region_find past the hint: the scan of the space's bases. */
struct region *region_scan(struct region_set *s, enum region_space space, u64 addr, unsigned size);

static inline bool region_holds(const struct region *r, enum region_space space, u64 addr,
				unsigned size)
{
	u64 off = addr - r->base;
	return r->space == space && off < r->size && r->size - off >= size;
}

/* The region found last in `space` (any vCPU's: a device is usually accessed many times in a
 * row) if it covers [addr, addr+size), else NULL. */
static inline struct region *region_hint(struct region_set *s, enum region_space space, u64 addr,
					 unsigned size)
{
	struct region *r = space <= REGION_PIO ? __atomic_load_n(&s->last[space], __ATOMIC_RELAXED)
					       : NULL;
	return r && region_holds(r, space, addr, size) ? r : NULL;
}

/* The region covering [addr, addr+size) in `space`, or NULL: the hint, else the scan. */
static inline struct region *region_find(struct region_set *s, enum region_space space, u64 addr,
					 unsigned size)
{
	struct region *r = region_hint(s, space, addr, size);
	return __builtin_expect(r != NULL, 1) ? r : region_scan(s, space, addr, size);
}

#endif
