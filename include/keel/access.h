/* One device access by a guest, routed through its partition's region registry: an in-core
 * device answers at once, a forwarded region goes over the ring to the service VM, and an
 * address with nothing behind it follows the partition's `unbacked` policy (docs/partitions.md). */
#ifndef KEEL_ACCESS_H
#define KEEL_ACCESS_H

#include <keel/region.h>

struct vcpu;

enum access_result {
	ACCESS_DONE,   /* answered (reads: data filled) */
	ACCESS_FAILED, /* forwarded and not answered in time (or answered EIO): reads got all-ones */
	ACCESS_GP,     /* unbacked, policy gp: inject #GP(0), the instruction does not complete */
	ACCESS_STOP,   /* unbacked, policy stop: the partition has been stopped */
};

/* `count` elements of `size` (1, 2, 4, 8) bytes, element i at addr + i * stride (stride +size,
 * -size, or 0 for a port or FIFO), count * size <= 256; data holds a write's elements, or
 * receives a read's, element i at data[i * size]. A batch inside one forwarded region is one
 * ring request. `rmw`: one half of a read-modify-write operand (KEEL_RING_F_RMW). */
struct access_req {
	u8 space;      /* enum region_space */
	bool write;
	bool rmw;
	u8 size;
	u16 count;
	s16 stride;
	u64 addr;
	u8 *data;
};

enum access_result access_batch(struct vcpu *v, const struct access_req *a);
/* One element; *val holds a write's value or receives a read's. */
enum access_result access_one(struct vcpu *v, enum region_space space, u64 addr, unsigned size,
			      bool write, u64 *val);

#endif
