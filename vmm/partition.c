/* Partitions: memory, image, start information, vCPUs, stopping. */
#include <keel/partition.h>
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/errno.h>
#include <keel/loader.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/vcpu_run.h>
#include <keel/virq.h>
#include <keel/vlapic.h>
#include <keel/vuart.h>
#include <arch/insn.h>
#include <arch/virt.h>

static struct partition partitions[PARTITION_MAX];
static bool created[PARTITION_MAX];

struct partition *partition_get(u32 id)
{
	return id < PARTITION_MAX && created[id] ? &partitions[id] : NULL;
}

static struct keel_start_info *partition_si(struct partition *p)
{
	return (struct keel_start_info *)(uintptr_t)(p->mem.hpa + KEEL_GUEST_START_INFO);
}

/* A Linux partition gets its boot parameters instead (the zero page): no start information. */
int partition_start_region(struct partition *p, u64 base, u64 size, u32 kind, u32 flags)
{
	struct keel_start_info *si = partition_si(p);
	if (p->entry_mode == CONFIG_ENTRY_LINUX)
		return 0;
	if (si->nr_regions == KEEL_START_MAX_REGIONS)
		return -ENOSPC;
	si->region[si->nr_regions++] = (struct keel_start_region){ base, size, kind, flags };
	return 0;
}

static void partition_start_info(struct partition *p, u32 nr_vcpus)
{
	struct keel_start_info *si = partition_si(p);
	if (p->entry_mode == CONFIG_ENTRY_LINUX)
		return;
	memset(si, 0, sizeof(*si));
	si->magic = KEEL_START_MAGIC;
	si->version = KEEL_START_VERSION;
	si->size = sizeof(*si);
	si->partition = p->id;
	si->nr_vcpus = nr_vcpus;
	si->entry_mode = p->entry_mode;
	si->ram_size = p->mem.ram_size;
	si->image_start = p->image_start;
	si->image_end = p->image_end;
	si->cmdline = KEEL_GUEST_CMDLINE;
	si->tsc_khz = tsc_khz();
	strlcpy(si->name, p->name, sizeof(si->name));
	partition_start_region(p, 0, p->mem.ram_size, KEEL_REGION_RAM, 0);
}

static int partition_load(struct partition *p, const struct config_partition *c)
{
	if (c->entry == CONFIG_ENTRY_LINUX)
		return partition_linux_load(p);
	const struct bi_module *m = bootinfo_module(boot_info(), c->image);
	u8 *ram = (u8 *)(uintptr_t)p->mem.hpa;
	const u8 *img = m ? phys_map(m->start, m->end - m->start) : NULL;
	struct guest_image gi;
	const char *why;
	if (!img) {
		pr_err("partition %s: image: module '%s' was not loaded", p->name, c->image);
		return -ENOENT;
	}
	int rc = loader_load(ram, p->mem.ram_size, img, m->end - m->start,
			     (enum keel_entry_mode)c->entry, &gi, &why);
	if (rc) {
		pr_err("partition %s: image '%s': %s", p->name, c->image, why);
		return rc;
	}
	loader_build_tables(ram, (enum keel_entry_mode)c->entry);
	strlcpy((char *)ram + KEEL_GUEST_CMDLINE, c->args, 4096);
	p->entry = gi.entry;
	p->image_start = gi.start;
	p->image_end = gi.end;
	pr_info("partition %s: image '%s' (%s) at [%#llx-%#llx) entry %#llx", p->name, c->image,
		gi.format, (unsigned long long)gi.start, (unsigned long long)gi.end,
		(unsigned long long)gi.entry);
	return 0;
}

/* vCPU n runs on the n-th lowest CPU of the partition's list. */
static u32 partition_nth_cpu(u64 mask, u32 n)
{
	for (u32 cpu = 0; cpu < 64; cpu++)
		if ((mask & (1ull << cpu)) && !n--)
			return cpu;
	return ~0u;
}

static int partition_vcpu_create(struct partition *p, const struct config_partition *c, u32 i)
{
	u64 pages = (sizeof(struct vcpu) + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa = pmm_alloc(pages, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	struct vcpu *v = (struct vcpu *)(uintptr_t)pa;
	memset(v, 0, pages * PAGE_SIZE);
	v->id = i;
	v->part = p;
	v->pcpu = partition_nth_cpu(c->cpus, i);
	v->tsc_dirty = true;
	v->mtrr_def = VCPU_MTRR_DEF_RESET;
	p->vcpu[i] = v;
	if (c->entry == CONFIG_ENTRY_LINUX)
		partition_linux_entry(p, &v->regs, &v->start);
	else
		loader_entry_state((enum keel_entry_mode)c->entry, p->entry, &v->regs, &v->start);
	v->dirty = VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	int rc = vlapic_create(v);
	return rc ? rc : mmio_vcpu_init(v);
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
	return partition_open_ports(v);
}

static int partition_memory(struct partition *p, const struct config_partition *c)
{
	int rc = gmem_create(&p->mem, c->ram_size, c->ram_hpa);
	if (rc)
		pr_err("partition %s: memory: cannot allocate %llu MiB of RAM (%d)", p->name,
		       (unsigned long long)(c->ram_size >> 20), rc);
	else
		pr_info("partition %s: %llu MiB of RAM at host %#llx", p->name,
			(unsigned long long)(c->ram_size >> 20), (unsigned long long)p->mem.hpa);
	return rc;
}

/* What Keel cannot run yet is refused with a line naming it. */
static int partition_supported(const char *name, const struct config_partition *c)
{
	if (c->ram_gpa) {
		pr_err("partition %s: memory: gpa %#llx: only RAM at guest-physical 0 is supported",
		       name, (unsigned long long)c->ram_gpa);
		return -ENOTSUP;
	}
	return 0;
}

struct partition *partition_create(u32 id, const struct config_partition *c)
{
	if (id >= PARTITION_MAX || created[id] || !c->ncpus || c->ncpus > PARTITION_MAX_VCPUS ||
	    partition_supported(c->name, c))
		return NULL;
	struct partition *p = &partitions[id];
	memset(p, 0, sizeof(*p));
	p->id = id;
	strlcpy(p->name, c->name, sizeof(p->name));
	p->service = c->kind == CONFIG_SERVICE;
	p->unbacked = c->unbacked;
	p->entry_mode = c->entry;
	p->cfg = c;
	if (partition_memory(p, c) || partition_load(p, c))
		return NULL;
	partition_start_info(p, c->ncpus);
	int rc = partition_regions(p, c);
	if (rc || virq_partition_init(p, c->ncpus))
		return NULL;
	for (u32 i = 0; i < c->ncpus; i++) {
		if ((rc = partition_vcpu_create(p, c, i))) {
			pr_err("partition %s: cannot create vCPU %u (%d)", p->name, i, rc);
			return NULL;
		}
	}
	p->nr_vcpus = c->ncpus;
	p->live = c->ncpus;
	p->state = PART_RUNNING;
	created[id] = true;
	return p;
}

void partition_set_reason(struct partition *p, const char *why)
{
	if (why && !__atomic_exchange_n(&p->reason_taken, 1, __ATOMIC_ACQ_REL))
		strlcpy(p->stop_reason, why, sizeof(p->stop_reason));
}

void partition_stop(struct partition *p, const char *why)
{
	partition_set_reason(p, why);
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		WRITE_ONCE(p->vcpu[i]->stopped, true);
		vcpu_kick_stop(p->vcpu[i]);
	}
}

void partition_vcpu_started(struct vcpu *v)
{
	struct partition *p = v->part;
	u32 bit = 1u << v->id;
	if (!(__atomic_fetch_or(&p->entered, bit, __ATOMIC_ACQ_REL) & bit))
		__atomic_add_fetch(&p->started, 1, __ATOMIC_ACQ_REL);
}

/* A started vCPU that no longer runs guest code (INIT parked it, it halted with interrupts
 * disabled, or it stopped): when none is left, nothing can start the others, so the partition
 * stops, unless it is restarting. */
static void partition_vcpu_unstart(struct vcpu *v, const char *why)
{
	struct partition *p = v->part;
	u32 bit = 1u << v->id;
	if ((__atomic_fetch_and(&p->entered, ~bit, __ATOMIC_ACQ_REL) & bit) &&
	    !__atomic_sub_fetch(&p->started, 1, __ATOMIC_ACQ_REL) &&
	    !__atomic_load_n(&p->restarting, __ATOMIC_ACQUIRE))
		partition_stop(p, why);
}

void partition_vcpu_parked(struct vcpu *v) { partition_vcpu_unstart(v, NULL); }

void partition_vcpu_halted(struct vcpu *v)
{
	partition_vcpu_unstart(v, "halted with interrupts disabled");
}

bool partition_vcpu_stopped(struct vcpu *v)
{
	struct partition *p = v->part;
	if (p->console)
		vuart_flush(p->console);
	partition_vcpu_unstart(v, NULL);
	if (__atomic_sub_fetch(&p->live, 1, __ATOMIC_ACQ_REL))
		return false;
	if (p->fconsole)
		vuart_flush(p->fconsole);
	WRITE_ONCE(p->state, PART_STOPPED);
	return true;
}

static u64 partition_stat(const struct partition *p, enum keel_stat s)
{
	u64 n = 0;
	for (u32 i = 0; i < p->nr_vcpus; i++)
		n += p->vcpu[i]->stat[s];
	return n;
}

void partition_report(const struct partition *p)
{
	pr_info("partition %s: %s, verdicts %u passed %u failed, %llu exits%s%s", p->name,
		p->state == PART_STOPPED ? "stopped" : "running", p->verdicts_passed,
		p->verdicts_failed, (unsigned long long)partition_stat(p, KEEL_STAT_EXITS),
		p->stop_reason[0] ? ": " : "", p->stop_reason);
	pr_info("partition %s: %llu port and %llu MMIO exits, %llu forwarded (%llu unanswered), "
		"%llu interrupts injected, %llu halts", p->name,
		(unsigned long long)partition_stat(p, KEEL_STAT_PIO_EXITS),
		(unsigned long long)partition_stat(p, KEEL_STAT_MMIO_EXITS),
		(unsigned long long)partition_stat(p, KEEL_STAT_FORWARDED),
		(unsigned long long)partition_stat(p, KEEL_STAT_FWD_FAILED),
		(unsigned long long)partition_stat(p, KEEL_STAT_INTR_INJECTED),
		(unsigned long long)partition_stat(p, KEEL_STAT_HALT_SLEEPS));
	if (!virq_check_on)
		return;
	pr_info("partition %s: irqcheck: %llu entries without interrupt passes checked, %llu missed "
		"work", p->name, (unsigned long long)partition_stat(p, KEEL_STAT_IRQ_CHECKED),
		(unsigned long long)partition_stat(p, KEEL_STAT_IRQ_MISSED));
}
