/* The in-core test device (include/abi/testdev.h): MMIO window + access log. */
#ifndef KEEL_TESTDEV_H
#define KEEL_TESTDEV_H

#include <keel/types.h>
#include <keel/region.h>
#include <abi/testdev.h>

struct testdev_entry {
	u32 offset;
	u8 size;
	u8 dir;
	u64 data;
};

struct testdev {
	u8 mem[KEEL_TESTDEV_SIZE];
	struct testdev_entry log[KEEL_TESTDEV_LOG_MAX];
	u64 count;
};

extern const struct region_ops testdev_ops;

/* The KEEL_HC_TESTDEV hypercall: op and operands from the guest, results back. */
int testdev_hypercall(struct testdev *t, u64 op, u64 a, u64 b, u64 out[3]);

#endif
