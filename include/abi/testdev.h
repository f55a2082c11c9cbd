/* The test device: a window backed by bytes, with a log of every access to it, and a control
 * page to set it up and read the log. The same register interface is served by the in-core model
 * (vmm/testdev.c) and the service VM's model (service/), so one guest payload tests both paths:
 * it runs an instruction on the window and the same instruction on a RAM page, then compares
 * registers, flags and memory, and reads the log to check order and count. */
#ifndef ABI_TESTDEV_H
#define ABI_TESTDEV_H

#include <stdint.h>

/* Default placement in guest-physical space (no RAM behind it, so every access exits). */
#define KEEL_TESTDEV_GPA      0xfeb00000ull
#define KEEL_TESTDEV_DATA     0x2000ull  /* [0, DATA): the logged window; two pages for crossings */
#define KEEL_TESTDEV_SIZE     0x3000ull  /* the data pages plus the control page */
#define KEEL_TESTDEV_LOG_MAX  256u       /* entries kept; later accesses are counted, not kept */

/* Control registers: 32-bit, naturally aligned, never logged. Other sizes or offsets read
 * all-ones and ignore writes. */
enum keel_testdev_reg {
	KEEL_TESTDEV_RESET = 0x2000,     /* W: clear the log; fill the window with the low byte */
	KEEL_TESTDEV_ADDR = 0x2004,      /* RW: window offset for DATA_PORT (multiple of 4) */
	KEEL_TESTDEV_DATA_PORT = 0x2008, /* RW: the 4 window bytes at ADDR, unlogged */
	KEEL_TESTDEV_LOG_COUNT = 0x200c, /* R: accesses since reset (may exceed LOG_MAX) */
	KEEL_TESTDEV_LOG_INDEX = 0x2010, /* RW: which log entry the next three registers show */
	KEEL_TESTDEV_LOG_INFO = 0x2014,  /* R: offset | size << 16 | dir << 24; all-ones past the end */
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

#endif
