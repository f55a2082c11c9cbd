/* A partition's regions from its configuration: in-core devices get their state, forwarded
 * regions stay unmapped (MMIO exits as a nested page fault, ports are intercepted) until the
 * ring gives them a device index, passthrough MMIO is mapped identity and uncached, passthrough
 * ports are opened per vCPU. docs/partitions.md. */
#include <keel/partition.h>
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/errno.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/testdev.h>
#include <keel/vuart.h>
#include <arch/virt.h>

static void *regions_zalloc(u64 bytes)
{
	u64 pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa = pmm_alloc(pages, PAGE_SIZE);
	if (pa)
		memset((void *)(uintptr_t)pa, 0, pages * PAGE_SIZE);
	return (void *)(uintptr_t)pa;
}

static struct vuart *regions_vuart(struct partition *p, bool input, u8 irq)
{
	struct vuart *u = regions_zalloc(sizeof(*u));
	if (u) {
		u->name = p->name;
		u->partition = p->id;
		u->input = input;
		u->part = p;
		u->irq = irq;
		u->verdicts = p->entry_mode == CONFIG_ENTRY_LINUX;
	}
	return u;
}

/* The test device's port block reaches the window of the partition's in-core test device
 * configured before it (abi/testdev.h); alone, it gets a window of its own. */
static void *regions_testdev(struct partition *p, enum region_space space)
{
	for (u32 i = 0; space == REGION_PIO && i < p->regions.n; i++)
		if (p->regions.r[i].ops == &testdev_ops)
			return p->regions.r[i].dev;
	return regions_zalloc(sizeof(struct testdev));
}

static int regions_incore(struct partition *p, const struct config_region *c, struct region *r)
{
	if (!strcmp(c->device, "testdev")) {
		r->ops = r->space == REGION_PIO ? &testdev_port_ops : &testdev_ops;
		r->dev = regions_testdev(p, r->space);
	} else {
		struct vuart *u = regions_vuart(p, c->console, c->irq == CONFIG_IRQ_NONE ? VUART_NO_IRQ : c->irq);
		r->ops = &vuart_ops;
		r->dev = u;
		if (c->console)
			p->console = u;
	}
	return r->dev ? 0 : -ENOMEM;
}

/* Passthrough MMIO must be a device: RAM in the memory map is what Keel hands out to
 * partitions (and holds itself). */
static int regions_passthrough_mmio(struct partition *p, const struct config_region *c)
{
	const struct bootinfo *bi = boot_info();
	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct bi_range *m = &bi->mmap[i];
		if (m->type == BI_MEM_RAM && m->base < c->base + c->size && c->base < m->base + m->len) {
			pr_err("partition %s: mmio: passthrough %#llx+%#llx overlaps RAM [%#llx-%#llx) "
			       "of the memory map; refused", p->name, (unsigned long long)c->base,
			       (unsigned long long)c->size, (unsigned long long)m->base,
			       (unsigned long long)(m->base + m->len));
			return -EINVAL;
		}
	}
	int rc = gmem_map(&p->mem, c->base, c->base, c->size, NPT_RWX, NPT_MT_UC);
	if (rc)
		pr_err("partition %s: mmio: cannot map passthrough %#llx+%#llx (%d)", p->name,
		       (unsigned long long)c->base, (unsigned long long)c->size, rc);
	return rc;
}

static const u8 region_kinds[] = {
	[CONFIG_INCORE] = REGION_INCORE, [CONFIG_FORWARD] = REGION_FORWARD,
	[CONFIG_POSTED] = REGION_FORWARD_POSTED, [CONFIG_PASSTHROUGH] = REGION_PASSTHROUGH,
	[CONFIG_NOTHING] = REGION_NONE,
};

static int regions_one(struct partition *p, const struct config_region *c)
{
	struct region r = { .base = c->base, .size = c->size, .kind = region_kinds[c->handler],
			    .space = c->space == CONFIG_PIO ? REGION_PIO : REGION_MMIO,
			    .name = c->device[0] ? c->device : "none" };
	int rc = 0;
	if (c->handler == CONFIG_INCORE)
		rc = regions_incore(p, c, &r);
	else if (c->handler == CONFIG_PASSTHROUGH && c->space == CONFIG_MMIO)
		rc = regions_passthrough_mmio(p, c);
	if (!rc && c->console && c->handler == CONFIG_FORWARD && !(p->fconsole = regions_vuart(p, false, VUART_NO_IRQ)))
		rc = -ENOMEM;
	if (!rc)
		rc = region_add(&p->regions, &r);
	if (rc && rc != -EINVAL)
		pr_err("partition %s: cannot set up %s %#llx+%#llx (%d)", p->name,
		       c->space == CONFIG_PIO ? "port" : "mmio", (unsigned long long)c->base,
		       (unsigned long long)c->size, rc);
	return rc;
}

/* What the guest finds in its start information: test devices and forwarded regions. */
static void regions_start_info(struct partition *p, const struct region *r)
{
	bool fwd = r->kind == REGION_FORWARD || r->kind == REGION_FORWARD_POSTED;
	bool tdev = !strcmp(r->name, "testdev");
	if (!fwd && !(tdev && r->kind == REGION_INCORE))
		return;
	u32 flags = (r->space == REGION_PIO ? KEEL_REGION_F_PORT : 0) |
		    (fwd ? KEEL_REGION_F_FORWARDED : 0) |
		    (r->kind == REGION_FORWARD_POSTED ? KEEL_REGION_F_POSTED : 0);
	if (partition_start_region(p, r->base, r->size, tdev ? KEEL_REGION_TESTDEV : KEEL_REGION_FORWARDED,
				   flags))
		pr_warn("partition %s: start information full; region %#llx+%#llx not listed", p->name,
			(unsigned long long)r->base, (unsigned long long)r->size);
}

int partition_regions(struct partition *p, const struct config_partition *c)
{
	for (u32 i = 0; i < c->nregions; i++) {
		int rc = regions_one(p, &c->region[i]);
		if (rc)
			return rc;
	}
	for (u32 i = 0; i < p->regions.n; i++)
		regions_start_info(p, &p->regions.r[i]);
	return 0;
}

int partition_open_ports(struct vcpu *v)
{
	const struct region_set *s = &v->part->regions;
	for (u32 i = 0; i < s->n; i++) {
		const struct region *r = &s->r[i];
		if (r->kind != REGION_PASSTHROUGH || r->space != REGION_PIO)
			continue;
		int rc = virt->vcpu_allow_io(v, (u32)r->base, (u32)r->size);
		if (rc) {
			pr_err("partition %s: port: cannot pass through %#llx+%#llx (%d)", v->part->name,
			       (unsigned long long)r->base, (unsigned long long)r->size, rc);
			return rc;
		}
	}
	return 0;
}
