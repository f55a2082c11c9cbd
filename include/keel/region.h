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
	/* per space, the region the last lookup found: any vCPU may replace it, and a lookup
	 * checks it like any other entry (regions never overlap, so one that covers the access
	 * is the answer) */
	struct region *last[2];
};

int region_add(struct region_set *s, const struct region *r);
struct region *region_scan(struct region_set *s, enum region_space space, u64 addr, unsigned size);

static inline bool region_covers(const struct region *r, enum region_space space, u64 addr,
				 unsigned size)
{
	return r->space == space && addr >= r->base && addr - r->base + size <= r->size;
}

/* The region covering [addr, addr+size) in `space`, or NULL. */
static inline struct region *region_find(struct region_set *s, enum region_space space, u64 addr,
					 unsigned size)
{
	struct region *r = __atomic_load_n(&s->last[space & 1], __ATOMIC_RELAXED);
	if (__builtin_expect(r && region_covers(r, space, addr, size), 1))
		return r;
	return region_scan(s, space, addr, size);
}

#endif
