/* Configuration parser, lowest layer: problems, tokens, numbers and names (docs/config.md). */
#include "vmm/config_int.h"
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>

static struct config_problem *config_slot(struct config_problems *pr, u32 line)
{
	if (pr->n == CONFIG_PROBLEMS_MAX) {
		pr->dropped++;
		return NULL;
	}
	struct config_problem *q = &pr->p[pr->n++];
	q->line = line;
	q->msg[0] = 0;
	return q;
}

void config_problem(struct config_problems *pr, u32 line, const char *fmt, ...)
{
	struct config_problem *q = config_slot(pr, line);
	va_list ap;

	if (!q)
		return;
	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
}

static void config_vperr(struct config_problems *pr, u32 line, const char *pname, const char *field,
			 const char *fmt, va_list ap)
{
	struct config_problem *q = config_slot(pr, line);
	if (!q)
		return;
	int n = pname ? snprintf(q->msg, sizeof(q->msg), "partition '%s': ", pname)
		      : snprintf(q->msg, sizeof(q->msg), "platform: ");
	if (field && (size_t)n < sizeof(q->msg))
		n += snprintf(q->msg + n, sizeof(q->msg) - (size_t)n, "%s: ", field);
	if ((size_t)n < sizeof(q->msg))
		vsnprintf(q->msg + n, sizeof(q->msg) - (size_t)n, fmt, ap);
}

void config_perr(struct config_problems *pr, u32 line, const char *pname, const char *field,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vperr(pr, line, pname, field, fmt, ap);
	va_end(ap);
}

void config_err(struct config_ctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vperr(x->pr, x->line, x->sec == SEC_PARTITION ? x->p->name : NULL, x->field, fmt, ap);
	va_end(ap);
}

static bool lex_space(u8 ch)
{
	return ch == ' ' || ch == '\t';
}
static bool lex_text(u8 ch)
{
	return ch == '\t' || (ch >= 0x20 && ch < 0x7f);
}
static bool lex_comment_byte(u8 ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static int lex_bad_byte(struct config_ctx *x, u8 ch, size_t col)
{
	config_problem(x->pr, x->line, "byte 0x%02x in column %zu is not allowed", ch, col + 1);
	return -EINVAL;
}

static int lex_comment(struct config_ctx *x, const char *s, size_t i, size_t len)
{
	for (; i < len; i++)
		if (!lex_comment_byte((u8)s[i]))
			return lex_bad_byte(x, (u8)s[i], i);
	return 0;
}

/* s[*i] is the opening quote. Only \" and \\ are escapes. */
static int lex_string(struct config_ctx *x, const char *s, size_t len, size_t *i, struct config_tok *t)
{
	size_t j = *i + 1;
	for (; j < len && s[j] != '"'; j++) {
		if (!lex_text((u8)s[j]))
			return lex_bad_byte(x, (u8)s[j], j);
		if (s[j] != '\\')
			continue;
		if (j + 1 < len && (s[j + 1] == '"' || s[j + 1] == '\\')) {
			j++;
			continue;
		}
		config_problem(x->pr, x->line,
			       "bad escape in column %zu (a string knows only \\\" and \\\\)", j + 1);
		return -EINVAL;
	}
	if (j == len) {
		config_problem(x->pr, x->line, "unterminated string starting in column %zu", *i + 1);
		return -EINVAL;
	}
	t->s = s + *i + 1;
	t->len = (u32)(j - *i - 1);
	t->quoted = true;
	*i = j + 1;
	if (*i < len && !lex_space((u8)s[*i]) && s[*i] != '#') {
		config_problem(x->pr, x->line, "a space must follow the closing quote in column %zu",
			       j + 1);
		return -EINVAL;
	}
	return 0;
}

int config_tokenize(struct config_ctx *x, const char *s, size_t len)
{
	size_t i = 0;

	x->ntok = 0;
	while (i < len) {
		u8 ch = (u8)s[i];
		if (!lex_text(ch))
			return lex_bad_byte(x, ch, i);
		if (lex_space(ch)) {
			i++;
			continue;
		}
		if (ch == '#')
			return lex_comment(x, s, i, len);
		if (x->ntok == CONFIG_TOKENS_MAX) {
			config_problem(x->pr, x->line, "more than %d words on one line",
				       CONFIG_TOKENS_MAX);
			return -EINVAL;
		}
		struct config_tok *t = &x->tok[x->ntok++];
		if (ch == '"') {
			int rc = lex_string(x, s, len, &i, t);
			if (rc)
				return rc;
			continue;
		}
		t->s = s + i;
		t->quoted = false;
		while (i < len && lex_text((u8)s[i]) && !lex_space((u8)s[i]) && s[i] != '#')
			i++;
		t->len = (u32)(s + i - t->s);
	}
	return 0;
}

static int lex_digit(char ch, unsigned base)
{
	int d = 99;
	if (ch >= '0' && ch <= '9')
		d = ch - '0';
	else if (ch >= 'a' && ch <= 'f')
		d = ch - 'a' + 10;
	else if (ch >= 'A' && ch <= 'F')
		d = ch - 'A' + 10;
	return d < (int)base ? d : -1;
}

static int lex_shift(char ch)
{
	switch (ch) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default: return -1;
	}
}

/* Decimal without leading zeros or 0x-hex, then (sizes, addresses) one of K M G T (binary). */
int config_number(struct config_ctx *x, const struct config_tok *t, bool suffix, u64 *out)
{
	const char *s = t->s;
	u32 n = t->len, i = 0;
	unsigned base = 10;
	u64 v = 0;
	int shift = 0;

	if (suffix && n > 1 && lex_shift(s[n - 1]) >= 0)
		shift = lex_shift(s[--n]);
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	bool bad = t->quoted || i == n || (base == 10 && n > 1 && s[0] == '0');
	bool big = false;
	for (; !bad && i < n; i++) {
		int d = lex_digit(s[i], base);
		bad = d < 0;
		if (!bad && v > (~0ull - (u64)d) / base)
			big = true;
		v = v * base + (u64)(d < 0 ? 0 : d);
	}
	if (!bad && !big && shift && v > (~0ull >> shift))
		big = true;
	if (bad || big) {
		config_err(x, bad ? "bad number '%.*s'" : "number '%.*s' does not fit in 64 bits",
			   TOK(t));
		return -EINVAL;
	}
	*out = v << shift;
	return 0;
}

bool config_tok_is(const struct config_tok *t, const char *word)
{
	size_t n = strlen(word);
	return !t->quoted && t->len == n && !memcmp(t->s, word, n);
}

int config_choice(struct config_ctx *x, const struct config_tok *t, const char *const *names, u32 n)
{
	char list[96];
	size_t o = 0;

	for (u32 i = 0; i < n; i++)
		if (config_tok_is(t, names[i]))
			return (int)i;
	list[0] = 0;
	for (u32 i = 0; i < n && o < sizeof(list); i++) {
		const char *sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", sep, names[i]);
	}
	config_err(x, "'%.*s' is not %s", TOK(t), list);
	return -EINVAL;
}

bool config_name_ok(const struct config_tok *t)
{
	if (t->quoted || t->len == 0 || t->len >= CONFIG_NAME_MAX)
		return false;
	for (u32 i = 0; i < t->len; i++) {
		char ch = t->s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* A module's name is the first word of its module2 line without any directory (docs/boot.md). */
bool config_module_ok(const struct config_tok *t)
{
	if (t->quoted || t->len == 0 || t->len >= CONFIG_MODULE_MAX)
		return false;
	for (u32 i = 0; i < t->len; i++)
		if (t->s[i] == '/')
			return false;
	return true;
}

void config_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = MIN(len, size - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}
