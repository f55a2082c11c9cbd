/* Host implementations of what the boot sources take from the core: phys_map over registered
 * buffers, log_msg capturing lines, and the VERDICT protocol. */
#include "hostenv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/phys.h>
#include <keel/printk.h>

#define MAX_REGIONS 64
#define LOG_KEEP 64

static struct region {
	uint64_t pa, len;
	uint8_t *buf;
	bool owned;
} regions[MAX_REGIONS];
static int nregions;
static bool lazy;

char log_last[512];
int log_count_warn, log_count_err;
static char log_lines[LOG_KEEP][512];
static int log_n;
static int failures;

void fakemem_add(uint64_t pa, void *buf, uint64_t len)
{
	if (nregions == MAX_REGIONS) {
		fprintf(stderr, "hostenv: too many fake memory regions\n");
		exit(2);
	}
	regions[nregions++] = (struct region){ pa, len, buf, false };
}

void *fakemem_alloc(uint64_t pa, uint64_t len)
{
	void *p = calloc(1, len);
	fakemem_add(pa, p, len);
	regions[nregions - 1].owned = true;
	return p;
}

void fakemem_lazy(bool on) { lazy = on; }

void fakemem_reset(void)
{
	for (int i = 0; i < nregions; i++)
		if (regions[i].owned)
			free(regions[i].buf);
	nregions = 0;
	lazy = false;
}

static struct region *region_of(uint64_t pa)
{
	for (int i = 0; i < nregions; i++)
		if (pa >= regions[i].pa && pa - regions[i].pa < regions[i].len)
			return &regions[i];
	return NULL;
}

void *phys_map(u64 pa, u64 len)
{
	struct region *r = region_of(pa);
	if (!r && lazy && len && len < (1ULL << 30))
		return fakemem_alloc(pa, len);
	if (!r || len > r->len - (pa - r->pa))
		return NULL;
	return r->buf + (pa - r->pa);
}

u64 phys_mapped_bytes(u64 pa)
{
	struct region *r = region_of(pa);
	return r ? r->len - (pa - r->pa) : 0;
}

static void log_keep(const char *line)
{
	snprintf(log_last, sizeof(log_last), "%s", line);
	if (log_n < LOG_KEEP)
		snprintf(log_lines[log_n++], sizeof(log_lines[0]), "%s", line);
	if (getenv("HOSTENV_VERBOSE"))
		printf("  log: %s\n", line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_count_warn += lvl == LOG_WARN;
	log_count_err += lvl == LOG_ERR;
	log_keep(line);
}

void printk(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_keep(line);
}

void log_reset(void)
{
	log_last[0] = 0;
	log_count_warn = log_count_err = log_n = 0;
}

bool log_seen(const char *needle)
{
	for (int i = 0; i < log_n; i++)
		if (strstr(log_lines[i], needle))
			return true;
	return false;
}

bool check(bool cond, const char *name, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (cond) {
		printf("VERDICT PASS %s\n", name);
		fflush(stdout);
	} else {
		printf("VERDICT FAIL %s %s\n", name, why);
		fflush(stdout);
		failures++;
	}
	return cond;
}

int verdict_exit(void) { return failures ? 1 : 0; }
