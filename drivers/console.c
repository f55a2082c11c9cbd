/* The console: printk and levelled logging on COM1 (and the Bochs/QEMU 0xE9 debug port when
 * asked for). Lines are assembled first and written whole so CPUs do not interleave mid-line. */
#include <keel/format.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/uart.h>
#include <keel/console.h>
#include <arch/io.h>

#define COM1 0x3f8

static enum log_level log_threshold = LOG_INFO;
static bool console_up;
static volatile int console_lock;

void console_init(void)
{
	uart_init(COM1);
	console_up = true;
}

void console_flush(void)
{
	if (console_up)
		uart_flush(COM1);
}

/* The lock is taken with a bounded spin: a CPU that stopped while holding it (an exception in
 * the middle of a line) must not silence every other CPU. */
static void console_lock_take(void)
{
	for (u32 spin = 0; __atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE); spin++) {
		if (spin > (1u << 24))
			return;
		cpu_relax();
	}
}

static void console_lock_drop(void) { __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE); }

/* Called on the exception path: if this CPU faulted inside console_write, it holds the lock. */
void console_break_lock(void)
{
	if (!console_up)
		console_init();
	console_lock_drop();
}

void console_write(const char *s, size_t n)
{
	if (!console_up)
		console_init();
	console_lock_take();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(COM1, '\r');
		uart_putc(COM1, s[i]);
	}
	console_lock_drop();
}

void vprintk(const char *fmt, va_list ap)
{
	char line[512];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	console_write(line, (size_t)n);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "", "error: ", "warning: ", "", "debug: " };
	char line[512];
	va_list ap;

	if (lvl > log_threshold)
		return;
	int n = snprintf(line, sizeof(line), "keel: %s", tag[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	if (len && line[len - 1] != '\n' && len + 1 < sizeof(line)) {
		line[len++] = '\n';
		line[len] = 0;
	}
	console_write(line, len);
}

void log_set_level(enum log_level lvl) { log_threshold = lvl; }
enum log_level log_get_level(void) { return log_threshold; }
