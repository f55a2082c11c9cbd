/* Configuration validator: each partition on its own, the service VM and its ring, the console
 * (docs/config.md lists every message). Host-physical, CPU and module checks: config_host.c. */
#include "vmm/config_int.h"
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>

#define X(v) (unsigned long long)(v)

struct config_window {
	u64 base, size;
	const char *what;
};

/* Guest-physical windows every partition's interrupt controllers answer (implicit, in-core). */
static const struct config_window config_apic_windows[] = {
	{ CONFIG_IOAPIC_GPA, CONFIG_APIC_SIZE, "the IOAPIC window" },
	{ CONFIG_LAPIC_GPA, CONFIG_APIC_SIZE, "the LAPIC window" },
};

bool config_overlap(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a < b + bsize && b < a + asize;
}

const char *config_region_field(const struct config_region *r)
{
	return r->console ? "console" : r->space == CONFIG_MMIO ? "mmio" : "port";
}

/* "mmio 0xfeb00000+0x2000", "port 0x80+0x1", "the console UART 0x3f8+0x8" */
void config_region_desc(char *buf, size_t size, const struct config_region *r)
{
	snprintf(buf, size, "%s 0x%llx+0x%llx",
		 r->console ? "the console UART" : config_region_field(r), X(r->base), X(r->size));
}

static bool config_forwards(const struct config_region *r)
{
	return r->handler == CONFIG_FORWARD || r->handler == CONFIG_POSTED;
}

static void config_valid_fields(struct config_problems *pr, const struct config_partition *p)
{
	static const struct {
		u32 off;
		const char *field;
	} required[] = {
		{ __builtin_offsetof(struct config_part_lines, cpus), "cpus" },
		{ __builtin_offsetof(struct config_part_lines, memory), "memory" },
		{ __builtin_offsetof(struct config_part_lines, image), "image" },
	};
	for (u32 i = 0; i < ARRAY_SIZE(required); i++)
		if (!*(const u32 *)((const char *)&p->line + required[i].off))
			config_perr(pr, p->line.header, p->name, required[i].field, "missing");
	if (p->initrd[0] && p->entry != CONFIG_ENTRY_LINUX)
		config_perr(pr, p->line.initrd, p->name, "initrd", "only for entry linux");
	/* The guest boot contract puts Keel's tables in the first 512 KiB (docs/guest-boot.md). */
	if (p->ram_gpa && p->entry != CONFIG_ENTRY_LINUX)
		config_perr(pr, p->line.memory, p->name, "memory", "gpa must be 0 for entry %s",
			    config_entry_names[p->entry]);
	for (u32 w = 0; p->ram_size && w < ARRAY_SIZE(config_apic_windows); w++) {
		const struct config_window *win = &config_apic_windows[w];
		if (config_overlap(p->ram_gpa, p->ram_size, win->base, win->size))
			config_perr(pr, p->line.memory, p->name, "memory",
				    "RAM 0x%llx+0x%llx overlaps %s 0x%llx+0x%llx", X(p->ram_gpa),
				    X(p->ram_size), win->what, X(win->base), X(win->size));
	}
}

/* Region j against RAM, the APIC windows and the regions before it. */
static void config_valid_region(struct config_problems *pr, const struct config_partition *p, u32 j)
{
	const struct config_region *r = &p->region[j];
	char self[64], other[64];

	if (r->space == CONFIG_MMIO && p->ram_size &&
	    config_overlap(r->base, r->size, p->ram_gpa, p->ram_size))
		config_perr(pr, r->line, p->name, "mmio",
			    "0x%llx+0x%llx overlaps the RAM 0x%llx+0x%llx (line %u)", X(r->base),
			    X(r->size), X(p->ram_gpa), X(p->ram_size), p->line.memory);
	for (u32 w = 0; r->space == CONFIG_MMIO && w < ARRAY_SIZE(config_apic_windows); w++) {
		const struct config_window *win = &config_apic_windows[w];
		if (config_overlap(r->base, r->size, win->base, win->size))
			config_perr(pr, r->line, p->name, "mmio",
				    "0x%llx+0x%llx overlaps %s 0x%llx+0x%llx", X(r->base), X(r->size),
				    win->what, X(win->base), X(win->size));
	}
	for (u32 i = 0; i < j; i++) {
		const struct config_region *q = &p->region[i];
		/* Report on the line of the region written out, the later one when both are. */
		const struct config_region *rep = r->console ? q : r, *oth = r->console ? r : q;
		snprintf(self, sizeof(self), "0x%llx+0x%llx", X(rep->base), X(rep->size));
		config_region_desc(other, sizeof(other), oth);
		if (q->space == r->space && config_overlap(r->base, r->size, q->base, q->size))
			config_perr(pr, rep->line, p->name, config_region_field(rep),
				    "%s overlaps %s (line %u)", self, other, oth->line);
		if (r->irq != CONFIG_IRQ_NONE && r->irq == q->irq)
			config_perr(pr, rep->line, p->name, config_region_field(rep),
				    "irq %u is also used by %s (line %u)", r->irq, other, oth->line);
	}
	if (p->kind == CONFIG_SERVICE && config_forwards(r))
		config_perr(pr, r->line, p->name, config_region_field(r),
			    "a service partition cannot forward to itself");
}

/* The ring window lies in the service VM's guest-physical space. */
static void config_valid_ring_window(const struct keel_config *c, struct config_problems *pr,
				     const struct config_partition *p)
{
	u64 rb = c->ring_gpa, rs = CONFIG_RING_SIZE;

	if (p->ram_size && config_overlap(rb, rs, p->ram_gpa, p->ram_size))
		config_perr(pr, p->line.memory, p->name, "memory",
			    "RAM 0x%llx+0x%llx overlaps the ring window 0x%llx+0x%llx (line %u)",
			    X(p->ram_gpa), X(p->ram_size), X(rb), X(rs), c->line.ring);
	for (u32 i = 0; i < p->nregions; i++) {
		const struct config_region *r = &p->region[i];
		if (r->space == CONFIG_MMIO && config_overlap(rb, rs, r->base, r->size))
			config_perr(pr, r->line, p->name, "mmio",
				    "0x%llx+0x%llx overlaps the ring window 0x%llx+0x%llx (line %u)",
				    X(r->base), X(r->size), X(rb), X(rs), c->line.ring);
	}
	for (u32 w = 0; w < ARRAY_SIZE(config_apic_windows); w++) {
		const struct config_window *win = &config_apic_windows[w];
		if (config_overlap(rb, rs, win->base, win->size))
			config_perr(pr, c->line.ring, NULL, "ring",
				    "the ring window 0x%llx+0x%llx overlaps %s 0x%llx+0x%llx", X(rb),
				    X(rs), win->what, X(win->base), X(win->size));
	}
}

static void config_valid_service(struct keel_config *c, struct config_problems *pr)
{
	u32 forwarded = 0;

	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		if (p->kind != CONFIG_SERVICE)
			continue;
		if (c->service == CONFIG_NONE)
			c->service = i;
		else
			config_perr(pr, p->line.kind, p->name, "kind",
				    "a second service partition ('%s' is one, line %u)",
				    c->part[c->service].name, c->part[c->service].line.header);
	}
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		for (u32 j = 0; j < p->nregions; j++) {
			const struct config_region *r = &p->region[j];
			if (!config_forwards(r) || p->kind == CONFIG_SERVICE)
				continue;
			if (c->service == CONFIG_NONE)
				config_perr(pr, r->line, p->name, config_region_field(r),
					    "forwarded, but there is no service partition");
			else if (++forwarded == KEEL_RING_DEVICES_MAX + 1)
				config_perr(pr, r->line, p->name, config_region_field(r),
					    "more than %u forwarded regions in all (the ring's device table)",
					    KEEL_RING_DEVICES_MAX);
		}
	}
	if (c->service == CONFIG_NONE) {
		if (c->ring)
			config_perr(pr, c->line.ring, NULL, "ring", "there is no service partition");
		return;
	}
	const struct config_partition *s = &c->part[c->service];
	if (!c->ring)
		config_perr(pr, s->line.kind, s->name, "kind",
			    "a service partition needs a ring (platform: ring ADDR)");
	else
		config_valid_ring_window(c, pr, s);
}

static void config_valid_console(struct keel_config *c, struct config_problems *pr)
{
	const char *want = c->console_first_name;

	c->console_first = CONFIG_NONE;
	for (u32 i = 0; i < c->npartitions && c->console_first == CONFIG_NONE; i++) {
		const struct config_partition *p = &c->part[i];
		if (want[0] ? !strcmp(p->name, want) : p->console != CONFIG_CONSOLE_NONE)
			c->console_first = i;
	}
	if (!want[0]) {
		if (c->console_first != CONFIG_NONE)
			memcpy(c->console_first_name, c->part[c->console_first].name, CONFIG_NAME_MAX);
		return;
	}
	if (c->console_first == CONFIG_NONE)
		config_perr(pr, c->line.console_first, NULL, "console-first", "no partition named '%s'",
			    want);
	else if (c->part[c->console_first].console == CONFIG_CONSOLE_NONE)
		config_perr(pr, c->line.console_first, NULL, "console-first",
			    "partition '%s' has no console", want);
}

int config_validate(struct keel_config *c, struct config_problems *pr, const struct config_machine *m)
{
	u32 before = pr->n + pr->dropped;

	c->service = CONFIG_NONE;
	if (!c->npartitions)
		config_problem(pr, 0, "no partitions");
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		config_valid_fields(pr, p);
		for (u32 j = 0; j < p->nregions; j++)
			config_valid_region(pr, p, j);
	}
	config_valid_service(c, pr);
	config_valid_console(c, pr);
	config_valid_cpus(c, pr, m);
	config_valid_modules(c, pr, m);
	config_valid_host(c, pr, m);
	return pr->n + pr->dropped > before ? -EINVAL : 0;
}
