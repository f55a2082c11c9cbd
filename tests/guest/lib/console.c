/* Polled 16550 output and a small printf for payloads. */
#include "guest.h"

#define COM1 0x3f8

void con_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
}

void con_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		__asm__ volatile("pause");
	outb(COM1, (uint8_t)c);
}

/* With the FIFOs on (FCR 0xc7 above), THRE means the 16-byte transmit FIFO is empty, so up to 16
 * bytes may follow at once (PC16550D data sheet, FCR and LSR). */
void con_write(const char *s, size_t n)
{
	while (n) {
		size_t k = n < 16 ? n : 16;
		while (!(inb(COM1 + 5) & 0x20))
			__asm__ volatile("pause");
		__asm__ volatile("rep outsb" : "+S"(s), "+c"(k) : "d"(COM1) : "memory");
		n -= n < 16 ? n : 16;
	}
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

/* %s %c %d %u %x %p, with width, '0' padding and the l/ll/z length modifiers. */
int g_vsnprintf(char *buf, size_t size, const char *f, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		char pad = ' ';
		int width = 0, l = 0;
		if (*++f == '0')
			pad = '0';
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l' || *f == 'z')
			l++, f++;
		uint64_t v;
		switch (*f) {
		case 's':
			for (const char *s = va_arg(ap, const char *); s && *s; s++)
				put(&o, *s);
			break;
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case 'd': {
			int64_t sv = l >= 2 ? va_arg(ap, long long) : l ? va_arg(ap, long) : va_arg(ap, int);
			put_num(&o, sv < 0 ? (uint64_t)-sv : (uint64_t)sv, 10, width, pad, sv < 0);
			break;
		}
		case 'u':
		case 'x':
			v = l >= 2 ? va_arg(ap, unsigned long long) : l ? va_arg(ap, unsigned long)
								  : va_arg(ap, unsigned);
			put_num(&o, v, *f == 'u' ? 10 : 16, width, pad, false);
			break;
		case 'p': put_num(&o, (uintptr_t)va_arg(ap, void *), 16, width, pad, false); break;
		default: put(&o, *f); break;
		}
		if (!*f)
			break;
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int g_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = g_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void g_printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = g_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	con_write(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void *memset(void *d, int c, size_t n)
{
	void *p = d;
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *p = d;
	__asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
