/* The in-core test device: an MMIO window backed by a byte array, with a log of every access.
 * Guest payloads use it as the device side of emulator tests: they run an instruction on the
 * window and the same instruction on a RAM page, then compare registers, flags and memory. */
#ifndef ABI_TESTDEV_H
#define ABI_TESTDEV_H

#include <stdint.h>

/* Default placement in guest-physical space (no RAM behind it, so every access exits). */
#define KEEL_TESTDEV_GPA     0xfeb00000ull
#define KEEL_TESTDEV_SIZE    0x2000ull  /* two pages: string and page-crossing cases */
#define KEEL_TESTDEV_LOG_MAX 256u       /* entries kept; later accesses are counted, not kept */

/* Every operand and result fits in 32 bits, so 32-bit and real-mode guests use the same calls. */
enum keel_testdev_op {
	KEEL_TESTDEV_RESET = 0,     /* clear the log; fill the window with RCX's low byte */
	KEEL_TESTDEV_POKE = 1,      /* RCX = offset, RDX = 4 bytes to store there (not logged) */
	KEEL_TESTDEV_PEEK = 2,      /* RCX = offset → RBX = the 4 bytes there (not logged) */
	KEEL_TESTDEV_LOG_COUNT = 3, /* → RBX = accesses since reset (may exceed LOG_MAX) */
	/* RCX = index → RBX = offset | size << 16 | dir << 24, RCX = data[31:0], RDX = data[63:32] */
	KEEL_TESTDEV_LOG_ENTRY = 4,
};

#define KEEL_TESTDEV_DIR_READ  0u
#define KEEL_TESTDEV_DIR_WRITE 1u

#endif
