/* Configuration parser: the platform keys and a partition's scalar keys (docs/config.md). */
#include "vmm/config_int.h"
#include <keel/errno.h>
#include <keel/string.h>

const char *const config_kind_names[2] = { "guest", "service" };
const char *const config_entry_names[4] = { "long64", "prot32", "real", "linux" };
const char *const config_unbacked_names[3] = { "ones", "gp", "stop" };
const char *const config_console_names[3] = { "incore", "forward", "none" };

void config_key_platform_cpus(struct config_ctx *x)
{
	u64 n;
	if (config_number(x, &x->tok[1], false, &n))
		return;
	if (n < 1 || n > CONFIG_CPUS_MAX)
		config_err(x, "%llu is not in 1-%u", (unsigned long long)n, CONFIG_CPUS_MAX);
	else
		x->c->cpus = (u32)n;
}

void config_key_ring(struct config_ctx *x)
{
	const struct config_tok *t = &x->tok[1];
	u64 a;
	if (config_number(x, t, true, &a))
		return;
	if (a % CONFIG_PAGE)
		config_err(x, "address %.*s is not a multiple of 4 KiB", TOK(t));
	else if (a > CONFIG_PHYS_LIMIT - CONFIG_RING_SIZE)
		config_err(x, "the ring window %.*s+0x%llx goes past 256 TiB", TOK(t),
			   (unsigned long long)CONFIG_RING_SIZE);
	else {
		x->c->ring = true;
		x->c->ring_gpa = a;
	}
}

void config_key_ring_timeout(struct config_ctx *x)
{
	u64 us;
	if (config_number(x, &x->tok[1], false, &us))
		return;
	if (us < 1 || us > CONFIG_TIMEOUT_MAX)
		config_err(x, "%llu is not in 1-%u (microseconds)", (unsigned long long)us,
			   CONFIG_TIMEOUT_MAX);
	else
		x->c->ring_timeout_us = (u32)us;
}

void config_key_ring_notify(struct config_ctx *x)
{
	u64 v;
	if (x->ntok == 2 && config_tok_is(&x->tok[1], "poll")) {
		x->c->ring_vector = 0;
		return;
	}
	if (x->ntok != 3 || !config_tok_is(&x->tok[1], "irq")) {
		config_err(x, "usage: ring-notify irq VECTOR | ring-notify poll");
		return;
	}
	if (config_number(x, &x->tok[2], false, &v))
		return;
	if (v < CONFIG_VECTOR_MIN || v > 255)
		config_err(x, "vector %llu is not in %u-255", (unsigned long long)v, CONFIG_VECTOR_MIN);
	else
		x->c->ring_vector = (u8)v;
}

void config_key_console_first(struct config_ctx *x)
{
	const struct config_tok *t = &x->tok[1];
	if (!config_name_ok(t))
		config_err(x, "'%.*s' is not a partition name", TOK(t));
	else
		config_copy(x->c->console_first_name, sizeof(x->c->console_first_name), t->s, t->len);
}

/* Letters whose control character is a key the console itself needs. */
static const char *config_escape_taken(char letter)
{
	switch (letter) {
	case 'h': return "backspace";
	case 'i': return "tab";
	case 'j': return "line feed";
	case 'm': return "return";
	default: return NULL;
	}
}

void config_key_console_escape(struct config_ctx *x)
{
	const struct config_tok *t = &x->tok[1];
	char letter = t->len == 6 ? t->s[5] : 0;
	if (t->len != 6 || memcmp(t->s, "ctrl-", 5) || letter < 'a' || letter > 'z') {
		config_err(x, "'%.*s' is not ctrl-a to ctrl-z", TOK(t));
		return;
	}
	const char *taken = config_escape_taken(letter);
	if (taken)
		config_err(x, "%.*s is the %s key; choose another letter", TOK(t), taken);
	else
		x->c->console_escape = (u8)(letter - 'a' + 1);
}

void config_key_kind(struct config_ctx *x)
{
	int i = config_choice(x, &x->tok[1], config_kind_names, ARRAY_SIZE(config_kind_names));
	if (i >= 0)
		x->p->kind = (u8)i;
}

void config_key_entry(struct config_ctx *x)
{
	int i = config_choice(x, &x->tok[1], config_entry_names, ARRAY_SIZE(config_entry_names));
	if (i >= 0)
		x->p->entry = (u8)i;
}

void config_key_unbacked(struct config_ctx *x)
{
	int i = config_choice(x, &x->tok[1], config_unbacked_names, ARRAY_SIZE(config_unbacked_names));
	if (i >= 0)
		x->p->unbacked = (u8)i;
}

void config_key_console(struct config_ctx *x)
{
	int i = config_choice(x, &x->tok[1], config_console_names, ARRAY_SIZE(config_console_names));
	if (i >= 0)
		x->p->console = (u8)i;
}

static void config_module(struct config_ctx *x, char *dst, size_t size)
{
	const struct config_tok *t = &x->tok[1];
	if (!config_module_ok(t))
		config_err(x, "'%.*s' is not a module name (1-%u characters, no '/')", TOK(t),
			   CONFIG_MODULE_MAX - 1);
	else
		config_copy(dst, size, t->s, t->len);
}

void config_key_image(struct config_ctx *x)
{
	config_module(x, x->p->image, sizeof(x->p->image));
}
void config_key_initrd(struct config_ctx *x)
{
	config_module(x, x->p->initrd, sizeof(x->p->initrd));
}

void config_key_args(struct config_ctx *x)
{
	const struct config_tok *t = &x->tok[1];
	char *d = x->p->args;
	size_t n = 0;

	if (t->len >= CONFIG_ARGS_MAX) {
		config_err(x, "the string is %u characters long; the limit is %u", t->len,
			   CONFIG_ARGS_MAX - 1);
		return;
	}
	for (u32 i = 0; i < t->len; i++) {
		if (t->s[i] == '\\')
			i++;
		d[n++] = t->s[i];
	}
	d[n] = 0;
}

/* One item of a CPU list: "N" or "N-M". */
static int config_cpu_item(struct config_ctx *x, const struct config_tok *list,
			   const struct config_tok *it, u64 *mask)
{
	struct config_tok lo = *it, hi = *it;
	u64 a, b;

	for (u32 i = 0; i < it->len; i++) {
		if (it->s[i] == '-') {
			lo.len = i;
			hi.s = it->s + i + 1;
			hi.len = it->len - i - 1;
			break;
		}
	}
	if (!lo.len || !hi.len) {
		config_err(x, "bad CPU list '%.*s'", TOK(list));
		return -EINVAL;
	}
	if (config_number(x, &lo, false, &a) || config_number(x, &hi, false, &b))
		return -EINVAL;
	if (a > b) {
		config_err(x, "range '%.*s' is backwards", TOK(it));
		return -EINVAL;
	}
	if (b >= CONFIG_CPUS_MAX) {
		config_err(x, "CPU %llu is not in 0-%u", (unsigned long long)b, CONFIG_CPUS_MAX - 1);
		return -EINVAL;
	}
	for (u64 cpu = a; cpu <= b; cpu++) {
		if (*mask & BIT(cpu)) {
			config_err(x, "CPU %llu is listed twice", (unsigned long long)cpu);
			return -EINVAL;
		}
		*mask |= BIT(cpu);
	}
	return 0;
}

/* "1,2", "1-3", "0,2-3": items in any order, each CPU once, no spaces. */
void config_key_cpus(struct config_ctx *x)
{
	const struct config_tok *t = &x->tok[1];
	u64 mask = 0;
	u32 start = 0;

	for (u32 i = 0; i <= t->len; i++) {
		if (i < t->len && t->s[i] != ',')
			continue;
		struct config_tok it = { t->s + start, i - start, false };
		if (config_cpu_item(x, t, &it, &mask))
			return;
		start = i + 1;
	}
	u32 n = (u32)__builtin_popcountll(mask);
	if (n > CONFIG_PART_CPUS_MAX) {
		config_err(x, "%u CPUs; a partition has at most %u", n, CONFIG_PART_CPUS_MAX);
		return;
	}
	x->p->cpus = mask;
	x->p->ncpus = n;
}

static bool config_ram_aligned(struct config_ctx *x, const char *what, const struct config_tok *t,
			       u64 v)
{
	if (v % CONFIG_RAM_ALIGN == 0)
		return true;
	config_err(x, "%s %.*s is not a multiple of 2 MiB", what, TOK(t));
	return false;
}

/* memory SIZE [gpa ADDR] [hpa ADDR], the options in any order. */
void config_key_memory(struct config_ctx *x)
{
	struct config_partition *p = x->p;
	const struct config_tok *st = &x->tok[1], *gt = NULL, *ht = NULL;
	u64 size, gpa = 0, hpa = 0;

	for (u32 i = 2; i < x->ntok; i += 2) {
		const struct config_tok **slot = NULL;
		if (config_tok_is(&x->tok[i], "gpa"))
			slot = &gt;
		else if (config_tok_is(&x->tok[i], "hpa"))
			slot = &ht;
		if (!slot || *slot || i + 1 == x->ntok) {
			config_err(x, "usage: memory SIZE [gpa ADDR] [hpa ADDR]");
			return;
		}
		*slot = &x->tok[i + 1];
	}
	if (config_number(x, st, true, &size) || (gt && config_number(x, gt, true, &gpa)) ||
	    (ht && config_number(x, ht, true, &hpa)))
		return;
	if (!size) {
		config_err(x, "size must not be 0");
		return;
	}
	if (!config_ram_aligned(x, "size", st, size) ||
	    (gt && !config_ram_aligned(x, "gpa", gt, gpa)) ||
	    (ht && !config_ram_aligned(x, "hpa", ht, hpa)))
		return;
	if (size > CONFIG_PHYS_LIMIT) {
		config_err(x, "size %.*s is more than 256 TiB", TOK(st));
		return;
	}
	const struct config_tok *past = NULL;
	if (gpa > CONFIG_PHYS_LIMIT - size)
		past = gt;
	else if (hpa > CONFIG_PHYS_LIMIT - size)
		past = ht;
	if (past) {
		config_err(x, "%s %.*s + size %.*s goes past 256 TiB", past == gt ? "gpa" : "hpa",
			   TOK(past), TOK(st));
		return;
	}
	p->ram_size = size;
	p->ram_gpa = gpa;
	p->ram_hpa = ht ? hpa : CONFIG_HPA_ANY;
}
