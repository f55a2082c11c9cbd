/* Console input payload: says it is ready, then reads one line from its console UART (polled:
 * LSR.DR, then RBR; the in-core model or the service VM's) and compares it with `expect=TEXT`
 * from its command line (`%XX` stands for the byte 0xXX). */
#include "lib/guest.h"

#define S "coninput"
#define COM1 0x3f8
#define LINE_MAX 64

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The value of expect= up to the next blank, %XX decoded. */
static size_t expected(const char *cmd, char *out)
{
	const char *s = cmd;
	size_t n = 0;
	for (; *s; s++)
		if (!memcmp(s, "expect=", 7) && (s == cmd || s[-1] == ' '))
			break;
	for (s = *s ? s + 7 : s; *s && *s != ' ' && n < LINE_MAX; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			out[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	return n;
}

/* One line (without its '\n'), or what came before the deadline. */
static size_t read_line(char *buf, uint64_t deadline)
{
	size_t n = 0;
	while (n < LINE_MAX && rdtsc() < deadline) {
		if (!(inb(COM1 + 5) & 0x01)) {
			__asm__ volatile("pause");
			continue;
		}
		char c = (char)inb(COM1);
		if (c == '\n' || c == '\r')
			break;
		buf[n++] = c;
	}
	return n;
}

int guest_main(const struct keel_start_info *si)
{
	char want[LINE_MAX], got[LINE_MAX];
	size_t nw = expected((const char *)(uintptr_t)si->cmdline, want);
	uint64_t khz = si->tsc_khz ? si->tsc_khz : 1000000;
	g_printf("coninput: ready\n");
	size_t ng = read_line(got, rdtsc() + khz * 30000);
	bool same = ng == nw && !memcmp(got, want, nw);
	verdict_check(S, "line", same, "got %u bytes, first %x; want %u bytes",
		      (unsigned)ng, ng ? (uint8_t)got[0] : 0, (unsigned)nw);
	return 0;
}
