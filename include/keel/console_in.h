/* Keel's physical console input (COM1) and the partition it goes to (drivers/console_in.c).
 * Input is polled when a partition looks for it (the in-core UART model's LSR/RBR, the service
 * VM's KEEL_HC_CONSOLE_READ); each byte is routed at once to the current target's queue. The
 * escape key (docs/config.md "Console switching") then `0`-`9`/`a`-`f` picks a partition by
 * index, `n` the next one with a console, the escape key again sends one escape byte; anything
 * else drops both bytes. A switch prints "keel: console: input goes to partition NAME". */
#ifndef KEEL_CONSOLE_IN_H
#define KEEL_CONSOLE_IN_H

#include <keel/types.h>

#define CONSOLE_IN_PARTS 16
#define CONSOLE_IN_QUEUE 128  /* bytes queued per partition; more are dropped */
#define CONSOLE_IN_NONE 0xffffffffu

/* names[i]: partition i's name when it has a console, else NULL. `first`: the first target
 * (CONSOLE_IN_NONE: input is dropped). `getc` reads one byte from the device or returns -1;
 * NULL means COM1. */
void console_in_init(u8 escape, const char *const names[CONSOLE_IN_PARTS], u32 first,
		     int (*getc)(void));
/* Polls the device, then takes one byte queued for `partition`; -1 when none. */
int console_in_getc(u32 partition);
/* Polls the device; whether a byte is queued for `partition`. */
bool console_in_pending(u32 partition);
/* The partition input goes to now. */
u32 console_in_target(void);

#endif
