/* Host-test environment for the boot sources: fake physical memory behind phys_map, captured
 * log lines, and VERDICT helpers. */
#ifndef TESTS_HOST_HOSTENV_H
#define TESTS_HOST_HOSTENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers a host buffer as physical [pa, pa + len); lookups never cross regions. */
void fakemem_add(uint64_t pa, void *buf, uint64_t len);
/* Allocates (zeroed) and registers physical [pa, pa + len); returns the host pointer. */
void *fakemem_alloc(uint64_t pa, uint64_t len);
/* When on, phys_map of unknown memory allocates it (page allocator tests). */
void fakemem_lazy(bool on);
void fakemem_reset(void);

/* The log: every pr_* line is kept (the last one and a count per level). */
extern char log_last[512];
extern int log_count_warn, log_count_err;
void log_reset(void);
bool log_seen(const char *needle); /* any line since log_reset contains needle */

/* VERDICT lines; check() returns cond. */
bool check(bool cond, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int verdict_exit(void); /* 1 if any check failed */

#endif
