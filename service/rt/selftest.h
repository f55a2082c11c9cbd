/* The service VM's self-test (booted without a ring, argument `selftest`): its runtime under
 * Keel, then its ring loop on a ring it produces into itself. Verdict suite `service`. */
#ifndef SERVICE_RT_SELFTEST_H
#define SERVICE_RT_SELFTEST_H

#include <stdbool.h>
#include "rt.h"

struct st_ctx {
	const struct keel_start_info *si;
	unsigned passed, failed;
};

/* One verdict line: PASS iff ok; the detail (printf format) is printed on failure. */
bool st_check(struct st_ctx *t, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void st_runtime(struct st_ctx *t);
void st_ring(struct st_ctx *t);
int svc_selftest(const struct keel_start_info *si);

extern const struct svc_platform svc_vm_platform;

#endif
