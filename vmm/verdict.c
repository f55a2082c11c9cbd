/* Verdict lines for in-core self-checks; the failure count becomes `KEEL EXIT <n>`. */
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/verdict.h>

static unsigned verdict_nfail;

void verdict_pass(const char *name) { printk("VERDICT PASS %s\n", name); }

void verdict_skip(const char *name, const char *why) { printk("VERDICT SKIP %s %s\n", name, why); }

void verdict_fail(const char *name, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&verdict_nfail, 1, __ATOMIC_RELAXED);
	printk("VERDICT FAIL %s %s\n", name, why);
}

unsigned verdict_failures(void) { return __atomic_load_n(&verdict_nfail, __ATOMIC_RELAXED); }
