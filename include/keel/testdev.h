/* The in-core test device (include/abi/testdev.h). */
#ifndef KEEL_TESTDEV_H
#define KEEL_TESTDEV_H

#include <keel/types.h>
#include <keel/region.h>
#include <abi/testdev.h>

struct testdev_entry {
	u32 info;  /* LOG_INFO: offset | size << 16 | dir << 24 | port flag */
	u64 data;
};

struct testdev {
	u8 mem[KEEL_TESTDEV_DATA];
	struct testdev_entry log[KEEL_TESTDEV_LOG_MAX];
	u64 count;
	u32 addr, log_index;
	u32 cursor;      /* port block: window offset of the next cursor access */
	u32 log_read;    /* port block: next dword of the log stream */
};

extern const struct region_ops testdev_ops;      /* the MMIO window and control page */
extern const struct region_ops testdev_port_ops; /* the port block */

#endif
