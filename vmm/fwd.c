/* The core's end of the ring to the service VM, wired into the access path (docs/ring.md,
 * docs/partitions.md). One ring for the machine; any CPU submits and waits on it. */
#include <keel/fwd.h>
#include <keel/config.h>
#include <keel/errno.h>
#include <keel/partition.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/ring.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/virq.h>
#include <arch/cpu.h>
#include <arch/virt.h>

#define FWD_START_WAIT_MS 5000 /* how long a guest with forwarded regions waits for svc_ready */

static struct ring fwd_ring;
static bool fwd_up, fwd_down_logged;
static u64 fwd_area_pa;
static u64 fwd_timeout;
static u32 fwd_ndev;
static struct keel_ring_device fwd_table[KEEL_RING_DEVICES_MAX];
static const struct region *fwd_region[KEEL_RING_DEVICES_MAX];

static u64 fwd_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

/* Ring events name the partition and the region (the library knows only indices). */
static void fwd_log(void *ctx, const struct ring_event *ev)
{
	(void)ctx;
	const struct partition *p =
		ev->device < fwd_ndev ? partition_get(fwd_table[ev->device].partition) : NULL;
	if (!p) {
		pr_warn("ring: %s (id %#llx, value %#llx)", ring_event_text(ev->kind),
			(unsigned long long)ev->id, (unsigned long long)ev->value);
		return;
	}
	const struct region *r = fwd_region[ev->device];
	pr_warn("ring: partition %s: %s %#llx+%#llx (%s): %s (id %#llx)", p->name,
		r->space == REGION_PIO ? "port" : "mmio", (unsigned long long)r->base,
		(unsigned long long)r->size, r->name, ring_event_text(ev->kind),
		(unsigned long long)ev->id);
}

static struct virq_notify fwd_notify;
static struct ring_ops fwd_ops = { .now = fwd_now, .log = fwd_log };

bool fwd_owns_pin(u32 partition, u32 pin)
{
	for (u32 i = 0; i < fwd_ndev; i++)
		if (fwd_table[i].partition == partition && fwd_table[i].irq == pin)
			return true;
	return false;
}

/* One table entry per forwarded region: partitions in id order, regions in file order. */
static int fwd_table_add(struct partition *p, const struct config_region *c)
{
	struct region *r = region_find(&p->regions, c->space == CONFIG_PIO ? REGION_PIO : REGION_MMIO,
				       c->base, 1);
	if (!r || fwd_ndev == KEEL_RING_DEVICES_MAX)
		return -ENOSPC;
	struct keel_ring_device *d = &fwd_table[fwd_ndev];
	*d = (struct keel_ring_device){ .partition = (u16)p->id, .kind = c->space, .irq = c->irq,
					.flags = c->handler == CONFIG_POSTED ? KEEL_RING_F_POSTED : 0,
					.base = c->base, .size = c->size };
	strlcpy(d->model, c->device, sizeof(d->model));
	r->device = (u16)fwd_ndev;
	fwd_region[fwd_ndev++] = r;
	return 0;
}

static int fwd_table_build(const struct keel_config *c)
{
	for (u32 i = 0; i < c->npartitions; i++) {
		struct partition *p = partition_get(i);
		for (u32 k = 0; p && k < c->part[i].nregions; k++) {
			const struct config_region *cr = &c->part[i].region[k];
			if ((cr->handler == CONFIG_FORWARD || cr->handler == CONFIG_POSTED) &&
			    fwd_table_add(p, cr))
				return -ENOSPC;
		}
	}
	return 0;
}

static int fwd_map(struct partition *svc, const struct keel_config *c, u64 area)
{
	int rc = gmem_map(&svc->mem, c->ring_gpa, area, KEEL_RING_AREA_SIZE, NPT_R | NPT_W, NPT_MT_WB);
	if (!rc)
		rc = partition_start_region(svc, c->ring_gpa, KEEL_RING_AREA_SIZE, KEEL_REGION_RING, 0);
	if (rc)
		pr_err("ring: cannot map the ring into partition %s at %#llx (%d)", svc->name,
		       (unsigned long long)c->ring_gpa, rc);
	return rc;
}

int fwd_setup(const struct keel_config *c)
{
	struct partition *svc = c->service == CONFIG_NONE ? NULL : partition_get(c->service);
	u64 pages = (KEEL_RING_AREA_SIZE + PAGE_SIZE - 1) / PAGE_SIZE, khz = tsc_khz() ? tsc_khz() : 1;
	if (!svc)
		return c->service == CONFIG_NONE ? 0 : -ENODEV;
	if (c->ring_vector) { /* irq mode: the vector is made pending in the service VM's vCPU 0 */
		fwd_notify = (struct virq_notify){ svc->vcpu[0], c->ring_vector };
		fwd_ops.notify = virq_notify;
		fwd_ops.ctx = &fwd_notify;
	}
	u64 area = pmm_alloc(pages, PAGE_SIZE);
	if (!area || fwd_table_build(c)) {
		pr_err("ring: no memory for the ring area or too many forwarded regions");
		return -ENOMEM;
	}
	fwd_timeout = (u64)c->ring_timeout_us * khz / 1000;
	struct ring_config rc = { .area = (void *)(uintptr_t)area, .area_size = pages * PAGE_SIZE,
				  .devices = fwd_table, .ndevices = fwd_ndev, .notify_vector = c->ring_vector,
				  .log_interval = khz * 1000, .ops = &fwd_ops };
	int err = ring_init(&fwd_ring, &rc);
	if (!err)
		err = fwd_map(svc, c, area);
	if (err)
		return err;
	fwd_up = true;
	fwd_area_pa = area;
	pr_info("ring: %u forwarded regions, mapped into %s at %#llx, timeout %u us", fwd_ndev,
		svc->name, (unsigned long long)c->ring_gpa, c->ring_timeout_us);
	return 0;
}

enum access_result fwd_access(struct vcpu *v, const struct region *r, const struct access_req *a)
{
	bool posted = a->write && r->kind == REGION_FORWARD_POSTED;
	struct ring_access ra = {
		.partition = (u16)v->part->id, .vcpu = (u16)v->id,
		.kind = a->space == REGION_PIO ? KEEL_RING_PIO : KEEL_RING_MMIO,
		.dir = a->write ? KEEL_RING_WRITE : KEEL_RING_READ, .size = a->size,
		.flags = (posted ? KEEL_RING_F_POSTED : 0) | (a->rmw ? KEEL_RING_F_RMW : 0),
		.addr = a->addr, .count = a->count, .stride = a->stride, .device = r->device,
		.data = a->write ? a->data : NULL, .timeout = fwd_timeout,
	};
	int rc = -ENODEV;
	u64 t0 = ra.start = rdtsc();
	v->stat[KEEL_STAT_FORWARDED]++;
	if (fwd_up)
		rc = ring_access(&fwd_ring, &ra, a->write ? NULL : a->data);
	else if (!__atomic_exchange_n(&fwd_down_logged, true, __ATOMIC_RELAXED))
		pr_warn("ring: partition %s: %s (%s) is forwarded, but the service VM did not start: "
			"reads return all-ones", v->part->name, r->space == REGION_PIO ? "port" : "mmio",
			r->name);
	v->stat[KEEL_STAT_FWD_TSC] += rdtsc() - t0;
	if (!rc)
		return ACCESS_DONE;
	if (!a->write && rc != -ETIMEDOUT && rc != -EIO)
		memset(a->data, 0xff, (size_t)a->count * a->size);
	v->stat[KEEL_STAT_FWD_FAILED]++;
	return ACCESS_FAILED;
}

static bool fwd_uses(const struct partition *p)
{
	for (u32 i = 0; i < p->regions.n; i++)
		if (p->regions.r[i].kind == REGION_FORWARD || p->regions.r[i].kind == REGION_FORWARD_POSTED)
			return true;
	return false;
}

/* Reads the service VM's svc_ready directly: it only decides when a guest starts, never what
 * the ring does (ring_access checks readiness itself). */
void fwd_wait_ready(const struct partition *p)
{
	if (!fwd_up || !fwd_uses(p))
		return;
	u64 end = rdtsc() + FWD_START_WAIT_MS * (tsc_khz() ? tsc_khz() : 1);
	while (__atomic_load_n(&fwd_ring.hdr->svc_ready, __ATOMIC_ACQUIRE) != 1) {
		if (rdtsc() > end) {
			pr_warn("ring: partition %s starts before the service VM is ready", p->name);
			return;
		}
		__builtin_ia32_pause();
	}
}

u64 fwd_area(void) { return fwd_area_pa; }

void fwd_kick(void)
{
	if (fwd_up)
		ring_poll(&fwd_ring);
}
