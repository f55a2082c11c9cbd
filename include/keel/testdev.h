/* The in-core test device (include/abi/testdev.h). */
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
	u8 mem[KEEL_TESTDEV_DATA];
	struct testdev_entry log[KEEL_TESTDEV_LOG_MAX];
	u64 count;
	u32 addr, log_index;
};

extern const struct region_ops testdev_ops;

#endif
