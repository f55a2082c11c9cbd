/* Partitions: memory, image, start information, vCPUs. */
#include <keel/partition.h>
#include <keel/errno.h>
#include <keel/loader.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/testdev.h>
#include <keel/vuart.h>
#include <arch/insn.h>
#include <arch/virt.h>

#define PARTITION_MAX 16
#define UART_COM1 0x3f8

static struct partition partitions[PARTITION_MAX];
static u32 nr_partitions;

static void *partition_zalloc(u64 bytes)
{
	u64 pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa = pmm_alloc(pages, PAGE_SIZE);
	if (!pa)
		return NULL;
	memset((void *)(uintptr_t)pa, 0, pages * PAGE_SIZE);
	return (void *)(uintptr_t)pa;
}

static void partition_start_info(struct partition *p, const struct partition_spec *s,
				 struct keel_start_info *si)
{
	memset(si, 0, sizeof(*si));
	si->magic = KEEL_START_MAGIC;
	si->version = KEEL_START_VERSION;
	si->size = sizeof(*si);
	si->partition = p->id;
	si->vcpu = 0;
	si->nr_vcpus = s->nr_vcpus;
	si->entry_mode = s->entry_mode;
	si->ram_size = s->ram_size;
	si->image_start = p->image_start;
	si->image_end = p->image_end;
	si->cmdline = KEEL_GUEST_CMDLINE;
	strlcpy(si->name, p->name, sizeof(si->name));
	si->region[0] = (struct keel_start_region){ 0, s->ram_size, KEEL_REGION_RAM, 0 };
	si->nr_regions = 1;
	if (p->testdev)
		si->region[si->nr_regions++] = (struct keel_start_region){
			KEEL_TESTDEV_GPA, KEEL_TESTDEV_SIZE, KEEL_REGION_TESTDEV, 0 };
}

static int partition_devices(struct partition *p, const struct partition_spec *s)
{
	if (s->testdev) {
		p->testdev = partition_zalloc(sizeof(*p->testdev));
		struct region r = { .base = KEEL_TESTDEV_GPA, .size = KEEL_TESTDEV_SIZE,
				    .space = REGION_MMIO, .kind = REGION_INCORE,
				    .ops = &testdev_ops, .dev = p->testdev, .name = "testdev" };
		struct region pr = { .base = KEEL_TESTDEV_PORT, .size = KEEL_TESTDEV_PORTS,
				     .space = REGION_PIO, .kind = REGION_INCORE,
				     .ops = &testdev_port_ops, .dev = p->testdev,
				     .name = "testdev-ports" };
		if (!p->testdev || region_add(&p->regions, &r) || region_add(&p->regions, &pr))
			return -ENOMEM;
	}
	if (s->console) {
		p->console = partition_zalloc(sizeof(*p->console));
		if (!p->console)
			return -ENOMEM;
		p->console->name = p->name;
		struct region r = { .base = UART_COM1, .size = 8, .space = REGION_PIO,
				    .kind = REGION_INCORE, .ops = &vuart_ops, .dev = p->console,
				    .name = "uart" };
		return region_add(&p->regions, &r);
	}
	return 0;
}

static int partition_load(struct partition *p, const struct partition_spec *s)
{
	u8 *ram = (u8 *)(uintptr_t)p->mem.hpa;
	struct guest_image img;
	const char *why;
	int rc = loader_load(ram, s->ram_size, s->image, s->image_len, s->entry_mode, &img, &why);
	if (rc) {
		pr_err("partition %s: image '%s': %s", p->name, s->image_name, why);
		return rc;
	}
	loader_build_tables(ram, s->entry_mode);
	strlcpy((char *)ram + KEEL_GUEST_CMDLINE, s->cmdline ? s->cmdline : "", 4096);
	p->entry = img.entry;
	p->image_start = img.start;
	p->image_end = img.end;
	pr_info("partition %s: image '%s' (%s) at [%#llx-%#llx) entry %#llx", p->name,
		s->image_name, img.format, (unsigned long long)img.start,
		(unsigned long long)img.end, (unsigned long long)img.entry);
	return 0;
}

static int partition_vcpu_create(struct partition *p, const struct partition_spec *s, u32 i)
{
	struct vcpu *v = partition_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->id = i;
	v->part = p;
	v->tsc_dirty = true;
	p->vcpu[i] = v;
	loader_entry_state(s->entry_mode, p->entry, &v->regs, &v->start);
	v->dirty = VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	return mmio_vcpu_init(v);
}

/* VMCS/VMCB work must happen on the CPU the vCPU is pinned to (a VMCS is current on one CPU). */
int vcpu_start(struct vcpu *v)
{
	struct vcpu_regs entry = v->regs; /* vcpu_init resets the vCPU to its INIT state */
	int rc = virt->vcpu_init(v);
	if (rc)
		return rc;
	virt->npt_activate(v, v->part->mem.npt_root);
	virt->vcpu_set_sregs(v, &v->start);
	v->regs = entry;
	v->dirty = VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	return 0;
}

struct partition *partition_create(const struct partition_spec *s)
{
	if (nr_partitions == PARTITION_MAX || !s->nr_vcpus || s->nr_vcpus > PARTITION_MAX_VCPUS) {
		pr_err("partition %s: too many partitions or a bad vCPU count", s->name);
		return NULL;
	}
	struct partition *p = &partitions[nr_partitions];
	memset(p, 0, sizeof(*p));
	p->id = nr_partitions;
	strlcpy(p->name, s->name, sizeof(p->name));
	p->entry_mode = s->entry_mode;
	int rc = gmem_create(&p->mem, s->ram_size);
	if (rc) {
		pr_err("partition %s: cannot allocate %llu MiB of RAM (%d)", p->name,
		       (unsigned long long)(s->ram_size >> 20), rc);
		return NULL;
	}
	if (partition_load(p, s) || (rc = partition_devices(p, s))) {
		if (rc)
			pr_err("partition %s: cannot set up its devices (%d)", p->name, rc);
		return NULL;
	}
	partition_start_info(p, s, (void *)(uintptr_t)(p->mem.hpa + KEEL_GUEST_START_INFO));
	for (u32 i = 0; i < s->nr_vcpus; i++) {
		if ((rc = partition_vcpu_create(p, s, i))) {
			pr_err("partition %s: cannot create vCPU %u (%d)", p->name, i, rc);
			return NULL;
		}
	}
	p->nr_vcpus = s->nr_vcpus;
	p->state = PART_RUNNING;
	nr_partitions++;
	return p;
}

void partition_vcpu_stopped(struct vcpu *v)
{
	struct partition *p = v->part;
	if (p->console)
		vuart_flush(p->console);
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (!READ_ONCE(p->vcpu[i]->stopped))
			return;
	p->state = PART_STOPPED;
}

void partition_report(const struct partition *p)
{
	u64 exits = 0;
	for (u32 i = 0; i < p->nr_vcpus; i++)
		exits += p->vcpu[i]->stat[KEEL_STAT_EXITS];
	pr_info("partition %s: %s, verdicts %u passed %u failed, %llu exits%s%s", p->name,
		p->state == PART_STOPPED ? "stopped" : "running", p->verdicts_passed,
		p->verdicts_failed, (unsigned long long)exits, p->stop_reason[0] ? ": " : "",
		p->stop_reason);
}
