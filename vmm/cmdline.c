/* Keel's command line: space-separated `key=value` words. Unknown keys and bad values get a
 * warning naming them; nothing on the command line can stop the boot. */
#include <keel/cmdline.h>
#include <keel/string.h>
#include <keel/partition.h>

int log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = { NULL, "err", "warn", "info", "debug" };
	for (unsigned i = LOG_ERR; i <= LOG_DEBUG; i++) {
		if (!strcmp(s, names[i]) || (s[0] == (char)('0' + i) && !s[1])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

struct opt {
	const char *key;
	bool (*set)(struct keel_opts *o, const char *val);
	const char *expect;
};

static bool opt_loglevel(struct keel_opts *o, const char *v) { return !log_level_parse(v, &o->loglevel); }

static bool opt_test(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	o->test = v[0] == '1';
	return true;
}

static bool opt_virt_selftest(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	o->virt_selftest = v[0] == '1';
	return true;
}

static bool opt_copy(char *dst, size_t n, const char *v)
{
	size_t len = strlen(v);
	if (!len || len >= n)
		return false;
	memcpy(dst, v, len + 1);
	return true;
}

static bool opt_config(struct keel_opts *o, const char *v) { return opt_copy(o->config, sizeof(o->config), v); }

static bool opt_fault(struct keel_opts *o, const char *v)
{
	static const char *const kinds[] = { "ud", "de", "gp", "pf", "bp", "df", "stack", "nmi", "nx", "panic" };
	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(v, kinds[i]))
			return opt_copy(o->fault, sizeof(o->fault), v);
	return false;
}

static bool opt_guest(struct keel_opts *o, const char *v) { return opt_copy(o->guest, sizeof(o->guest), v); }

static bool opt_guest_mode(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "long64") && strcmp(v, "prot32") && strcmp(v, "real"))
		return false;
	return opt_copy(o->guest_mode, sizeof(o->guest_mode), v);
}

static bool opt_guest_mem(struct keel_opts *o, const char *v)
{
	u32 n = 0;
	for (; *v >= '0' && *v <= '9' && n < 100000; v++)
		n = n * 10 + (u32)(*v - '0');
	if (*v || n < 4 || n % 2)
		return false;
	o->guest_mem_mib = n;
	return true;
}

static bool opt_guest_vcpus(struct keel_opts *o, const char *v)
{
	u32 n = 0;
	for (; *v >= '0' && *v <= '9' && n < 100; v++)
		n = n * 10 + (u32)(*v - '0');
	if (*v || n < 1 || n > PARTITION_MAX_VCPUS)
		return false;
	o->guest_vcpus = n;
	return true;
}

static bool opt_lencheck(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	o->lencheck = v[0] == '1';
	return true;
}

static bool opt_irqcheck(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	o->irqcheck = v[0] == '1';
	return true;
}

static bool opt_canaries(struct keel_opts *o, const char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return false;
	o->canaries = v[0] == '1';
	return true;
}

static const struct opt opts[] = {
	{ "loglevel", opt_loglevel, "err|warn|info|debug" },
	{ "test", opt_test, "0|1" },
	{ "config", opt_config, "a module name (1-63 bytes)" },
	{ "fault", opt_fault, "ud|de|gp|pf|bp|df|stack|nmi|nx|panic" },
	{ "guest", opt_guest, "a module name (1-63 bytes)" },
	{ "guest_mode", opt_guest_mode, "long64|prot32|real" },
	{ "guest_mem", opt_guest_mem, "an even number of MiB, at least 4" },
	{ "guest_vcpus", opt_guest_vcpus, "1-16 vCPUs per partition" },
	{ "lencheck", opt_lencheck, "0|1" },
	{ "irqcheck", opt_irqcheck, "0|1" },
	{ "virt_selftest", opt_virt_selftest, "0|1" },
	{ "canaries", opt_canaries, "0|1" },
};

/* Handles one word; returns 1 if it drew a warning. */
static int cmdline_word(struct keel_opts *o, char *w)
{
	char *eq = strchr(w, '=');
	if (eq)
		*eq = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(opts); i++) {
		if (strcmp(w, opts[i].key))
			continue;
		if (eq && opts[i].set(o, eq + 1))
			return 0;
		pr_warn("command line: %s=%s is not valid (expected %s); ignored", w, eq ? eq + 1 : "",
			opts[i].expect);
		return 1;
	}
	if (eq)
		*eq = '=';
	pr_warn("command line: unknown option '%s' ignored", w);
	return 1;
}

int cmdline_parse(struct keel_opts *o, const char *s)
{
	char word[128];
	int warnings = 0;
	*o = (struct keel_opts){ .loglevel = LOG_INFO, .guest_mem_mib = 64, .guest_vcpus = 1 };
	memcpy(o->guest_mode, "long64", 7);
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = 0;
		while (s[n] && s[n] != ' ' && s[n] != '\t')
			n++;
		if (!n)
			break;
		if (n >= sizeof(word)) {
			pr_warn("command line: option '%.32s...' is longer than %zu bytes; ignored", s, sizeof(word) - 1);
			warnings++;
		} else {
			memcpy(word, s, n);
			word[n] = 0;
			warnings += cmdline_word(o, word);
		}
		s += n;
	}
	return warnings;
}

int config_header_check(const u8 *p, u64 len)
{
	static const char hdr[] = "keel-config 1";
	u64 n = 0;
	while (n < len && p[n] != '\n')
		n++;
	if (n && p[n - 1] == '\r')
		n--;
	return n == sizeof(hdr) - 1 && !memcmp(p, hdr, n) ? 0 : -EINVAL;
}
