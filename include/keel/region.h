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
	u8 last[2];              /* per space: the index into r region_find found last (a hint) */
};

int region_add(struct region_set *s, const struct region *r);
/* The region covering [addr, addr+size) in `space`, or NULL. */
struct region *region_find(struct region_set *s, enum region_space space, u64 addr, unsigned size);

#endif
