/* Host test of the configuration parser: the parsed fields, the normalised dump and the size
 * limits, against values worked out by hand from docs/config.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/config_test.h"

void test_verdict(bool ok, const char *name, const char *detail);
bool test_round_trip(struct keel_config *c, const struct config_machine *m, char *why, size_t whylen);

static struct keel_config c;
static struct config_problems pr;
static char why[256];
static bool ok;

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (ok && !(cond)) {                                              \
			snprintf(why, sizeof(why), "line %d: %s", __LINE__, #cond); \
			ok = false;                                               \
		}                                                                 \
	} while (0)

static const char fields_text[] =
	HDR
	"platform\n"
	"  cpus 5\n"
	"  ring 0xf0000000\n"
	"  ring-timeout 2500\n"
	"  ring-notify irq 0xf0\n"
	"  console-escape ctrl-a\n"
	"partition svc\n"
	"  kind service\n"
	"  cpus 0\n"
	"  memory 64M\n"
	"  image service.elf\n"
	"  args \"loglevel=info \\\"quoted\\\" back\\\\slash\"\n"
	"partition alpha\n"
	"  cpus 3,1-2\n"
	"  memory 1G hpa 0x80000000\n"
	"  image guest.elf\n"
	"  entry prot32\n"
	"  unbacked stop\n"
	"  console forward\n"
	"  mmio 0xfeb00000 12K incore testdev\n"
	"  port 0x2f8 8 posted uart16550 irq 3\n"
	"  port 0x61 1 passthrough\n"
	"partition lx\n"
	"  cpus 4\n"
	"  memory 256M gpa 2M\n"
	"  image bzImage\n"
	"  entry linux\n"
	"  initrd initrd.gz\n"
	"  console none\n"
	"  mmio 0xfed00000 0x1000 none\n";

static bool region_is(const struct config_region *r, u64 base, u64 size, u8 space, u8 handler, u8 irq,
		      bool console, const char *device)
{
	return r->base == base && r->size == size && r->space == space && r->handler == handler &&
	       r->irq == irq && r->console == console && !strcmp(r->device, device);
}

static void test_fields_platform(void)
{
	CHECK(c.cpus == 5);
	CHECK(c.ring && c.ring_gpa == 0xf0000000ull);
	CHECK(c.ring_timeout_us == 2500);
	CHECK(c.ring_vector == 0xf0);
	CHECK(c.console_escape == 0x01);
	CHECK(c.npartitions == 3);
	CHECK(c.service == 0);
	CHECK(c.console_first == 0 && !strcmp(c.console_first_name, "svc"));
}

static void test_fields_partitions(void)
{
	const struct config_partition *s = &c.part[0], *a = &c.part[1], *l = &c.part[2];

	CHECK(!strcmp(s->name, "svc") && s->kind == CONFIG_SERVICE && s->cpus == 0x1 && s->ncpus == 1);
	CHECK(s->ram_size == 0x4000000 && s->ram_gpa == 0 && s->ram_hpa == CONFIG_HPA_ANY);
	CHECK(!strcmp(s->image, "service.elf") && s->entry == CONFIG_ENTRY_LONG64 && !s->initrd[0]);
	CHECK(!strcmp(s->args, "loglevel=info \"quoted\" back\\slash"));
	CHECK(s->unbacked == CONFIG_UNBACKED_ONES && s->console == CONFIG_CONSOLE_INCORE && s->nregions == 1);
	CHECK(region_is(&s->region[0], 0x3f8, 8, CONFIG_PIO, CONFIG_INCORE, CONFIG_CONSOLE_IRQ, true, "uart"));
	CHECK(s->line.header == 8 && s->line.args == 13 && s->region[0].line == 8);

	CHECK(!strcmp(a->name, "alpha") && a->kind == CONFIG_GUEST && a->cpus == 0xe && a->ncpus == 3);
	CHECK(a->ram_size == 0x40000000 && a->ram_gpa == 0 && a->ram_hpa == 0x80000000ull);
	CHECK(a->entry == CONFIG_ENTRY_PROT32 && a->unbacked == CONFIG_UNBACKED_STOP && !a->args[0]);
	CHECK(a->console == CONFIG_CONSOLE_FORWARD && a->nregions == 4);
	CHECK(region_is(&a->region[0], 0xfeb00000, 0x3000, CONFIG_MMIO, CONFIG_INCORE, CONFIG_IRQ_NONE, false, "testdev"));
	CHECK(region_is(&a->region[1], 0x2f8, 8, CONFIG_PIO, CONFIG_POSTED, 3, false, "uart16550"));
	CHECK(region_is(&a->region[2], 0x61, 1, CONFIG_PIO, CONFIG_PASSTHROUGH, CONFIG_IRQ_NONE, false, ""));
	CHECK(region_is(&a->region[3], 0x3f8, 8, CONFIG_PIO, CONFIG_FORWARD, 4, true, "uart16550"));
	CHECK(a->region[0].line == 21 && a->region[3].line == 20);

	CHECK(!strcmp(l->name, "lx") && l->cpus == 0x10 && l->ram_size == 0x10000000 && l->ram_gpa == 0x200000);
	CHECK(l->entry == CONFIG_ENTRY_LINUX && !strcmp(l->initrd, "initrd.gz") && !strcmp(l->image, "bzImage"));
	CHECK(l->console == CONFIG_CONSOLE_NONE && l->nregions == 1);
	CHECK(region_is(&l->region[0], 0xfed00000, 0x1000, CONFIG_MMIO, CONFIG_NOTHING, CONFIG_IRQ_NONE, false, ""));
}

static void test_fields_defaults(void)
{
	static const char text[] = HDR PART("only", "7");
	ok = config_load(&c, &pr, text, sizeof(text) - 1, NULL) == 0;
	CHECK(c.cpus == 0 && !c.ring && c.ring_timeout_us == 10000 && c.ring_vector == 0);
	CHECK(c.console_escape == 0x14 && c.console_first == 0 && c.service == CONFIG_NONE);
	const struct config_partition *p = &c.part[0];
	CHECK(p->kind == CONFIG_GUEST && p->entry == CONFIG_ENTRY_LONG64 && p->unbacked == CONFIG_UNBACKED_ONES);
	CHECK(p->console == CONFIG_CONSOLE_INCORE && p->ram_hpa == CONFIG_HPA_ANY && p->ram_size == 2ull << 20);
	CHECK(p->cpus == 0x80 && p->ncpus == 1 && !p->args[0] && !p->initrd[0] && p->nregions == 1);
	test_verdict(ok, "fields/defaults", ok ? "" : why);
}

void test_config_fields(void)
{
	static const char *const mods[] = { "bzImage", "guest.elf", "initrd.gz", "service.elf" };
	struct config_machine m = { .ncpus = 5, .modules = mods, .nmodules = 4 };

	ok = config_load(&c, &pr, fields_text, sizeof(fields_text) - 1, &m) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "line %u: %s", pr.p[0].line, pr.p[0].msg);
	test_fields_platform();
	test_verdict(ok, "fields/platform", ok ? "" : why);
	ok = true;
	test_fields_partitions();
	test_verdict(ok, "fields/partitions", ok ? "" : why);
	ok = test_round_trip(&c, &m, why, sizeof(why));
	test_verdict(ok, "fields/round-trip", ok ? "" : why);
	test_fields_defaults();
}

struct dump_text {
	char buf[4096];
	size_t len;
};

static void dump_emit(void *ctx, const char *line)
{
	struct dump_text *t = ctx;
	t->len += (size_t)snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", line);
}

static void test_dump_one(const char *name, const char *text, const char *want)
{
	static struct dump_text out;
	out.len = 0;
	ok = config_load(&c, &pr, text, strlen(text), NULL) == 0;
	if (ok)
		config_dump(&c, dump_emit, &out);
	bool same = ok && out.len == strlen(want) && !memcmp(out.buf, want, out.len);
	test_verdict(same, name, same ? "" : ok ? "the dump differs from the expected text" : pr.p[0].msg);
}

void test_config_dump(void)
{
	test_dump_one("dump/minimal", HDR "partition a\n  cpus 2,0\n  memory 0x400000\n  image g\n  port 0x80 1 none\n",
		      "keel-config 1\nplatform\n  ring-timeout 10000\n  ring-notify poll\n  console-first a\n"
		      "  console-escape ctrl-t\n\npartition a\n  kind guest\n  cpus 0,2\n  memory 4M gpa 0x0\n"
		      "  image g\n  entry long64\n  args \"\"\n  unbacked ones\n  console incore\n  port 0x80 0x1 none\n");
	test_dump_one("dump/everything", HDR "platform\n  ring 4026531840\n  ring-notify irq 40\n  cpus 8\n"
		      "  console-first b\npartition s\n  kind service\n  cpus 7\n  memory 1024M\n  image s\n"
		      "partition b\n  cpus 3,1,2,5\n  memory 6M hpa 1G\n  image g\n  args \"a \\\"b\\\" \\\\\"\n"
		      "  console forward\n  mmio 4G 0x2000 forward testdev irq 9\n",
		      "keel-config 1\nplatform\n  cpus 8\n  ring 0xf0000000\n  ring-timeout 10000\n  ring-notify irq 40\n"
		      "  console-first b\n  console-escape ctrl-t\n\npartition s\n  kind service\n  cpus 7\n"
		      "  memory 1G gpa 0x0\n  image s\n  entry long64\n  args \"\"\n  unbacked ones\n  console incore\n"
		      "\npartition b\n  kind guest\n  cpus 1-3,5\n  memory 6M gpa 0x0 hpa 0x40000000\n  image g\n"
		      "  entry long64\n  args \"a \\\"b\\\" \\\\\"\n  unbacked ones\n  console forward\n"
		      "  mmio 0x100000000 0x2000 forward testdev irq 9\n");
}

/* A valid configuration padded with comment lines to exactly `len` bytes. */
static char *test_padded(size_t len)
{
	static const char head[] = HDR PART("a", "0");
	char *t = malloc(len);
	size_t n = sizeof(head) - 1;

	memcpy(t, head, n);
	while (n < len) {
		size_t line = len - n > 100 ? 100 : len - n;
		memset(t + n, 'x', line);
		t[n] = '#';
		t[n + line - 1] = '\n';
		n += line;
	}
	return t;
}

void test_config_limits(void)
{
	char *t = test_padded(CONFIG_BYTES_MAX);
	ok = config_load(&c, &pr, t, CONFIG_BYTES_MAX, NULL) == 0;
	test_verdict(ok, "limits/file-65536-ok", ok ? "" : pr.p[0].msg);
	free(t);

	t = test_padded(CONFIG_BYTES_MAX + 1);
	ok = config_load(&c, &pr, t, CONFIG_BYTES_MAX + 1, NULL) != 0 && pr.n == 1 && pr.p[0].line == 0 &&
	     !strcmp(pr.p[0].msg, "the file is 65537 bytes; the limit is 65536");
	test_verdict(ok, "limits/file-65537", ok ? "" : "not the one expected problem");
	free(t);

	static char many[2048] = HDR PART("a", "0");
	for (int i = 0; i < 40; i++)
		strcat(many, "  colour red\n");
	ok = config_load(&c, &pr, many, strlen(many), NULL) != 0 && pr.n == CONFIG_PROBLEMS_MAX && pr.dropped == 8 &&
	     pr.p[0].line == 6 && pr.p[31].line == 37 && !strcmp(pr.p[31].msg, "partition 'a': unknown key 'colour'");
	test_verdict(ok, "limits/problems-32-shown-8-counted", ok ? "" : "wrong problem list");
}
