/* Configuration parser: a partition's MMIO and port regions and its console UART (docs/config.md). */
#include "vmm/config_int.h"
#include <keel/errno.h>
#include <keel/string.h>
#include <abi/testdev.h>

const char *const config_handler_names[5] = { "incore", "forward", "posted", "passthrough", "none" };

struct config_incore_dev {
	const char *name;
	u8 space;
	u64 size;
};

/* Keel's own device models; the LAPIC and IOAPIC are implicit and not configured. A name may
 * have one entry per space: the test device's port block reaches the window of its MMIO one. */
static const struct config_incore_dev config_incore_devs[] = {
	{ "testdev", CONFIG_MMIO, KEEL_TESTDEV_SIZE },
	{ "testdev", CONFIG_PIO, KEEL_TESTDEV_PORTS },
	{ "uart", CONFIG_PIO, CONFIG_CONSOLE_SIZE },
};

/* The service VM's device models (include/abi/ring.h). */
static const char *const config_models[] = { "uart16550", "testdev", "silent", "counter" };

static const char *config_space_name(u8 space)
{
	return space == CONFIG_MMIO ? "mmio" : "port I/O";
}

static int config_region_geometry(struct config_ctx *x, struct config_region *r)
{
	const struct config_tok *at = &x->tok[1], *st = &x->tok[2];

	if (config_number(x, at, true, &r->base) || config_number(x, st, true, &r->size))
		return -EINVAL;
	if (!r->size) {
		config_err(x, "size must not be 0");
		return -EINVAL;
	}
	if (r->space == CONFIG_PIO) {
		if (r->base < CONFIG_PORT_LIMIT && r->size <= CONFIG_PORT_LIMIT - r->base)
			return 0;
		config_err(x, "%.*s + %.*s goes past port 0xffff", TOK(at), TOK(st));
		return -EINVAL;
	}
	if (r->base % CONFIG_PAGE || r->size % CONFIG_PAGE) {
		config_err(x, "%s %.*s is not a multiple of 4 KiB",
			   r->base % CONFIG_PAGE ? "address" : "size",
			   TOK(r->base % CONFIG_PAGE ? at : st));
		return -EINVAL;
	}
	if (r->base <= CONFIG_PHYS_LIMIT && r->size <= CONFIG_PHYS_LIMIT - r->base)
		return 0;
	config_err(x, "%.*s + %.*s goes past 256 TiB", TOK(at), TOK(st));
	return -EINVAL;
}

static const struct config_incore_dev *config_incore_find(const struct config_tok *t, u8 space)
{
	const struct config_incore_dev *named = NULL;
	for (u32 i = 0; i < ARRAY_SIZE(config_incore_devs); i++) {
		const struct config_incore_dev *d = &config_incore_devs[i];
		if (!config_tok_is(t, d->name))
			continue;
		if (d->space == space)
			return d;
		named = d;
	}
	return named;
}

static int config_region_incore(struct config_ctx *x, struct config_region *r)
{
	const struct config_tok *t = &x->tok[4];
	const struct config_incore_dev *d = config_incore_find(t, r->space);
	if (!d) {
		config_err(x, "unknown in-core device '%.*s' (testdev or uart)", TOK(t));
		return -EINVAL;
	}
	if (d->space != r->space) {
		config_err(x, "in-core device '%s' is %s, not %s", d->name,
			   config_space_name(d->space), config_space_name(r->space));
		return -EINVAL;
	}
	if (d->size != r->size) {
		config_err(x, "in-core device '%s' takes size 0x%llx, not 0x%llx", d->name,
			   (unsigned long long)d->size, (unsigned long long)r->size);
		return -EINVAL;
	}
	config_copy(r->device, sizeof(r->device), d->name, t->len);
	return 0;
}

static int config_region_model(struct config_ctx *x, struct config_region *r)
{
	const struct config_tok *t = &x->tok[4];
	u64 pin;

	u32 i = 0;
	while (i < ARRAY_SIZE(config_models) && !config_tok_is(t, config_models[i]))
		i++;
	if (i == ARRAY_SIZE(config_models)) {
		config_err(x, "unknown device model '%.*s' (uart16550, testdev, silent or counter)",
			   TOK(t));
		return -EINVAL;
	}
	config_copy(r->device, sizeof(r->device), t->s, t->len);
	if (x->ntok == 5)
		return 0;
	if (config_number(x, &x->tok[6], false, &pin))
		return -EINVAL;
	if (pin > CONFIG_IRQ_MAX) {
		config_err(x, "irq %llu is not in 0-%u", (unsigned long long)pin, CONFIG_IRQ_MAX);
		return -EINVAL;
	}
	r->irq = (u8)pin;
	return 0;
}

static bool config_region_args_ok(const struct config_ctx *x, u8 handler)
{
	switch (handler) {
	case CONFIG_INCORE: return x->ntok == 5;
	case CONFIG_FORWARD:
	case CONFIG_POSTED: return x->ntok == 5 || (x->ntok == 7 && config_tok_is(&x->tok[5], "irq"));
	default: return x->ntok == 4;
	}
}

/* mmio|port ADDR SIZE HANDLER [...] */
void config_key_region(struct config_ctx *x)
{
	struct config_partition *p = x->p;
	struct config_region r = { .line = x->line, .irq = CONFIG_IRQ_NONE };

	r.space = config_tok_is(&x->tok[0], "mmio") ? CONFIG_MMIO : CONFIG_PIO;
	int h = config_choice(x, &x->tok[3], config_handler_names, ARRAY_SIZE(config_handler_names));
	if (h < 0)
		return;
	r.handler = (u8)h;
	if (!config_region_args_ok(x, r.handler)) {
		config_err(x, "usage: %s " CONFIG_REGION_USAGE, x->field);
		return;
	}
	if (config_region_geometry(x, &r))
		return;
	if (r.handler == CONFIG_INCORE && config_region_incore(x, &r))
		return;
	if ((r.handler == CONFIG_FORWARD || r.handler == CONFIG_POSTED) && config_region_model(x, &r))
		return;
	if (p->nregions == CONFIG_REGIONS_MAX) {
		config_err(x, "too many regions (the limit is %u)", CONFIG_REGIONS_MAX);
		return;
	}
	p->region[p->nregions++] = r;
}

void config_console_region(struct config_problems *pr, struct config_partition *p)
{
	bool fwd = p->console == CONFIG_CONSOLE_FORWARD;
	struct config_region r = {
		.base = CONFIG_CONSOLE_PORT,
		.size = CONFIG_CONSOLE_SIZE,
		.line = p->line.console ? p->line.console : p->line.header,
		.space = CONFIG_PIO,
		.handler = fwd ? CONFIG_FORWARD : CONFIG_INCORE,
		.irq = CONFIG_CONSOLE_IRQ,
		.console = true,
	};

	if (p->console == CONFIG_CONSOLE_NONE)
		return;
	if (p->nregions == CONFIG_REGIONS_MAX) {
		config_perr(pr, r.line, p->name, "console",
			    "no room for the console's UART (the limit is %u regions)",
			    CONFIG_REGIONS_MAX);
		return;
	}
	const char *dev = fwd ? "uart16550" : "uart";
	config_copy(r.device, sizeof(r.device), dev, strlen(dev));
	p->region[p->nregions++] = r;
}
