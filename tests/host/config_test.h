/* Host test of the configuration parser and validator: case tables (config_cases_*.c) and the
 * runner (config_test.c). Expected problems are written by hand from docs/config.md. */
#ifndef TESTS_HOST_CONFIG_TEST_H
#define TESTS_HOST_CONFIG_TEST_H

#include <keel/config.h>

struct config_case {
	const char *name;
	const char *text;
	size_t len;            /* bytes of text; 0: strlen(text) */
	unsigned ncpus;        /* the machine's CPU count; 0 = unknown */
	const char *modules;   /* loaded modules, comma-separated; NULL = unknown */
	const char *expect[12]; /* "LINE: message", in any order; none: the configuration is valid */
};

/* A case against a machine whose memory map is known: its RAM as "BASE+SIZE,..." in hex. */
struct config_ram_case {
	struct config_case k;
	const char *ram;
};

/* Every case runs against a machine that reserves Keel's image at 0x100000+0x200000 and
 * Keel's console UART at port 0x3f8+0x8. */
#define TEST_KEEL_BASE 0x100000ull
#define TEST_KEEL_SIZE 0x200000ull

extern const struct config_case config_cases_syntax[];
extern const unsigned config_cases_syntax_n;
extern const struct config_case config_cases_keys[];
extern const unsigned config_cases_keys_n;
extern const struct config_case config_cases_check[];
extern const unsigned config_cases_check_n;
extern const struct config_ram_case config_cases_ram[];
extern const unsigned config_cases_ram_n;

/* Text helpers for the tables: the header line and a valid minimal partition (4 lines). */
#define HDR "keel-config 1\n"
#define PART(name, cpus) "partition " name "\n  cpus " cpus "\n  memory 2M\n  image g\n"

#endif
