/* printf-style formatting shared by the console and anything that builds strings. */
#ifndef KEEL_FORMAT_H
#define KEEL_FORMAT_H

#include <keel/types.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
