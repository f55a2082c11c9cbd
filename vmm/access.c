/* Routing a guest's device access: an in-core device answers at once, a forwarded region goes to
 * the service VM over the ring (vmm/fwd.c), a `none` region reads all-ones and drops writes
 * silently, and an address with nothing behind it follows the partition's `unbacked` policy:
 * all-ones (as a PC's bus does on a master abort; logged once per page or port), #GP(0), or
 * stopping the partition. */
#include <keel/access.h>
#include <keel/config.h>
#include <keel/format.h>
#include <keel/fwd.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/unaligned.h>
#include <arch/vcpu.h>

#define UNBACKED_LOG_MAX 64

static u64 ones(unsigned size)
{
	static const u64 mask[8] = { 0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull,
				     0xffffffffffffull, 0xffffffffffffffull };
	return size >= 8 ? ~0ull : mask[size];
}

static const char *access_space(enum region_space space)
{
	return space == REGION_MMIO ? "address" : "port";
}

/* Remembers which pages/ports were reported, so each is logged once; past the table's size a
 * single line says further ones go unlogged. */
static void access_warn_unbacked(struct partition *p, enum region_space space, u64 addr, bool write)
{
	u64 key = space == REGION_MMIO ? (addr & ~0xfffull) : (addr | 1ull << 63);
	for (u32 i = 0; i < p->unbacked_n; i++)
		if (p->unbacked_seen[i] == key)
			return;
	if (p->unbacked_n == UNBACKED_LOG_MAX) {
		if (!p->unbacked_full)
			pr_warn("%s: more unbacked addresses; not logging them", p->name);
		p->unbacked_full = true;
		return;
	}
	p->unbacked_seen[p->unbacked_n++] = key;
	pr_warn("%s: %s %s %#llx has nothing behind it (reads all-ones, writes dropped)", p->name,
		write ? "write to" : "read from", access_space(space), (unsigned long long)addr);
}

static void access_ones(const struct access_req *a)
{
	if (!a->write)
		memset(a->data, 0xff, (size_t)a->count * a->size);
}

static enum access_result access_unbacked(struct vcpu *v, const struct access_req *a)
{
	struct partition *p = v->part;
	char why[96];
	switch (p->unbacked) {
	case CONFIG_UNBACKED_GP:
		return ACCESS_GP;
	case CONFIG_UNBACKED_STOP:
		snprintf(why, sizeof(why), "%s %s %#llx, which has nothing behind it (unbacked stop)",
			 a->write ? "write to" : "read from", access_space(a->space),
			 (unsigned long long)a->addr);
		pr_info("%s: stops: %s", p->name, why);
		partition_stop(p, why);
		return ACCESS_STOP;
	default:
		access_warn_unbacked(p, a->space, a->addr, a->write);
		access_ones(a);
		return ACCESS_DONE;
	}
}

static enum access_result access_incore(struct vcpu *v, struct region *r, const struct access_req *a)
{
	for (u32 i = 0; i < a->count; i++) {
		u64 val = 0, off = a->addr + (s64)i * a->stride - r->base;
		u8 *d = a->data + i * a->size;
		if (a->write) {
			val = get_le(d, a->size);
			r->ops->write(r->dev, v, off, a->size, val & ones(a->size));
		} else {
			val = r->ops->read(r->dev, v, off, a->size) & ones(a->size);
			put_le(d, a->size, val);
		}
	}
	return ACCESS_DONE;
}

/* A batch whose elements do not all lie in one region: one element at a time. */
static enum access_result access_split(struct vcpu *v, const struct access_req *a)
{
	enum access_result res = ACCESS_DONE;
	for (u32 i = 0; i < a->count; i++) {
		struct access_req one = *a;
		one.count = 1;
		one.addr = a->addr + (s64)i * a->stride;
		one.data = a->data + i * a->size;
		enum access_result r = access_batch(v, &one);
		if (r == ACCESS_GP || r == ACCESS_STOP)
			return r;
		if (r == ACCESS_FAILED)
			res = r;
	}
	return res;
}

/* One element for an in-core device: the common exit path, kept small. */
static __attribute__((noinline)) enum access_result access_incore_one(struct vcpu *v, struct region *r,
									u64 addr, unsigned size, bool write,
									u8 *d)
{
	if (write)
		r->ops->write(r->dev, v, addr - r->base, size, get_le(d, size) & ones(size));
	else
		put_le(d, size, r->ops->read(r->dev, v, addr - r->base, size) & ones(size));
	return ACCESS_DONE;
}

/* An access to `r` (NULL: nothing there), every element inside it. */
static __attribute__((noinline)) enum access_result access_to(struct vcpu *v, struct region *r,
							       const struct access_req *a)
{
	if (!r)
		return a->count > 1 ? access_split(v, a) : access_unbacked(v, a);
	switch (r->kind) {
	case REGION_INCORE:
		return access_incore(v, r, a);
	case REGION_FORWARD:
	case REGION_FORWARD_POSTED:
		return fwd_access(v, r, a);
	case REGION_PASSTHROUGH:
		if (!r->warned)
			pr_warn("%s: an emulated access to passthrough %s %#llx is not forwarded to the "
				"device (reads all-ones, writes dropped)", v->part->name,
				access_space(a->space), (unsigned long long)a->addr);
		r->warned = true;
		access_ones(a);
		return ACCESS_DONE;
	default: /* `none`: nothing, on purpose, and never logged */
		access_ones(a);
		return ACCESS_DONE;
	}
}

/* The region must hold every element of a batch. */
static enum access_result access_route(struct vcpu *v, const struct access_req *a)
{
	u64 span = (u64)(a->count - 1) * (u64)(a->stride < 0 ? -a->stride : a->stride);
	u64 lo = a->stride < 0 ? a->addr - span : a->addr;
	return access_to(v, region_find(&v->part->regions, a->space, lo, (unsigned)(span + a->size)), a);
}

enum access_result access_batch(struct vcpu *v, const struct access_req *a)
{
	if (a->count != 1)
		return access_route(v, a);
	struct region *r = region_find(&v->part->regions, a->space, a->addr, a->size);
	if (r && r->kind == REGION_INCORE)
		return access_incore_one(v, r, a->addr, a->size, a->write, a->data);
	if (r && (r->kind == REGION_FORWARD || r->kind == REGION_FORWARD_POSTED))
		return fwd_access(v, r, a);
	return access_to(v, r, a);
}

static __attribute__((noinline)) enum access_result
access_one_routed(struct vcpu *v, struct region *r, enum region_space space, u64 addr,
		  unsigned size, bool write, u64 *val)
{
	u8 buf[8];
	struct access_req a = { .space = (u8)space, .write = write, .size = (u8)size, .count = 1,
				.stride = (s16)size, .addr = addr, .data = buf };
	put_le(buf, 8, *val);
	enum access_result res = access_to(v, r, &a);
	if (!write)
		*val = get_le(buf, size) & ones(size);
	return res;
}

static inline enum access_result access_one_incore(struct vcpu *v, struct region *r, u64 addr,
						   unsigned size, bool write, u64 *val)
{
	if (write)
		r->ops->write(r->dev, v, addr - r->base, size, *val & ones(size));
	else
		*val = r->ops->read(r->dev, v, addr - r->base, size) & ones(size);
	return ACCESS_DONE;
}

/* Past the hint: the scan, and whatever the region is. */
static __attribute__((noinline)) enum access_result
access_one_found(struct vcpu *v, enum region_space space, u64 addr, unsigned size, bool write,
		 u64 *val)
{
	struct region *r = region_scan(&v->part->regions, space, addr, size);
	if (!r || r->kind != REGION_INCORE)
		return access_one_routed(v, r, space, addr, size, write, val);
	return access_one_incore(v, r, addr, size, write, val);
}

/* The hint in line and the in-core device called from here: the common case makes no call
 * but the device's, so its frame is small. */
enum access_result access_one(struct vcpu *v, enum region_space space, u64 addr, unsigned size,
			      bool write, u64 *val)
{
	struct region *r = region_hint(&v->part->regions, space, addr, size);
	if (__builtin_expect(!r || r->kind != REGION_INCORE, 0))
		return r ? access_one_routed(v, r, space, addr, size, write, val)
			 : access_one_found(v, space, addr, size, write, val);
	return access_one_incore(v, r, addr, size, write, val);
}
