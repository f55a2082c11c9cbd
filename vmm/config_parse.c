/* Configuration parser: lines, blocks and the key table (docs/config.md). */
#include "vmm/config_int.h"
#include <keel/errno.h>
#include <keel/string.h>

#define CONFIG_HEADER "keel-config 1"

struct config_key {
	const char *name;
	u8 sec;          /* enum config_sec */
	u8 min, max;     /* arguments */
	bool string;     /* the one argument is a quoted string; otherwise none may be */
	u16 line_off;    /* offset of the key's line field in its block; 0 = repeatable */
	void (*fn)(struct config_ctx *x);
	const char *usage;
};

#define PL(f) (u16)__builtin_offsetof(struct keel_config, line.f)
#define PA(f) (u16)__builtin_offsetof(struct config_partition, line.f)

static const struct config_key config_keys[] = {
	{ "cpus", SEC_PLATFORM, 1, 1, false, PL(cpus), config_key_platform_cpus, "cpus COUNT" },
	{ "ring", SEC_PLATFORM, 1, 1, false, PL(ring), config_key_ring, "ring ADDR" },
	{ "ring-timeout", SEC_PLATFORM, 1, 1, false, PL(ring_timeout), config_key_ring_timeout,
	  "ring-timeout MICROSECONDS" },
	{ "ring-notify", SEC_PLATFORM, 1, 2, false, PL(ring_notify), config_key_ring_notify,
	  "ring-notify irq VECTOR | ring-notify poll" },
	{ "console-first", SEC_PLATFORM, 1, 1, false, PL(console_first), config_key_console_first,
	  "console-first PARTITION" },
	{ "console-escape", SEC_PLATFORM, 1, 1, false, PL(console_escape), config_key_console_escape,
	  "console-escape ctrl-LETTER" },
	{ "kind", SEC_PARTITION, 1, 1, false, PA(kind), config_key_kind, "kind guest|service" },
	{ "cpus", SEC_PARTITION, 1, 1, false, PA(cpus), config_key_cpus,
	  "cpus LIST (e.g. 1,2 or 1-3)" },
	{ "memory", SEC_PARTITION, 1, 5, false, PA(memory), config_key_memory,
	  "memory SIZE [gpa ADDR] [hpa ADDR]" },
	{ "image", SEC_PARTITION, 1, 1, false, PA(image), config_key_image, "image MODULE" },
	{ "entry", SEC_PARTITION, 1, 1, false, PA(entry), config_key_entry,
	  "entry long64|prot32|real|linux" },
	{ "args", SEC_PARTITION, 1, 1, true, PA(args), config_key_args, "args \"STRING\"" },
	{ "initrd", SEC_PARTITION, 1, 1, false, PA(initrd), config_key_initrd, "initrd MODULE" },
	{ "unbacked", SEC_PARTITION, 1, 1, false, PA(unbacked), config_key_unbacked,
	  "unbacked ones|gp|stop" },
	{ "console", SEC_PARTITION, 1, 1, false, PA(console), config_key_console,
	  "console incore|forward|none" },
	{ "mmio", SEC_PARTITION, 3, 6, false, 0, config_key_region,
	  "mmio " CONFIG_REGION_USAGE },
	{ "port", SEC_PARTITION, 3, 6, false, 0, config_key_region,
	  "port " CONFIG_REGION_USAGE },
};

static const struct config_key *config_key_find(const struct config_tok *t, u8 sec, bool *elsewhere)
{
	*elsewhere = false;
	for (u32 i = 0; i < ARRAY_SIZE(config_keys); i++) {
		if (!config_tok_is(t, config_keys[i].name))
			continue;
		if (config_keys[i].sec == sec)
			return &config_keys[i];
		*elsewhere = true;
	}
	return NULL;
}

static bool config_args_ok(const struct config_ctx *x, const struct config_key *k)
{
	u32 nargs = x->ntok - 1;
	if (nargs < k->min || nargs > k->max)
		return false;
	for (u32 i = 1; i < x->ntok; i++)
		if (x->tok[i].quoted != k->string)
			return false;
	return true;
}

static void config_key(struct config_ctx *x)
{
	bool elsewhere;
	const struct config_key *k = config_key_find(&x->tok[0], x->sec, &elsewhere);

	x->field = NULL;
	if (!k) {
		const char *hint = !elsewhere ? ""
				   : x->sec == SEC_PLATFORM ? " (it belongs in a partition)"
				   : " (it belongs in platform)";
		config_err(x, "unknown key '%.*s'%s", TOK(&x->tok[0]), hint);
		return;
	}
	x->field = k->name;
	if (k->line_off) {
		u32 *line = (u32 *)((char *)(k->sec == SEC_PLATFORM ? (void *)x->c : (void *)x->p) +
				    k->line_off);
		if (*line) {
			config_err(x, "given twice (first on line %u)", *line);
			return;
		}
		*line = x->line;
	}
	if (!config_args_ok(x, k)) {
		config_err(x, "usage: %s", k->usage);
		return;
	}
	k->fn(x);
}

static void config_part_defaults(struct config_partition *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = CONFIG_GUEST;
	p->entry = CONFIG_ENTRY_LONG64;
	p->unbacked = CONFIG_UNBACKED_ONES;
	p->console = CONFIG_CONSOLE_INCORE;
	p->ram_hpa = CONFIG_HPA_ANY;
}

static void config_partition_start(struct config_ctx *x)
{
	struct keel_config *c = x->c;
	const struct config_tok *t = &x->tok[1];

	x->sec = SEC_SKIP;
	if (x->ntok != 2 || t->quoted) {
		config_problem(x->pr, x->line, "partition: usage: partition NAME");
		return;
	}
	if (c->npartitions == CONFIG_PARTITIONS_MAX) {
		config_problem(x->pr, x->line,
			       "partition '%.*s': too many partitions (the limit is %u)", TOK(t),
			       CONFIG_PARTITIONS_MAX);
		return;
	}
	struct config_partition *p = &c->part[c->npartitions++];
	config_part_defaults(p);
	config_copy(p->name, sizeof(p->name), t->s, t->len);
	p->line.header = x->line;
	x->sec = SEC_PARTITION;
	x->p = p;
	x->field = NULL;
	if (!config_name_ok(t)) {
		config_problem(x->pr, x->line,
			       "partition '%.*s': a name is 1-31 characters of a-z, 0-9, '_' and '-'",
			       TOK(t));
		return;
	}
	for (u32 i = 0; i + 1 < c->npartitions; i++)
		if (!strcmp(c->part[i].name, p->name))
			config_err(x, "the name is already used on line %u", c->part[i].line.header);
}

static void config_platform_start(struct config_ctx *x)
{
	x->sec = SEC_PLATFORM;
	x->field = NULL;
	if (x->ntok != 1)
		config_err(x, "usage: platform (the keys follow on their own lines)");
	else if (x->c->line.header)
		config_err(x, "given twice (first on line %u)", x->c->line.header);
	else
		x->c->line.header = x->line;
}

static void config_line(struct config_ctx *x, const char *s, size_t len)
{
	if (len > CONFIG_LINE_MAX) {
		config_problem(x->pr, x->line, "the line is %zu bytes long; the limit is %u", len,
			       CONFIG_LINE_MAX);
		return;
	}
	if (config_tokenize(x, s, len) || !x->ntok)
		return;
	if (x->tok[0].quoted)
		config_problem(x->pr, x->line, "a line starts with a key, not a quoted string");
	else if (config_tok_is(&x->tok[0], "platform"))
		config_platform_start(x);
	else if (config_tok_is(&x->tok[0], "partition"))
		config_partition_start(x);
	else if (x->sec == SEC_NONE)
		config_problem(x->pr, x->line,
			       "'%.*s' comes before the first block ('platform' or 'partition NAME')",
			       TOK(&x->tok[0]));
	else if (x->sec != SEC_SKIP)
		config_key(x);
}

static void config_defaults(struct keel_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ring_timeout_us = CONFIG_TIMEOUT_DEFAULT;
	c->console_escape = CONFIG_ESCAPE_DEFAULT;
	c->console_first = CONFIG_NONE;
	c->service = CONFIG_NONE;
}

static bool config_header_ok(const char *s, size_t len)
{
	size_t n = sizeof(CONFIG_HEADER) - 1;
	return len == n && !memcmp(s, CONFIG_HEADER, n);
}

int config_parse(struct keel_config *c, struct config_problems *pr, const void *text, size_t len)
{
	struct config_ctx x = { .c = c, .pr = pr };
	const char *s = text;
	size_t off = 0;

	config_defaults(c);
	memset(pr, 0, sizeof(*pr));
	if (len > CONFIG_BYTES_MAX) {
		config_problem(pr, 0, "the file is %zu bytes; the limit is %u", len, CONFIG_BYTES_MAX);
		return -E2BIG;
	}
	do {
		size_t end = off;
		while (end < len && s[end] != '\n')
			end++;
		size_t n = end - off;
		if (n && s[off + n - 1] == '\r')
			n--;
		x.line++;
		if (x.line == 1 && !config_header_ok(s + off, n)) {
			config_problem(pr, 1, "the first line must be exactly '" CONFIG_HEADER "'");
			return -EBADMSG;
		}
		if (x.line > 1)
			config_line(&x, s + off, n);
		off = end + 1;
	} while (off < len);
	for (u32 i = 0; i < c->npartitions; i++)
		config_console_region(pr, &c->part[i]);
	return pr->n || pr->dropped ? -EINVAL : 0;
}

int config_load(struct keel_config *c, struct config_problems *pr, const void *text, size_t len,
		const struct config_machine *m)
{
	int rc = config_parse(c, pr, text, len);
	if (rc == -E2BIG || rc == -EBADMSG)
		return -EINVAL;
	int rv = config_validate(c, pr, m);
	return rc ? rc : rv;
}
