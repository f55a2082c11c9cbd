/* An in-core 16550 model for a partition's console: output goes to Keel's console, a line at a
 * time, prefixed with the partition's name; input (LSR.DR and RBR) comes from Keel's physical
 * console through the console-input router (drivers/console_in.c); its interrupt output drives
 * an ISA IRQ line (COM1's 4 for the console). The same line buffer prints a forwarded
 * console's output (KEEL_HC_CONSOLE_WRITE). */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H

#include <keel/types.h>
#include <keel/region.h>

#define VUART_LINE_MAX 240
#define VUART_NO_IRQ   0xff

struct partition;

struct vuart {
	const char *name;   /* prefix */
	u32 partition;      /* whose input it reads */
	bool input;         /* the partition's console: it receives Keel's console input */
	struct partition *part; /* whose interrupt controllers `irq` reaches */
	u8 irq;             /* ISA IRQ of the interrupt output, or VUART_NO_IRQ */
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri;          /* THR-empty interrupt pending (cleared by IIR read or THR write) */
	bool level;         /* the IRQ line as last driven */
	bool verdicts;      /* VERDICT PASS/FAIL lines count as `part`'s verdicts: a Linux
			     * partition reports them on its console, having no hypercall */
	u32 len;
	char line[VUART_LINE_MAX];
};

extern const struct region_ops vuart_ops;
void vuart_flush(struct vuart *u);
/* Registers to their reset values (a partition restart); the IRQ line drops. */
void vuart_reset(struct vuart *u);
/* Output bytes as if written to THR. */
void vuart_output(struct vuart *u, const char *s, size_t n);

#endif
