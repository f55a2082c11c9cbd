/* Keel's command line and the configuration-module header check (vmm/cmdline.c). */
#include "hostenv.h"

#include <string.h>

#include <keel/cmdline.h>

static struct keel_opts o;

static int parse(const char *s)
{
	log_reset();
	return cmdline_parse(&o, s);
}

int main(void)
{
	int w = parse("");
	check(w == 0 && o.loglevel == LOG_INFO && !o.test && !o.config[0] && !o.fault[0], "cmdline/defaults", "w=%d", w);
	w = parse("  loglevel=debug   test=1 config=cfg.txt\tfault=df ");
	check(w == 0 && o.loglevel == LOG_DEBUG && o.test && !strcmp(o.config, "cfg.txt") && !strcmp(o.fault, "df"),
	      "cmdline/all-options", "w=%d last=%s", w, log_last);
	static const struct { const char *s; enum log_level l; } levels[] = {
		{ "loglevel=err", LOG_ERR }, { "loglevel=warn", LOG_WARN }, { "loglevel=info", LOG_INFO }, { "loglevel=4", LOG_DEBUG },
	};
	bool ok = true;
	for (unsigned i = 0; i < 4; i++)
		ok &= parse(levels[i].s) == 0 && o.loglevel == levels[i].l;
	check(ok, "cmdline/loglevels", "-");
	w = parse("foo bar=2 test=1");
	check(w == 2 && o.test && log_seen("unknown option 'foo'") && log_seen("unknown option 'bar=2'"),
	      "cmdline/unknown-options-warned", "w=%d last=%s", w, log_last);
	w = parse("loglevel=loud test=yes config= fault=xx loglevel");
	check(w == 5 && o.loglevel == LOG_INFO && !o.test && !o.config[0] && !o.fault[0] && log_seen("loglevel=loud") &&
		      log_seen("expected err|warn|info|debug"),
	      "cmdline/bad-values-warned", "w=%d last=%s", w, log_last);
	char longw[300];
	memset(longw, 'a', 299);
	longw[299] = 0;
	w = parse(longw);
	check(w == 1 && log_seen("longer than"), "cmdline/overlong-word", "w=%d", w);
	char longcfg[100] = "config=";
	memset(longcfg + 7, 'c', 80);
	longcfg[87] = 0;
	w = parse(longcfg);
	check(w == 1 && !o.config[0], "cmdline/overlong-config-name", "w=%d", w);

	static const struct { const char *name, *text; int ok; } hdr[] = {
		{ "config/header-ok", "keel-config 1\nrest\n", 1 },
		{ "config/header-only-no-newline", "keel-config 1", 1 },
		{ "config/header-crlf", "keel-config 1\r\nx", 1 },
		{ "config/header-version-2", "keel-config 2\n", 0 },
		{ "config/header-trailing-space", "keel-config 1 \n", 0 },
		{ "config/header-garbage", "garbage\n", 0 },
		{ "config/header-empty", "", 0 },
		{ "config/header-leading-blank-line", "\nkeel-config 1\n", 0 },
		{ "config/header-prefix-only", "keel-config\n", 0 },
	};
	for (unsigned i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		int r = config_header_check((const u8 *)hdr[i].text, strlen(hdr[i].text));
		check((r == 0) == hdr[i].ok, hdr[i].name, "r=%d", r);
	}
	return verdict_exit();
}
