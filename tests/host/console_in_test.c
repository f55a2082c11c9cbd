/* Host test of the console-input router (drivers/console_in.c) against docs/config.md "Console
 * switching": a scripted byte source stands for COM1, log lines are captured. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <keel/console_in.h>
#include <keel/printk.h>

static const unsigned char *src;
static size_t src_len, src_pos;
static char logged[8][160];
static int nlogged, failures;

static int fake_getc(void) { return src_pos < src_len ? src[src_pos++] : -1; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	(void)lvl;
	va_start(ap, fmt);
	if (nlogged < 8)
		vsnprintf(logged[nlogged++], sizeof(logged[0]), fmt, ap);
	va_end(ap);
}

/* The router's own fallback device; never called with a byte source given. */
int uart_getc(unsigned short port)
{
	(void)port;
	return -1;
}

static void feed(const char *bytes, size_t n)
{
	src = (const unsigned char *)bytes;
	src_len = n;
	src_pos = 0;
}

/* Everything queued for partition p, as a string. */
static const char *drain(unsigned p)
{
	static char out[256];
	size_t n = 0;
	for (int c; n + 1 < sizeof(out) && (c = console_in_getc(p)) >= 0;)
		out[n++] = (char)c;
	out[n] = 0;
	return out;
}

static void check(const char *name, int ok, const char *detail)
{
	printf("VERDICT %s console_in/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ", ok ? "" : detail);
	failures += !ok;
}

/* Partitions 0 (svc), 1 (alpha), 3 (beta) have consoles; 2 has none. Ctrl-T (0x14) escapes. */
static void setup(unsigned first)
{
	static const char *const names[CONSOLE_IN_PARTS] = { "svc", "alpha", NULL, "beta" };
	console_in_init(0x14, names, first, fake_getc);
	nlogged = 0;
}

int main(void)
{
	setup(1);
	feed("hi\n", 3);
	char first[256];
	strcpy(first, drain(1));
	check("first-target", !strcmp(first, "hi\n") && !*drain(0), first);

	setup(1);
	feed("a\x14" "3b", 4);
	char a[256];
	strcpy(a, drain(1));
	check("switch-by-index", !strcmp(a, "a") && !strcmp(drain(3), "b") && console_in_target() == 3 &&
	      nlogged == 1 && !strcmp(logged[0], "console: input goes to partition beta"), logged[0]);

	setup(3);
	feed("\x14n" "x", 3);
	check("next-wraps", !strcmp(drain(0), "x") && console_in_target() == 0, "target not svc");
	feed("\x14n" "y", 3);
	check("next-skips-no-console", !strcmp(drain(1), "y") && console_in_target() == 1,
	      "target not alpha");

	setup(1);
	feed("\x14\x14z", 3);
	check("escape-twice-sends-one", !strcmp(drain(1), "\x14z") && nlogged == 0, "wrong bytes");

	setup(1);
	feed("\x14qr", 3);
	check("escape-other-drops-both", !strcmp(drain(1), "r") && console_in_target() == 1, "wrong bytes");

	setup(1);
	feed("\x14" "2s", 3);
	check("index-without-console-stays", !strcmp(drain(1), "s") && console_in_target() == 1 &&
	      nlogged == 1 && strstr(logged[0], "no console"), logged[0]);

	setup(1);
	feed("\x14" "f", 2);
	check("index-out-of-range-stays", console_in_target() == 1 && !*drain(1), "moved");

	setup(1);
	feed("\x14", 1);
	(void)drain(1);
	feed("3t", 2);
	check("escape-across-polls", !strcmp(drain(3), "t") && console_in_target() == 3, "not switched");

	setup(1);
	char big[300];
	memset(big, 'k', sizeof(big));
	feed(big, sizeof(big));
	for (int poll = 0; poll < 5; poll++)
		(void)console_in_pending(3); /* every byte routed, none taken */
	check("queue-bounded", strlen(drain(1)) == CONSOLE_IN_QUEUE && src_pos == sizeof(big),
	      "not exactly one queue's worth kept");

	setup(CONSOLE_IN_NONE);
	feed("u", 1);
	check("no-target-drops", !*drain(0) && !*drain(1) && !*drain(3), "queued");

	setup(1);
	feed("v", 1);
	check("pending", console_in_pending(1) && !console_in_pending(3) && console_in_getc(1) == 'v' &&
	      !console_in_pending(1), "wrong pending state");
	check("bad-partition", console_in_getc(99) == -1 && !console_in_pending(99), "answered");
	return failures ? 1 : 0;
}
