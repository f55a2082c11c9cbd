/* The test device: a window backed by bytes, with a log of every access to it, a control page to
 * set it up and read the log, and a block of ports onto the same window. The same register
 * interface is served by the in-core model (vmm/testdev.c) and the service VM's model (service/),
 * so one guest payload tests both paths: it runs an instruction on the window and the same
 * instruction on a RAM page, then compares registers, flags and memory, and reads the log to
 * check order and count. */
#ifndef ABI_TESTDEV_H
#define ABI_TESTDEV_H

#include <stdint.h>

/* Default placement in guest-physical space (no RAM behind it, so every access exits). */
#define KEEL_TESTDEV_GPA      0xfeb00000ull
#define KEEL_TESTDEV_DATA     0x2000ull  /* [0, DATA): the logged window; two pages for crossings */
#define KEEL_TESTDEV_SIZE     0x3000ull  /* the data pages plus the control page */
#define KEEL_TESTDEV_LOG_MAX  1024u      /* entries kept; later accesses are counted, not kept */

/* Control registers: 32-bit, naturally aligned, never logged. Other sizes or offsets read
 * all-ones and ignore writes. */
enum keel_testdev_reg {
	KEEL_TESTDEV_RESET = 0x2000,     /* W: clear the log; fill the window with the low byte */
	KEEL_TESTDEV_ADDR = 0x2004,      /* RW: window offset for DATA_PORT (multiple of 4) */
	KEEL_TESTDEV_DATA_PORT = 0x2008, /* RW: the 4 window bytes at ADDR, unlogged */
	KEEL_TESTDEV_LOG_COUNT = 0x200c, /* R: accesses since reset (may exceed LOG_MAX) */
	KEEL_TESTDEV_LOG_INDEX = 0x2010, /* RW: which log entry the next three registers show */
	KEEL_TESTDEV_LOG_INFO = 0x2014,  /* R: offset | size << 16 | dir << 24 | port << 25;
					  * all-ones past the end */
	KEEL_TESTDEV_LOG_LO = 0x2018,    /* R: data[31:0] of that entry */
	KEEL_TESTDEV_LOG_HI = 0x201c,    /* R: data[63:32] */
	/* W: drive an interrupt line of the partition: bits 7:0 the IOAPIC pin (0-23), or with
	 * bit 10 set the ISA IRQ (0-15: the 8259 input and its IOAPIC pin); bits 9:8 the op,
	 * 0 low, 1 high, 2 pulse. Op 3 instead makes vector bits 7:0 pending in the local APIC
	 * of the partition's vCPU bits 20:16 (a message-signalled interrupt). The in-core model
	 * acts directly; the service VM's model can drive lines only, through KEEL_HC_IRQ. */
	KEEL_TESTDEV_IRQ = 0x2020,
};

#define KEEL_TESTDEV_IRQ_ISA (1u << 10)
#define KEEL_TESTDEV_IRQ_MSI 3u

#define KEEL_TESTDEV_DIR_READ  0u
#define KEEL_TESTDEV_DIR_WRITE 1u
#define KEEL_TESTDEV_INFO_PORT (1u << 25) /* LOG_INFO: a port access (offset = port - PORT) */

/* The port block: ports [PORT, PORT + PORTS), below 0x100 so that IN/OUT with an 8-bit
 * immediate reach it; a port region of the device after its MMIO one in the configuration
 * (docs/config.md), always there in Keel's command-line mode. Every port access reads or
 * writes the window at a cursor, which then advances by the access size (wrapping at
 * KEEL_TESTDEV_DATA); string I/O thus streams the window.
 * Accesses to the data ports are logged like window accesses (with KEEL_TESTDEV_INFO_PORT);
 * the control ports are not logged. Other sizes or offsets read all-ones and ignore writes. */
#define KEEL_TESTDEV_PORT  0xe0u
#define KEEL_TESTDEV_PORTS 0x20u

enum keel_testdev_port {
	KEEL_TESTDEV_P_DATA = 0x00,     /* RW, 1/2/4 bytes, [0x00, 0x10): logged cursor access */
	KEEL_TESTDEV_P_DATA_END = 0x10,
	KEEL_TESTDEV_P_CURSOR = 0x10,   /* RW, 4 bytes: the cursor (window offset) */
	KEEL_TESTDEV_P_BULK = 0x14,     /* RW, 1/2/4 bytes: unlogged cursor access (setup, readback) */
	KEEL_TESTDEV_P_LOG = 0x18,      /* R, 4 bytes: accesses since the log was cleared;
					 * W: clear the log (the window keeps its bytes) */
	KEEL_TESTDEV_P_LOG_READ = 0x1c, /* R, 4 bytes: the log as a stream of dwords, three per entry
					 * (INFO, data[31:0], data[63:32] as the control page shows
					 * them), from entry 0 after a clear; all-ones past the end.
					 * W: restart the stream at entry 0 */
};

#endif
