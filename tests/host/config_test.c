/* Host test of the configuration parser and validator (docs/config.md). Runs the case tables,
 * each text placed flush against an inaccessible page (the module is not NUL-terminated: a read
 * past its end faults), compares the problems with the hand-written ones, and for every valid
 * case checks that the dump parses back to the same configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tests/host/config_test.h"

static unsigned failures;
static struct keel_config cfg, cfg2;
static struct config_problems probs, probs2;

void test_verdict(bool ok, const char *name, const char *detail);
void test_verdict(bool ok, const char *name, const char *detail)
{
	printf("VERDICT %s config/%s%s%s\n", ok ? "PASS" : "FAIL", name, detail[0] ? " " : "", detail);
	failures += !ok;
}

/* `len` bytes of `text` ending exactly where an inaccessible page starts. */
static const void *test_guarded(const void *text, size_t len)
{
	static unsigned char *area;
	static size_t area_len;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t need = (len + page - 1) / page * page + page;

	if (area)
		munmap(area, area_len);
	area = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || mprotect(area + need - page, page, PROT_NONE)) {
		perror("config_test: mmap");
		exit(2);
	}
	area_len = need;
	unsigned char *p = area + need - page - len;
	memcpy(p, text, len);
	return p;
}

/* "BASE+SIZE,..." (hexadecimal) into ranges; the table is the test's own, so it is well-formed. */
static void test_ram(struct config_machine *m, const char *list)
{
	static struct config_range ram[8];
	const char *s = list;

	m->ram = ram;
	m->nram = 0;
	while (*s && m->nram < 8) {
		char *end;
		u64 base = strtoull(s, &end, 16), size = strtoull(end + 1, &end, 16);
		ram[m->nram++] = (struct config_range){ base, size, CONFIG_MMIO, "RAM" };
		s = *end ? end + 1 : end;
	}
}

static struct config_machine test_machine(unsigned ncpus, const char *modules, const char *ram)
{
	static const struct config_range reserved[] = {
		{ TEST_KEEL_BASE, TEST_KEEL_SIZE, CONFIG_MMIO, "Keel's image" },
		{ CONFIG_CONSOLE_PORT, CONFIG_CONSOLE_SIZE, CONFIG_PIO, "Keel's console UART" },
	};
	static char buf[256];
	static const char *names[16];
	struct config_machine m = { .ncpus = ncpus, .reserved = reserved, .nreserved = 2 };

	if (modules) {
		snprintf(buf, sizeof(buf), "%s", modules);
		m.modules = names;
		for (char *save = NULL, *s = strtok_r(buf, ",", &save); s && m.nmodules < 16;
		     s = strtok_r(NULL, ",", &save))
			names[m.nmodules++] = s;
	}
	if (ram)
		test_ram(&m, ram);
	return m;
}

struct test_text {
	char buf[CONFIG_BYTES_MAX];
	size_t len;
};

static void test_emit(void *ctx, const char *line)
{
	struct test_text *t = ctx;
	int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s\n", line);
	t->len += (size_t)n;
	if (t->len >= sizeof(t->buf)) {
		fprintf(stderr, "config_test: dump larger than %zu bytes\n", sizeof(t->buf));
		exit(2);
	}
}

/* Line numbers differ between a file and its dump; everything else must match. */
static void test_strip_lines(struct keel_config *c)
{
	memset(&c->line, 0, sizeof(c->line));
	for (u32 i = 0; i < CONFIG_PARTITIONS_MAX; i++) {
		memset(&c->part[i].line, 0, sizeof(c->part[i].line));
		for (u32 j = 0; j < CONFIG_REGIONS_MAX; j++)
			c->part[i].region[j].line = 0;
	}
}

/* dump(c) parses and validates to c again, and dumping that gives the same text. */
bool test_round_trip(struct keel_config *c, const struct config_machine *m, char *why, size_t whylen);
bool test_round_trip(struct keel_config *c, const struct config_machine *m, char *why, size_t whylen)
{
	static struct test_text a, b;

	a.len = b.len = 0;
	config_dump(c, test_emit, &a);
	if (config_load(&cfg2, &probs2, test_guarded(a.buf, a.len), a.len, m)) {
		snprintf(why, whylen, "the dump does not load: line %u: %s", probs2.p[0].line, probs2.p[0].msg);
		return false;
	}
	config_dump(&cfg2, test_emit, &b);
	test_strip_lines(c);
	test_strip_lines(&cfg2);
	if (memcmp(c, &cfg2, sizeof(cfg2))) {
		snprintf(why, whylen, "the dump loads to a different configuration");
		return false;
	}
	if (a.len != b.len || memcmp(a.buf, b.buf, a.len)) {
		snprintf(why, whylen, "dumping the dump gives other text");
		return false;
	}
	return true;
}

static bool test_expected(const struct config_case *k, char *why, size_t whylen)
{
	bool used[CONFIG_PROBLEMS_MAX] = { false };
	char got[CONFIG_MSG_MAX + 16];
	unsigned nexp = 0;

	for (; nexp < 12 && k->expect[nexp]; nexp++) {
		unsigned i = 0;
		for (; i < probs.n; i++) {
			snprintf(got, sizeof(got), "%u: %s", probs.p[i].line, probs.p[i].msg);
			if (!used[i] && !strcmp(got, k->expect[nexp]))
				break;
		}
		if (i == probs.n) {
			snprintf(why, whylen, "missing \"%s\"", k->expect[nexp]);
			return false;
		}
		used[i] = true;
	}
	for (unsigned i = 0; i < probs.n; i++) {
		if (!used[i]) {
			snprintf(why, whylen, "unexpected \"%u: %s\"", probs.p[i].line, probs.p[i].msg);
			return false;
		}
	}
	if (probs.dropped) {
		snprintf(why, whylen, "%u problems dropped", probs.dropped);
		return false;
	}
	return true;
}

static void test_case(const char *group, const struct config_case *k, const char *ram)
{
	char name[128], why[512] = "";
	size_t len = k->len ? k->len : strlen(k->text);
	struct config_machine m = test_machine(k->ncpus, k->modules, ram);

	snprintf(name, sizeof(name), "%s/%s", group, k->name);
	int rc = config_load(&cfg, &probs, test_guarded(k->text, len), len, &m);
	bool ok = test_expected(k, why, sizeof(why));
	if (ok && (rc != 0) != (k->expect[0] != NULL)) {
		snprintf(why, sizeof(why), "config_load returned %d", rc);
		ok = false;
	}
	if (ok && rc == 0)
		ok = test_round_trip(&cfg, &m, why, sizeof(why));
	test_verdict(ok, name, why);
}

void test_config_fields(void);
void test_config_dump(void);
void test_config_limits(void);

int main(void)
{
	for (unsigned i = 0; i < config_cases_syntax_n; i++)
		test_case("syntax", &config_cases_syntax[i], NULL);
	for (unsigned i = 0; i < config_cases_keys_n; i++)
		test_case("keys", &config_cases_keys[i], NULL);
	for (unsigned i = 0; i < config_cases_check_n; i++)
		test_case("check", &config_cases_check[i], NULL);
	for (unsigned i = 0; i < config_cases_ram_n; i++)
		test_case("ram", &config_cases_ram[i].k, config_cases_ram[i].ram);
	test_config_fields();
	test_config_dump();
	test_config_limits();
	return failures ? 1 : 0;
}
