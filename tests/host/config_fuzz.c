/* libFuzzer target: the configuration parser and validator on arbitrary bytes (not
 * NUL-terminated). Besides ASan/UBSan it checks that every problem is a well-formed line, that
 * the result and the problem list agree, that a valid configuration is within every documented
 * limit, and that its dump loads back to the same configuration. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/config.h>

#define FUZZ_CHECK(cond)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "config_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                   \
		}                                                                  \
	} while (0)

static struct keel_config cfg, cfg2;
static struct config_problems pr, pr2;

struct fuzz_text {
	char buf[4 * CONFIG_BYTES_MAX];
	size_t len;
};
static struct fuzz_text dump1, dump2;

static void fuzz_emit(void *ctx, const char *line)
{
	struct fuzz_text *t = ctx;
	size_t n = strlen(line);
	FUZZ_CHECK(n <= CONFIG_LINE_MAX && t->len + n + 1 <= sizeof(t->buf));
	memcpy(t->buf + t->len, line, n);
	t->buf[t->len + n] = '\n';
	t->len += n + 1;
}

static void fuzz_problems(const struct config_problems *p, int rc, const uint8_t *data, size_t size)
{
	u32 lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	FUZZ_CHECK(p->n <= CONFIG_PROBLEMS_MAX);
	FUZZ_CHECK((rc == 0) == (p->n == 0 && p->dropped == 0));
	FUZZ_CHECK(p->dropped == 0 || p->n == CONFIG_PROBLEMS_MAX);
	for (u32 i = 0; i < p->n; i++) {
		const char *msg = p->p[i].msg;
		FUZZ_CHECK(memchr(msg, 0, CONFIG_MSG_MAX) && msg[0]);
		FUZZ_CHECK(!strchr(msg, '\n'));
		FUZZ_CHECK(p->p[i].line <= lines);
	}
}

static void fuzz_partition(const struct config_partition *p)
{
	FUZZ_CHECK(memchr(p->name, 0, sizeof(p->name)) && p->name[0]);
	FUZZ_CHECK(p->ncpus >= 1 && p->ncpus <= CONFIG_PART_CPUS_MAX);
	FUZZ_CHECK(p->ncpus == (u32)__builtin_popcountll(p->cpus));
	FUZZ_CHECK(p->ram_size && p->ram_size % CONFIG_RAM_ALIGN == 0 && p->ram_gpa % CONFIG_RAM_ALIGN == 0);
	FUZZ_CHECK(p->ram_gpa + p->ram_size <= CONFIG_PHYS_LIMIT);
	FUZZ_CHECK(p->ram_hpa == CONFIG_HPA_ANY || p->ram_hpa + p->ram_size <= CONFIG_PHYS_LIMIT);
	FUZZ_CHECK(p->image[0] && memchr(p->image, 0, sizeof(p->image)));
	FUZZ_CHECK(!p->initrd[0] || p->entry == CONFIG_ENTRY_LINUX);
	FUZZ_CHECK(memchr(p->args, 0, sizeof(p->args)));
	FUZZ_CHECK(p->kind <= CONFIG_SERVICE && p->entry <= CONFIG_ENTRY_LINUX);
	FUZZ_CHECK(p->unbacked <= CONFIG_UNBACKED_STOP && p->console <= CONFIG_CONSOLE_NONE);
	FUZZ_CHECK(p->nregions <= CONFIG_REGIONS_MAX);
	for (u32 i = 0; i < p->nregions; i++) {
		const struct config_region *r = &p->region[i];
		u64 limit = r->space == CONFIG_PIO ? CONFIG_PORT_LIMIT : CONFIG_PHYS_LIMIT;
		FUZZ_CHECK(r->size && r->base + r->size <= limit && r->handler <= CONFIG_NOTHING);
		FUZZ_CHECK(r->irq == CONFIG_IRQ_NONE || r->irq <= CONFIG_IRQ_MAX);
		FUZZ_CHECK(memchr(r->device, 0, sizeof(r->device)));
		for (u32 j = 0; j < i; j++)
			FUZZ_CHECK(p->region[j].space != r->space || p->region[j].base >= r->base + r->size ||
				   r->base >= p->region[j].base + p->region[j].size);
	}
}

static void fuzz_strip_lines(struct keel_config *c)
{
	memset(&c->line, 0, sizeof(c->line));
	for (u32 i = 0; i < CONFIG_PARTITIONS_MAX; i++) {
		memset(&c->part[i].line, 0, sizeof(c->part[i].line));
		for (u32 j = 0; j < CONFIG_REGIONS_MAX; j++)
			c->part[i].region[j].line = 0;
	}
}

static void fuzz_valid(const struct config_machine *m)
{
	u64 cpus = 0;
	FUZZ_CHECK(cfg.npartitions >= 1 && cfg.npartitions <= CONFIG_PARTITIONS_MAX);
	FUZZ_CHECK(cfg.service == CONFIG_NONE || cfg.service < cfg.npartitions);
	FUZZ_CHECK(cfg.console_first == CONFIG_NONE || cfg.console_first < cfg.npartitions);
	FUZZ_CHECK(cfg.ring == (cfg.service != CONFIG_NONE));
	for (u32 i = 0; i < cfg.npartitions; i++) {
		fuzz_partition(&cfg.part[i]);
		FUZZ_CHECK(!(cpus & cfg.part[i].cpus));
		cpus |= cfg.part[i].cpus;
	}
	FUZZ_CHECK(!m->ncpus || cpus >> m->ncpus == 0);

	dump1.len = dump2.len = 0;
	config_dump(&cfg, fuzz_emit, &dump1);
	FUZZ_CHECK(config_load(&cfg2, &pr2, dump1.buf, dump1.len, m) == 0);
	config_dump(&cfg2, fuzz_emit, &dump2);
	FUZZ_CHECK(dump1.len == dump2.len && !memcmp(dump1.buf, dump2.buf, dump1.len));
	fuzz_strip_lines(&cfg);
	fuzz_strip_lines(&cfg2);
	FUZZ_CHECK(!memcmp(&cfg, &cfg2, sizeof(cfg)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = { "g", "s", "service.elf", "guest.elf", "bzImage",
					       "initramfs.cpio.gz", "rd" };
	static const struct config_range reserved[] = {
		{ 0x100000, 0x200000, CONFIG_MMIO, "Keel's image" },
		{ CONFIG_CONSOLE_PORT, CONFIG_CONSOLE_SIZE, CONFIG_PIO, "Keel's console UART" },
	};
	/* A PC's memory map: RAM below the EBDA, from 1 MiB to 3 GiB and above 4 GiB. */
	static const struct config_range ram[] = {
		{ 0x100000, 0xbff00000, CONFIG_MMIO, "RAM" },
		{ 0, 0x9fc00, CONFIG_MMIO, "RAM" },
		{ 0x100000000ull, 0x40000000, CONFIG_MMIO, "RAM" },
	};
	const struct config_machine m = { 8, modules, 7, reserved, 2, ram, 3 };

	int rc = config_load(&cfg, &pr, data, size, NULL);
	fuzz_problems(&pr, rc, data, size);
	rc = config_load(&cfg, &pr, data, size, &m);
	fuzz_problems(&pr, rc, data, size);
	if (rc == 0)
		fuzz_valid(&m);
	return 0;
}
