/* The physical console (COM1), driven by Keel alone. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <keel/types.h>

void console_init(void);
void console_write(const char *s, size_t n);
void console_flush(void);
void console_break_lock(void);

#endif
