/* One device access by a guest, routed through its partition's region registry. */
#ifndef KEEL_ACCESS_H
#define KEEL_ACCESS_H

#include <keel/region.h>

struct vcpu;

enum access_result {
	ACCESS_DONE,    /* answered (reads: *val filled) */
	ACCESS_PENDING, /* forwarded to the service VM; the answer completes it later */
};

/* size is 1, 2, 4 or 8. Unbacked addresses read all-ones and drop writes (logged once). */
enum access_result access_one(struct vcpu *v, enum region_space space, u64 addr, unsigned size,
			      bool write, u64 *val);

#endif
