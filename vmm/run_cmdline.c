/* Keel's command-line mode (`guest=NAME guest_mode=... guest_mem=... guest_vcpus=N`, no
 * configuration): guest partitions of N vCPUs on consecutive online CPUs (guest<i> on CPUs
 * i*N..i*N+N-1; CPUs left over stay idle), each running the module NAME with the in-core test
 * device at KEEL_TESTDEV_GPA, its port block and an in-core console. Written as the
 * configuration it stands for, so both modes make partitions the same way (docs/partitions.md). */
#include <keel/boot.h>
#include <keel/config.h>
#include <keel/format.h>
#include <keel/loader.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <abi/testdev.h>

static void cmdline_partition(struct config_partition *p, unsigned index, unsigned per,
			      const struct bi_module *m)
{
	const struct keel_opts *o = boot_opts();
	enum keel_entry_mode mode = KEEL_ENTRY_LONG64;
	loader_mode_parse(o->guest_mode, &mode);
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "guest%u", index);
	p->kind = CONFIG_GUEST;
	p->entry = (u8)mode;
	p->unbacked = CONFIG_UNBACKED_ONES;
	p->console = CONFIG_CONSOLE_INCORE;
	p->cpus = ((1ull << per) - 1) << (index * per);
	p->ncpus = per;
	p->ram_size = (u64)o->guest_mem_mib << 20;
	p->ram_hpa = CONFIG_HPA_ANY;
	strlcpy(p->image, m->name, sizeof(p->image));
	strlcpy(p->args, m->args, sizeof(p->args));
	p->region[0] = (struct config_region){ .base = KEEL_TESTDEV_GPA, .size = KEEL_TESTDEV_SIZE,
					       .space = CONFIG_MMIO, .handler = CONFIG_INCORE,
					       .irq = CONFIG_IRQ_NONE, .device = "testdev" };
	p->region[1] = (struct config_region){ .base = KEEL_TESTDEV_PORT, .size = KEEL_TESTDEV_PORTS,
					       .space = CONFIG_PIO, .handler = CONFIG_INCORE,
					       .irq = CONFIG_IRQ_NONE, .device = "testdev" };
	p->region[2] = (struct config_region){ .base = CONFIG_CONSOLE_PORT, .size = CONFIG_CONSOLE_SIZE,
					       .space = CONFIG_PIO, .handler = CONFIG_INCORE,
					       .irq = CONFIG_IRQ_NONE, .console = true, .device = "uart" };
	p->nregions = 3;
}

void cmdline_config(struct keel_config *c, unsigned ncpu, const struct bi_module *m)
{
	memset(c, 0, sizeof(*c));
	c->ring_timeout_us = CONFIG_TIMEOUT_DEFAULT;
	c->console_escape = CONFIG_ESCAPE_DEFAULT;
	c->service = CONFIG_NONE;
	c->console_first = 0;
	unsigned per = boot_opts()->guest_vcpus;
	c->npartitions = MIN(ncpu / per, CONFIG_PARTITIONS_MAX);
	if (!c->npartitions)
		pr_err("guest_vcpus=%u needs %u CPUs; %u are online", per, per, ncpu);
	else if (ncpu % per)
		pr_warn("guest_vcpus=%u: %u CPUs stay idle", per, ncpu % per);
	for (unsigned i = 0; i < c->npartitions; i++)
		cmdline_partition(&c->part[i], i, per, m);
}
