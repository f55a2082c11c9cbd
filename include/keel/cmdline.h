/* Keel's own command line (vmm/cmdline.c): `loglevel=err|warn|info|debug`, `test=0|1`,
 * `config=NAME`, `fault=KIND` (in-core fault-handling self-test, docs/boot.md). */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/printk.h>
#include <keel/errno.h>
#include <keel/types.h>

#define CMDLINE_NAME_MAX 64

struct keel_opts {
	enum log_level loglevel;
	bool test;
	char config[CMDLINE_NAME_MAX]; /* "" when absent */
	char fault[16];                /* "" when absent */
};

/* Parses `s` into *o (defaults first). Bad values and unknown options are warned about, never
 * fatal. Returns the number of warnings given. */
int cmdline_parse(struct keel_opts *o, const char *s);

/* Checks the configuration module's header: its first line must be exactly "keel-config 1".
 * Returns 0 or a negative errno. */
int config_header_check(const u8 *p, u64 len);

#endif
