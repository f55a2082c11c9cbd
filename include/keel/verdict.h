/* In-core self-check verdicts (vmm/verdict.c), printed in the project's test protocol:
 * `VERDICT PASS|FAIL|SKIP <suite>/<case> [detail]`. Safe to call from any CPU. */
#ifndef KEEL_VERDICT_H
#define KEEL_VERDICT_H

#include <keel/types.h>

void verdict_pass(const char *name);
void verdict_fail(const char *name, const char *fmt, ...) __printf(2, 3);
void verdict_skip(const char *name, const char *why);
unsigned verdict_failures(void);

#endif
