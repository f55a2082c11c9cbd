/* The configuration in normalised form: every default explicit, numbers in one spelling, one
 * key per line. Parsing the output gives back the same configuration. */
#include "vmm/config_int.h"
#include <keel/format.h>

#define X(v) (unsigned long long)(v)

struct config_out {
	config_emit_fn *emit;
	void *ctx;
	char line[2 * CONFIG_LINE_MAX];
};

static void dump_line(struct config_out *o, const char *fmt, ...) __printf(2, 3);
static void dump_line(struct config_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->line, sizeof(o->line), fmt, ap);
	va_end(ap);
	o->emit(o->ctx, o->line);
}

/* 64M, 1G, 8K; anything else in hex. */
static const char *dump_size(char *buf, size_t size, u64 v)
{
	static const struct {
		char suffix;
		int shift;
	} units[] = { { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 } };
	for (u32 i = 0; v && i < ARRAY_SIZE(units); i++) {
		if (v % (1ull << units[i].shift) == 0) {
			snprintf(buf, size, "%llu%c", X(v >> units[i].shift), units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, size, "0x%llx", X(v));
	return buf;
}

/* "0-2,5" */
static const char *dump_cpus(char *buf, size_t size, u64 mask)
{
	size_t n = 0;
	buf[0] = 0;
	for (u32 cpu = 0; cpu < CONFIG_CPUS_MAX && n < size; cpu++) {
		if (!(mask & BIT(cpu)))
			continue;
		u32 last = cpu;
		while (last + 1 < CONFIG_CPUS_MAX && (mask & BIT(last + 1)))
			last++;
		n += (size_t)(last == cpu ? snprintf(buf + n, size - n, "%s%u", n ? "," : "", cpu)
					  : snprintf(buf + n, size - n, "%s%u-%u", n ? "," : "", cpu,
						     last));
		cpu = last;
	}
	return buf;
}

static const char *dump_string(char *buf, size_t size, const char *s)
{
	size_t n = 0;
	for (; *s && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = 0;
	return buf;
}

static void dump_platform(struct config_out *o, const struct keel_config *c)
{
	dump_line(o, "platform");
	if (c->cpus)
		dump_line(o, "  cpus %u", c->cpus);
	if (c->ring)
		dump_line(o, "  ring 0x%llx", X(c->ring_gpa));
	dump_line(o, "  ring-timeout %u", c->ring_timeout_us);
	if (c->ring_vector)
		dump_line(o, "  ring-notify irq %u", c->ring_vector);
	else
		dump_line(o, "  ring-notify poll");
	if (c->console_first_name[0])
		dump_line(o, "  console-first %s", c->console_first_name);
	dump_line(o, "  console-escape ctrl-%c", 'a' + c->console_escape - 1);
}

static void dump_region(struct config_out *o, const struct config_region *r)
{
	const char *space = r->space == CONFIG_MMIO ? "mmio" : "port";
	const char *h = config_handler_names[r->handler];

	if (r->handler == CONFIG_PASSTHROUGH || r->handler == CONFIG_NOTHING)
		dump_line(o, "  %s 0x%llx 0x%llx %s", space, X(r->base), X(r->size), h);
	else if (r->irq != CONFIG_IRQ_NONE)
		dump_line(o, "  %s 0x%llx 0x%llx %s %s irq %u", space, X(r->base), X(r->size), h,
			  r->device, r->irq);
	else
		dump_line(o, "  %s 0x%llx 0x%llx %s %s", space, X(r->base), X(r->size), h, r->device);
}

static void dump_partition(struct config_out *o, const struct config_partition *p)
{
	char a[32], b[CONFIG_ARGS_MAX * 2];

	dump_line(o, "partition %s", p->name);
	dump_line(o, "  kind %s", config_kind_names[p->kind]);
	if (p->cpus)
		dump_line(o, "  cpus %s", dump_cpus(b, sizeof(b), p->cpus));
	if (p->ram_size && p->ram_hpa != CONFIG_HPA_ANY)
		dump_line(o, "  memory %s gpa 0x%llx hpa 0x%llx", dump_size(a, sizeof(a), p->ram_size),
			  X(p->ram_gpa), X(p->ram_hpa));
	else if (p->ram_size)
		dump_line(o, "  memory %s gpa 0x%llx", dump_size(a, sizeof(a), p->ram_size),
			  X(p->ram_gpa));
	if (p->image[0])
		dump_line(o, "  image %s", p->image);
	dump_line(o, "  entry %s", config_entry_names[p->entry]);
	dump_line(o, "  args \"%s\"", dump_string(b, sizeof(b), p->args));
	if (p->initrd[0])
		dump_line(o, "  initrd %s", p->initrd);
	dump_line(o, "  unbacked %s", config_unbacked_names[p->unbacked]);
	dump_line(o, "  console %s", config_console_names[p->console]);
	for (u32 i = 0; i < p->nregions; i++)
		if (!p->region[i].console)
			dump_region(o, &p->region[i]);
}

void config_dump(const struct keel_config *c, config_emit_fn *emit, void *ctx)
{
	static struct config_out out;
	struct config_out *o = &out;

	o->emit = emit;
	o->ctx = ctx;
	dump_line(o, "keel-config 1");
	dump_platform(o, c);
	for (u32 i = 0; i < c->npartitions; i++) {
		dump_line(o, "%s", "");
		dump_partition(o, &c->part[i]);
	}
}
