/* The device's log against the architecture: which bytes an instruction reads and writes (each
 * exactly once, in element order, reads of an element before its writes), and a replay of the
 * log over the window's initial bytes that must reproduce every read and the final window. */
#include "suite.h"

struct item {
	bool port, write;
	uint32_t off, len;  /* window offset, or port offset in the block */
	uint32_t elem;
	int first, last;    /* log entries that covered it */
};

#define MAX_ITEMS (2 * 520 + 4)
static struct item items[MAX_ITEMS];
static uint8_t shadow[SC_WIN_BYTES];

struct want {
	struct item *it;
	unsigned n;
};

static void want_add(struct want *w, bool port, bool write, uint32_t off, uint32_t len, uint32_t elem)
{
	if (w->n < MAX_ITEMS)
		w->it[w->n++] = (struct item){ port, write, off, len, elem, -1, -1 };
}

static uint32_t str_off(const struct sc *c, uint32_t first, uint32_t i)
{
	return c->df ? first - i * c->msize : first + i * c->msize;
}

static uint32_t str_done(const struct plan *p, const struct outcome *b)
{
	const struct sc *c = p->c;
	if (!c->rep)
		return b->x.exc ? 0 : 1;
	return p->n - (uint32_t)(b->out.gpr[RCX] & mask(c->asz));
}

/* The accesses of string element i to the window and the port block, in the order the SDM
 * describes the operation. */
static void want_string(const struct plan *p, const struct outcome *b, struct want *w)
{
	const struct sc *c = p->c;
	uint32_t done = str_done(p, b), s = c->msize;
	for (uint32_t i = 0; i < done; i++) {
		uint32_t so = str_off(c, p->soff, i), d = str_off(c, p->doff, i);
		bool sw = c->src == ROLE_WIN, dw = c->dst == ROLE_WIN;
		switch (c->str) {
		case STR_MOVS:
			if (sw) want_add(w, false, false, so, s, i);
			if (dw) want_add(w, false, true, d, s, i);
			break;
		case STR_CMPS:
			if (sw) want_add(w, false, false, so, s, i);
			if (dw) want_add(w, false, false, d, s, i);
			break;
		case STR_STOS:
			want_add(w, false, true, d, s, i);
			break;
		case STR_LODS:
			want_add(w, false, false, so, s, i);
			break;
		case STR_SCAS:
			want_add(w, false, false, d, s, i);
			break;
		case STR_INS:
			want_add(w, true, false, c->port, s, i);
			if (dw) want_add(w, false, true, d, s, i);
			break;
		default: /* OUTS */
			if (sw) want_add(w, false, false, so, s, i);
			want_add(w, true, true, c->port, s, i);
			break;
		}
	}
}

static void want_build(const struct plan *p, const struct outcome *b, struct want *w)
{
	const struct sc *c = p->c;
	if (c->kind == SC_STR) {
		want_string(p, b, w);
		return;
	}
	if (b->x.exc)
		return;
	if (c->kind == SC_IO) {
		want_add(w, true, c->str == STR_OUT, c->port, c->msize, 0);
		return;
	}
	if (c->cls & SC_R)
		want_add(w, false, false, p->off, c->msize, 0);
	if (c->cls & SC_W)
		want_add(w, false, true, p->off, c->msize, 0);
}

static void entry_decode(const struct tdev_entry *e, bool *port, bool *write, uint32_t *off,
			 uint32_t *size)
{
	*port = e->info & KEEL_TESTDEV_INFO_PORT;
	*write = (e->info >> 24) & 1;
	*off = e->info & 0xffff;
	*size = (e->info >> 16) & 0xff;
}

/* Covers the wanted items of one direction with that direction's log entries, in order. */
static bool cover(struct want *w, bool write, const struct tdev_entry *log, uint32_t nlog,
		  char *why, size_t len)
{
	uint32_t j = 0;
	for (unsigned k = 0; k < w->n; k++) {
		struct item *it = &w->it[k];
		if (it->write != write)
			continue;
		for (uint32_t pos = it->off; pos < it->off + it->len;) {
			bool port, wr;
			uint32_t off, size;
			while (j < nlog && ((log[j].info >> 24) & 1) != write)
				j++;
			if (j == nlog) {
				g_snprintf(why, len, "log: no %s of %s %x (element %u)", write ? "write" : "read",
					   it->port ? "port" : "offset", pos, it->elem);
				return false;
			}
			entry_decode(&log[j], &port, &wr, &off, &size);
			bool ok = port == it->port && (port ? off == it->off && size == it->len :
						       off == pos && off + size <= it->off + it->len);
			if (!ok || !size || size > 8) {
				g_snprintf(why, len, "log entry %u: %s %x size %u, want %s %x (element %u)",
					   j, port ? "port" : "offset", off, size,
					   it->port ? "port" : "offset", pos, it->elem);
				return false;
			}
			if (it->first < 0)
				it->first = (int)j;
			it->last = (int)j;
			pos = port ? it->off + it->len : pos + size;
			j++;
		}
	}
	for (; j < nlog; j++) {
		if (((log[j].info >> 24) & 1) == write) {
			g_snprintf(why, len, "log entry %u (info %x) is one %s too many", j, log[j].info,
				   write ? "write" : "read");
			return false;
		}
	}
	return true;
}

/* An element's reads come before its writes (read-modify-write, MOVS, INS, OUTS); an element's
 * items are next to each other in the list. */
static bool order(const struct want *w, char *why, size_t len)
{
	for (unsigned a = 0; a < w->n;) {
		unsigned b = a;
		int last_read = -1, first_write = 1 << 30;
		for (; b < w->n && w->it[b].elem == w->it[a].elem; b++) {
			const struct item *x = &w->it[b];
			if (!x->write && x->last > last_read)
				last_read = x->last;
			if (x->write && x->first < first_write)
				first_write = x->first;
		}
		if (last_read > first_write) {
			g_snprintf(why, len, "log: element %u written (entry %d) before it was read (entry %d)",
				   w->it[a].elem, first_write, last_read);
			return false;
		}
		a = b;
	}
	return true;
}

static bool replay(const struct plan *p, const uint8_t *win0, const uint8_t *win_a,
		   const struct tdev_entry *log, uint32_t nlog, char *why, size_t len)
{
	uint32_t cursor = p->cursor;
	memcpy(shadow + p->wlo, win0 + p->wlo, p->whi - p->wlo);
	for (uint32_t j = 0; j < nlog; j++) {
		bool port, write;
		uint32_t off, size;
		entry_decode(&log[j], &port, &write, &off, &size);
		uint32_t at = port ? cursor : off;
		if (at < p->wlo || at + size > p->whi) {
			g_snprintf(why, len, "log entry %u touches window byte %x outside the case's", j, at);
			return false;
		}
		if (!write && memcmp(shadow + at, &log[j].data, size)) {
			g_snprintf(why, len, "log entry %u read %lx, the window held other bytes", j,
				   (unsigned long)log[j].data);
			return false;
		}
		if (write)
			memcpy(shadow + at, &log[j].data, size);
		if (port)
			cursor += size;
	}
	for (uint32_t i = p->wlo; i < p->whi; i++) {
		if (shadow[i] != win_a[i]) {
			g_snprintf(why, len, "log replay leaves byte %x at %02x, the window holds %02x", i,
				   shadow[i], win_a[i]);
			return false;
		}
	}
	return true;
}

bool check_log(const struct plan *p, const struct outcome *b, const uint8_t *win0,
	       const uint8_t *win_a, const struct tdev_entry *log, uint32_t nlog, uint32_t total,
	       char *why, size_t len)
{
	struct want w = { items, 0 };
	if (total != nlog) {
		g_snprintf(why, len, "log: %u accesses, more than the %u kept", total, nlog);
		return false;
	}
	want_build(p, b, &w);
	return cover(&w, false, log, nlog, why, len) && cover(&w, true, log, nlog, why, len) &&
	       order(&w, why, len) && replay(p, win0, win_a, log, nlog, why, len);
}
