/* Routing a guest's device access: an in-core device answers at once; an address with nothing
 * behind it reads all-ones and drops writes, as a PC's bus does (master abort), logged once per
 * page or port. Forwarding to the service VM arrives with the ring. */
#include <keel/access.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/vcpu.h>

#define UNBACKED_LOG_MAX 64

static u64 ones(unsigned size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

/* Remembers which pages/ports were reported, so each is logged once; past the table's size a
 * single line says further ones go unlogged. */
static void access_warn_unbacked(struct partition *p, enum region_space space, u64 addr, bool write)
{
	u64 key = space == REGION_MMIO ? (addr & ~0xfffull) : (addr | 1ull << 63);
	for (u32 i = 0; i < p->unbacked_n; i++)
		if (p->unbacked[i] == key)
			return;
	if (p->unbacked_n == UNBACKED_LOG_MAX) {
		if (!p->unbacked_full)
			pr_warn("%s: more unbacked addresses; not logging them", p->name);
		p->unbacked_full = true;
		return;
	}
	p->unbacked[p->unbacked_n++] = key;
	pr_warn("%s: %s %s %#llx has nothing behind it (reads all-ones, writes dropped)", p->name,
		write ? "write to" : "read from", space == REGION_MMIO ? "address" : "port",
		(unsigned long long)addr);
}

enum access_result access_one(struct vcpu *v, enum region_space space, u64 addr, unsigned size,
			      bool write, u64 *val)
{
	struct partition *p = v->part;
	struct region *r = region_find(&p->regions, space, addr, size);

	if (r && r->kind == REGION_INCORE) {
		if (write)
			r->ops->write(r->dev, v, addr - r->base, size, *val & ones(size));
		else
			*val = r->ops->read(r->dev, v, addr - r->base, size) & ones(size);
		return ACCESS_DONE;
	}
	if (!r || r->kind == REGION_NONE)
		access_warn_unbacked(p, space, addr, write);
	if (!write)
		*val = ones(size);
	return ACCESS_DONE;
}
