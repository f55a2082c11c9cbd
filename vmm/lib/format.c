/* vsnprintf for the core: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#',
 * width and precision (also '*'), length modifiers hh h l ll z t j. No floating point. */
#include <keel/format.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec;
	int lenmod; /* 0 int, 1 long, 2 long long/size_t/intmax/ptrdiff, -1 short, -2 char */
};

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
	*s = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else if (*f == '+')
			s->plus = true;
		else if (*f == ' ')
			s->space = true;
		else if (*f == '#')
			s->alt = true;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			s->width = -s->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		s->width = s->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		s->prec = 0;
		if (*f == '*') {
			s->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			s->prec = s->prec * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			s->lenmod = s->lenmod >= 1 ? 2 : 1;
		else if (*f == 'h')
			s->lenmod = s->lenmod == -1 ? -2 : -1;
		else if (*f == 'z' || *f == 't' || *f == 'j')
			s->lenmod = 2;
		else
			break;
	}
	return f;
}

static unsigned long long arg_unsigned(const struct spec *s, va_list *ap)
{
	switch (s->lenmod) {
	case 2: return va_arg(*ap, unsigned long long);
	case 1: return va_arg(*ap, unsigned long);
	case -1: return (unsigned short)va_arg(*ap, unsigned int);
	case -2: return (unsigned char)va_arg(*ap, unsigned int);
	default: return va_arg(*ap, unsigned int);
	}
}

static long long arg_signed(const struct spec *s, va_list *ap)
{
	switch (s->lenmod) {
	case 2: return va_arg(*ap, long long);
	case 1: return va_arg(*ap, long);
	case -1: return (short)va_arg(*ap, int);
	case -2: return (signed char)va_arg(*ap, int);
	default: return va_arg(*ap, int);
	}
}

static void out_number(struct out *o, const struct spec *s, unsigned long long v, bool neg,
		       unsigned base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	char sign = neg ? '-' : s->plus ? '+' : s->space ? ' ' : 0;
	int plen = prefix ? (int)__builtin_strlen(prefix) : 0;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (n == 0 && s->prec != 0)
		tmp[n++] = '0';
	int zeros = s->prec > n ? s->prec - n : 0;
	int body = n + zeros + (sign ? 1 : 0) + plen;
	int pad = s->width > body ? s->width - body : 0;
	if (s->zero && !s->left && s->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!s->left)
		out_pad(o, ' ', pad);
	if (sign)
		out_char(o, sign);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	out_pad(o, '0', zeros);
	while (n)
		out_char(o, tmp[--n]);
	if (s->left)
		out_pad(o, ' ', pad);
}

static void out_string(struct out *o, const struct spec *s, const char *str)
{
	if (!str)
		str = "(null)";
	int n = 0;
	while (str[n] && (s->prec < 0 || n < s->prec))
		n++;
	int pad = s->width > n ? s->width - n : 0;
	if (!s->left)
		out_pad(o, ' ', pad);
	for (int i = 0; i < n; i++)
		out_char(o, str[i]);
	if (s->left)
		out_pad(o, ' ', pad);
}

static void out_conv(struct out *o, const struct spec *s, char c, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		long long v = arg_signed(s, ap);
		unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		out_number(o, s, mag, v < 0, 10, false, NULL);
		break;
	}
	case 'u': out_number(o, s, arg_unsigned(s, ap), false, 10, false, NULL); break;
	case 'o': out_number(o, s, arg_unsigned(s, ap), false, 8, false, s->alt ? "0" : NULL); break;
	case 'x':
	case 'X': {
		unsigned long long v = arg_unsigned(s, ap);
		const char *pfx = s->alt && v ? (c == 'X' ? "0X" : "0x") : NULL;
		out_number(o, s, v, false, 16, c == 'X', pfx);
		break;
	}
	case 'p': {
		struct spec ps = *s;
		ps.lenmod = 2;
		out_number(o, &ps, (uintptr_t)va_arg(*ap, void *), false, 16, false, "0x");
		break;
	}
	case 's': out_string(o, s, va_arg(*ap, const char *)); break;
	case 'c': {
		char ch[2] = { (char)va_arg(*ap, int), 0 };
		struct spec cs = *s;
		cs.prec = 1;
		out_string(o, &cs, ch);
		break;
	}
	case '%': out_char(o, '%'); break;
	default:
		out_char(o, '%');
		if (c)
			out_char(o, c);
		break;
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		struct spec s;
		fmt = parse_spec(fmt + 1, &s, &aq);
		out_conv(&o, &s, *fmt, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
