/* Console logging with levels. The level threshold comes from Keel's command line (loglevel=). */
#ifndef KEEL_PRINTK_H
#define KEEL_PRINTK_H

#include <keel/types.h>

enum log_level { LOG_ERR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };

void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
void log_msg(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *out);

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
