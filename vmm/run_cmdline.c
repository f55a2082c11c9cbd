/* Keel's command-line mode (`guest=NAME guest_mode=... guest_mem=...`, no configuration): one
 * guest partition per online CPU, guest<i> on CPU i, each running the module NAME with the
 * in-core test device at KEEL_TESTDEV_GPA and an in-core console. Written as the configuration
 * it stands for, so both modes make partitions the same way (docs/partitions.md). */
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/format.h>
#include <keel/loader.h>
#include <keel/string.h>
#include <abi/testdev.h>

static void cmdline_partition(struct config_partition *p, unsigned cpu, const struct bi_module *m)
{
	const struct keel_opts *o = boot_opts();
	enum keel_entry_mode mode = KEEL_ENTRY_LONG64;
	loader_mode_parse(o->guest_mode, &mode);
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "guest%u", cpu);
	p->kind = CONFIG_GUEST;
	p->entry = (u8)mode;
	p->unbacked = CONFIG_UNBACKED_ONES;
	p->console = CONFIG_CONSOLE_INCORE;
	p->cpus = 1ull << cpu;
	p->ncpus = 1;
	p->ram_size = (u64)o->guest_mem_mib << 20;
	p->ram_hpa = CONFIG_HPA_ANY;
	strlcpy(p->image, m->name, sizeof(p->image));
	strlcpy(p->args, m->args, sizeof(p->args));
	p->region[0] = (struct config_region){ .base = KEEL_TESTDEV_GPA, .size = KEEL_TESTDEV_SIZE,
					       .space = CONFIG_MMIO, .handler = CONFIG_INCORE,
					       .irq = CONFIG_IRQ_NONE, .device = "testdev" };
	p->region[1] = (struct config_region){ .base = CONFIG_CONSOLE_PORT, .size = CONFIG_CONSOLE_SIZE,
					       .space = CONFIG_PIO, .handler = CONFIG_INCORE,
					       .irq = CONFIG_IRQ_NONE, .console = true, .device = "uart" };
	p->nregions = 2;
}

void cmdline_config(struct keel_config *c, unsigned ncpu, const struct bi_module *m)
{
	memset(c, 0, sizeof(*c));
	c->ring_timeout_us = CONFIG_TIMEOUT_DEFAULT;
	c->console_escape = CONFIG_ESCAPE_DEFAULT;
	c->service = CONFIG_NONE;
	c->console_first = 0;
	c->npartitions = MIN(ncpu, CONFIG_PARTITIONS_MAX);
	for (unsigned i = 0; i < c->npartitions; i++)
		cmdline_partition(&c->part[i], i, m);
}
