/* An in-core 16550 model for a partition's console: output goes to Keel's console, a line at a
 * time, prefixed with the partition's name. */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H

#include <keel/types.h>
#include <keel/region.h>

#define VUART_LINE_MAX 160

struct vuart {
	const char *name;   /* prefix */
	u8 ier, lcr, mcr, scr, dll, dlm;
	u32 len;
	char line[VUART_LINE_MAX];
};

extern const struct region_ops vuart_ops;
void vuart_flush(struct vuart *u);

#endif
