/* Configuration validator against the machine: CPUs, modules, host-physical placements and
 * passthrough ranges (docs/config.md lists every message). */
#include "vmm/config_int.h"
#include <keel/string.h>

#define X(v) (unsigned long long)(v)

void config_valid_cpus(const struct keel_config *c, struct config_problems *pr,
		       const struct config_machine *m)
{
	u32 have = m && m->ncpus ? m->ncpus : c->cpus;
	u32 owner[CONFIG_CPUS_MAX];
	u64 used = 0;

	if (c->cpus && m && m->ncpus && m->ncpus != c->cpus)
		config_perr(pr, c->line.cpus, NULL, "cpus", "the machine has %u CPUs, not %u", m->ncpus,
			    c->cpus);
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		for (u32 cpu = 0; cpu < CONFIG_CPUS_MAX; cpu++) {
			if (!(p->cpus & BIT(cpu)))
				continue;
			if (used & BIT(cpu)) {
				const struct config_partition *o = &c->part[owner[cpu]];
				config_perr(pr, p->line.cpus, p->name, "cpus",
					    "CPU %u is already used by partition '%s' (line %u)", cpu,
					    o->name, o->line.cpus);
				continue;
			}
			if (have && cpu >= have)
				config_perr(pr, p->line.cpus, p->name, "cpus",
					    "CPU %u is not on this machine (it has %u CPUs)", cpu,
					    have);
			used |= BIT(cpu);
			owner[cpu] = i;
		}
	}
}

static bool config_module_loaded(const struct config_machine *m, const char *name)
{
	for (u32 i = 0; i < m->nmodules; i++)
		if (m->modules[i] && !strcmp(m->modules[i], name))
			return true;
	return false;
}

void config_valid_modules(const struct keel_config *c, struct config_problems *pr,
			  const struct config_machine *m)
{
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *p = &c->part[i];
		if (m && m->modules && p->image[0] && !config_module_loaded(m, p->image))
			config_perr(pr, p->line.image, p->name, "image", "no module named '%s'",
				    p->image);
		if (m && m->modules && p->initrd[0] && !config_module_loaded(m, p->initrd))
			config_perr(pr, p->line.initrd, p->name, "initrd", "no module named '%s'",
				    p->initrd);
		for (u32 j = 0; p->initrd[0] && j < c->npartitions; j++) {
			const struct config_partition *q = &c->part[j];
			if (!strcmp(q->image, p->initrd))
				config_perr(pr, p->line.initrd, p->name, "initrd",
					    "module '%s' is the image of partition '%s' (line %u)",
					    p->initrd, q->name, q->line.image);
		}
	}
}

static bool config_placed(const struct config_partition *p)
{
	return p->ram_size && p->ram_hpa != CONFIG_HPA_ANY;
}

/* A host range (RAM placement or passthrough) against what the machine reserves. */
static void config_valid_reserved(struct config_problems *pr, const struct config_machine *m, u32 line,
				  const struct config_partition *p, const char *field, const char *what,
				  u8 space, u64 base, u64 size)
{
	for (u32 i = 0; m && m->reserved && i < m->nreserved; i++) {
		const struct config_range *r = &m->reserved[i];
		if (r->space == space && config_overlap(base, size, r->base, r->size))
			config_perr(pr, line, p->name, field,
				    "%s 0x%llx+0x%llx overlaps %s 0x%llx+0x%llx", what, X(base),
				    X(size), r->what ? r->what : "a reserved range", X(r->base),
				    X(r->size));
	}
}

/* Whether [base, base + size) lies in RAM of the memory map (ranges may abut in any order). */
static bool config_in_ram(const struct config_machine *m, u64 base, u64 size)
{
	u64 at = base, end = base + size;

	while (at < end) {
		u32 i = 0;
		while (i < m->nram && !(m->ram[i].base <= at && at - m->ram[i].base < m->ram[i].size))
			i++;
		u64 next = i < m->nram ? m->ram[i].base + m->ram[i].size : at;
		if (next <= at)
			return false; /* no range holds `at`, or one wraps around: never loop */
		at = next;
	}
	return true;
}

static const struct config_range *config_ram_hit(const struct config_machine *m, u64 base, u64 size)
{
	for (u32 i = 0; m && m->ram && i < m->nram; i++)
		if (config_overlap(base, size, m->ram[i].base, m->ram[i].size))
			return &m->ram[i];
	return NULL;
}

static void config_valid_ram_hpa(const struct keel_config *c, struct config_problems *pr,
				 const struct config_machine *m, u32 j)
{
	const struct config_partition *p = &c->part[j];

	if (!config_placed(p))
		return;
	for (u32 i = 0; i < j; i++) {
		const struct config_partition *q = &c->part[i];
		if (config_placed(q) &&
		    config_overlap(p->ram_hpa, p->ram_size, q->ram_hpa, q->ram_size))
			config_perr(pr, p->line.memory, p->name, "memory",
				    "hpa 0x%llx+0x%llx overlaps the RAM of partition '%s' (line %u)",
				    X(p->ram_hpa), X(p->ram_size), q->name, q->line.memory);
	}
	config_valid_reserved(pr, m, p->line.memory, p, "memory", "hpa", CONFIG_MMIO, p->ram_hpa,
			      p->ram_size);
	if (m && m->ram && !config_in_ram(m, p->ram_hpa, p->ram_size))
		config_perr(pr, p->line.memory, p->name, "memory",
			    "hpa 0x%llx+0x%llx is not all RAM in the machine's memory map",
			    X(p->ram_hpa), X(p->ram_size));
}

/* Passthrough region r of partition j: identity-mapped MMIO or open ports. */
static void config_valid_passthrough(const struct keel_config *c, struct config_problems *pr,
				     const struct config_machine *m, u32 j,
				     const struct config_region *r)
{
	const struct config_partition *p = &c->part[j];
	const char *field = config_region_field(r);

	config_valid_reserved(pr, m, r->line, p, field, "passthrough", r->space, r->base, r->size);
	const struct config_range *ram = r->space == CONFIG_MMIO ? config_ram_hit(m, r->base, r->size) : NULL;
	if (ram)
		config_perr(pr, r->line, p->name, field,
			    "passthrough 0x%llx+0x%llx overlaps RAM 0x%llx+0x%llx of the machine's memory map",
			    X(r->base), X(r->size), X(ram->base), X(ram->size));
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct config_partition *q = &c->part[i];
		if (r->space == CONFIG_MMIO && config_placed(q) &&
		    config_overlap(r->base, r->size, q->ram_hpa, q->ram_size))
			config_perr(pr, r->line, p->name, field,
				    "passthrough 0x%llx+0x%llx overlaps the RAM of partition '%s' (line %u)",
				    X(r->base), X(r->size), q->name, q->line.memory);
		for (u32 k = 0; i < j && k < q->nregions; k++) {
			const struct config_region *o = &q->region[k];
			if (o->handler == CONFIG_PASSTHROUGH && o->space == r->space &&
			    config_overlap(r->base, r->size, o->base, o->size))
				config_perr(pr, r->line, p->name, field,
					    "passthrough 0x%llx+0x%llx is also passed through to partition '%s' (line %u)",
					    X(r->base), X(r->size), q->name, o->line);
		}
	}
}

void config_valid_host(const struct keel_config *c, struct config_problems *pr,
		       const struct config_machine *m)
{
	for (u32 j = 0; j < c->npartitions; j++) {
		const struct config_partition *p = &c->part[j];
		config_valid_ram_hpa(c, pr, m, j);
		for (u32 k = 0; k < p->nregions; k++)
			if (p->region[k].handler == CONFIG_PASSTHROUGH)
				config_valid_passthrough(c, pr, m, j, &p->region[k]);
	}
}
