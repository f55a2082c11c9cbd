/* panic(): a broken invariant inside Keel (prints registers and a stack trace, stops this CPU).
 * fatal(): a boot-time condition Keel cannot run with, e.g. bad boot loader data (one line
 * `keel: fatal: <what>`, flush, halt). Neither is for anything a guest can cause. */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include <keel/types.h>

__noreturn void panic(const char *fmt, ...) __printf(1, 2);
__noreturn void fatal(const char *fmt, ...) __printf(1, 2);

#endif
