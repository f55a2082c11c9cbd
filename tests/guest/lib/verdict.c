/* VERDICT lines and the counts reported to Keel at the end. */
#include "guest.h"

static unsigned n_failed, n_passed;

unsigned verdict_failed(void) { return n_failed; }

void verdict_pass(const char *suite, const char *name)
{
	n_passed++;
	g_printf("VERDICT PASS %s/%s\n", suite, name);
}

static void verdict_vfail(const char *suite, const char *name, const char *fmt, va_list ap)
{
	char why[200];
	g_vsnprintf(why, sizeof(why), fmt, ap);
	n_failed++;
	g_printf("VERDICT FAIL %s/%s %s\n", suite, name, why);
}

void verdict_fail(const char *suite, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict_vfail(suite, name, fmt, ap);
	va_end(ap);
}

void verdict_skip(const char *suite, const char *name, const char *why)
{
	g_printf("VERDICT SKIP %s/%s %s\n", suite, name, why);
}

bool verdict_check(const char *suite, const char *name, bool cond, const char *fmt, ...)
{
	if (cond) {
		verdict_pass(suite, name);
		return true;
	}
	va_list ap;
	va_start(ap, fmt);
	verdict_vfail(suite, name, fmt, ap);
	va_end(ap);
	return false;
}

void verdict_report(const char *suite, const char *name, bool ok, const char *fmt, ...)
{
	char detail[200];
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ok)
		n_passed++;
	else
		n_failed++;
	g_printf("VERDICT %s %s/%s %s\n", ok ? "PASS" : "FAIL", suite, name, detail);
}

void verdict_counts(unsigned *passed, unsigned *failed)
{
	*passed = n_passed;
	*failed = n_failed;
}

void guest_exit(unsigned code)
{
	hc(KEEL_HC_VERDICTS, n_failed, n_passed, 0);
	hc(KEEL_HC_EXIT, code, 0, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Reports the counts, then halts with interrupts off: Keel measures the HLT (lencheck=1) and
 * stops the vCPU ("halted with interrupts disabled") instead of a KEEL_HC_EXIT. */
void guest_exit_hlt(void)
{
	hc(KEEL_HC_VERDICTS, n_failed, n_passed, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
