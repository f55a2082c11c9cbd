/* libFuzzer target over the core's end (docs/ring.md §3): the input is a program of operations
 * (submit, write a response slot, move rsp_prod or req_cons, poll, wait, let the service library
 * take and answer, move the clock, scribble the service's header fields). After every operation:
 * the core never wrote what the service VM owns, never touched the ring again once broken, and
 * every completed read carries either data some valid answer gave for its id, or all-ones. */
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define IDS 64
#define LOG_MAX 512

struct in {
	const u8 *p;
	size_t n;
};

struct tracked {
	u64 id;
	u32 len;          /* expected answer length */
	u8 dir, live;
};

/* Every well-formed OK answer ever written, whatever its id: the data a read may return. */
struct answer {
	u64 id;
	u32 len;
	u8 data[KEEL_RING_DATA_MAX];
};

struct fz {
	struct rt_world w;
	struct ring_svc svc;
	bool svc_ok;
	struct tracked t[IDS];
	u32 nt;
	u32 rsp_prod;           /* the fuzzer's own rsp_prod (raw writes) */
	u8 *shadow;             /* the whole area as it must be, given who may write what */
	bool broken_seen;
	u32 nlog;
	struct answer log[LOG_MAX];
};

static void log_answer(struct fz *f, u64 id, u32 status, u32 len, const u8 *data)
{
	if (status != KEEL_RING_OK || len > KEEL_RING_DATA_MAX)
		return;
	if (f->nlog < LOG_MAX) {
		f->log[f->nlog].id = id;
		f->log[f->nlog].len = len;
		memcpy(f->log[f->nlog].data, data, len);
	}
	f->nlog++;
}

/* Could some answer written for `id` have carried these bytes? (Unknown once the log overflowed.) */
static bool answered_with(const struct fz *f, u64 id, const u8 *buf, u32 len)
{
	if (f->nlog > LOG_MAX)
		return true;
	for (u32 i = 0; i < f->nlog; i++)
		if (f->log[i].id == id && f->log[i].len == len && !memcmp(f->log[i].data, buf, len))
			return true;
	return false;
}

static u64 get(struct in *in, u32 bytes)
{
	u64 v = 0;

	for (u32 i = 0; i < bytes && in->n; i++, in->n--)
		v |= (u64)*in->p++ << (8 * i);
	return v;
}

#define REGION(field) offsetof(struct keel_ring_header, field)

struct span {
	size_t from, to;
};

/* Bytes only the service VM (here: the fuzzer and the service library) may write. */
static const struct span svc_spans[] = {
	{ REGION(svc_version_major), REGION(req_prod) },
	{ REGION(req_cons), REGION(rsp_cons) },
	{ KEEL_RING_RSP_OFFSET, KEEL_RING_AREA_SIZE },
};

/* Everything else: the core's, or nobody's (padding). */
static const struct span core_spans[] = {
	{ 0, REGION(svc_version_major) },
	{ REGION(req_prod), REGION(req_cons) },
	{ REGION(rsp_cons), KEEL_RING_RSP_OFFSET },
};

static bool spans_equal(const struct span *s, u32 n, const u8 *a, const u8 *b)
{
	for (u32 i = 0; i < n; i++)
		if (memcmp(a + s[i].from, b + s[i].from, s[i].to - s[i].from))
			return false;
	return true;
}

static void spans_copy(const struct span *s, u32 n, u8 *dst, const u8 *src)
{
	for (u32 i = 0; i < n; i++)
		memcpy(dst + s[i].from, src + s[i].from, s[i].to - s[i].from);
}

#define NSPANS(s) (u32)(sizeof(s) / sizeof((s)[0]))

static void check_area(struct fz *f)
{
	if (!spans_equal(svc_spans, NSPANS(svc_spans), f->w.area, f->shadow))
		abort(); /* the core wrote the service's bytes */
	if (f->broken_seen && !spans_equal(core_spans, NSPANS(core_spans), f->w.area, f->shadow))
		abort(); /* the core touched a ring it had declared broken */
	spans_copy(core_spans, NSPANS(core_spans), f->shadow, f->w.area);
	f->broken_seen = ring_is_broken(&f->w.ring);
}

/* A write by the service side: the shadow follows it. */
static void svc_wrote(struct fz *f)
{
	spans_copy(svc_spans, NSPANS(svc_spans), f->shadow, f->w.area);
}

static struct tracked *track_pick(struct fz *f, struct in *in)
{
	return f->nt ? &f->t[get(in, 1) % f->nt] : NULL;
}

/* Mostly well-formed accesses (to get past validation), sometimes raw ones (to test it). */
static struct ring_access fz_access(struct in *in, u8 *wdata)
{
	static const u8 flags[] = { 0, KEEL_RING_F_RMW, KEEL_RING_F_POSTED, 0 };
	u32 mode = (u32)get(in, 1);
	u16 dev = (u16)(get(in, 1) % (RT_NDEV + 1));
	u8 size = (u8)(1u << (mode >> 1 & 3));
	struct ring_access a = rt_access(dev % RT_NDEV, (u8)(mode >> 3 & 1), size,
					 1 + (u32)get(in, 1) % (KEEL_RING_DATA_MAX / size), wdata,
					 get(in, 1));

	a.device = dev == RT_NDEV ? 0 : dev;
	a.stride = (s32)size * ((s32)(mode >> 4 & 3) - 1);
	a.flags = flags[mode >> 6];
	if (mode & 1) {
		a.device = dev;
		a.dir = (u8)(get(in, 1) % 3);
		a.size = (u8)get(in, 1);
		a.count = (u32)get(in, 1);
		a.stride = (s32)(s8)get(in, 1);
		a.flags = (u8)get(in, 1);
	}
	return a;
}

static void op_submit(struct fz *f, struct in *in, bool blocking)
{
	u8 wdata[KEEL_RING_DATA_MAX], buf[KEEL_RING_DATA_MAX];
	struct ring_access a = fz_access(in, wdata);
	struct tracked *t;
	u64 id;

	memset(wdata, 0xa5, sizeof(wdata));
	if (blocking) {
		int e = ring_access(&f->w.ring, &a, buf);

		if (e != 0 && e != -EIO && e != -ETIMEDOUT && e != -EINVAL)
			abort();
		return;
	}
	if (ring_submit(&f->w.ring, &a, &id) || a.flags & KEEL_RING_F_POSTED)
		return;
	t = &f->t[f->nt < IDS ? f->nt++ : id % IDS];
	*t = (struct tracked){ .id = id, .dir = a.dir, .live = 1,
			       .len = a.dir == KEEL_RING_READ ? a.count * a.size : 0 };
}

static void op_answer(struct fz *f, struct in *in)
{
	u8 data[KEEL_RING_DATA_MAX];
	struct tracked *t = track_pick(f, in);
	u32 mode = (u32)get(in, 1);
	u64 id = t && (mode & 1) ? t->id : get(in, 8);
	u32 status = mode & 2 ? (u32)get(in, 4) : (u32)(get(in, 1) % 3);
	u32 len = t && (mode & 4) ? t->len : (u32)get(in, mode & 8 ? 4 : 2);

	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)get(in, 1);
	log_answer(f, id, status, len, data);
	rt_put_rsp(f->w.area, f->rsp_prod, id, status, len, data);
	f->rsp_prod++;
	if (mode & 16)
		rt_set_index(&((struct keel_ring_header *)f->w.area)->rsp_prod, f->rsp_prod);
	svc_wrote(f);
}

static void op_index(struct fz *f, struct in *in, struct keel_ring_index *ix)
{
	u32 mode = (u32)get(in, 1);
	u32 v = mode & 1 ? (u32)get(in, 4) : rt_get_index(ix) + (u32)(s32)(s8)get(in, 1);

	rt_set_index(ix, v);
	if (ix == &((struct keel_ring_header *)f->w.area)->rsp_prod)
		f->rsp_prod = v;
	svc_wrote(f);
}

/* After a poll on a sound ring, either everything published was consumed or the ring is
 * broken, and broken exactly when rsp_prod was more than `slots` ahead. */
static void op_poll(struct fz *f)
{
	struct keel_ring_header *h = f->w.area;
	bool was = ring_is_broken(&f->w.ring);
	u32 ahead = rt_get_index(&h->rsp_prod) - rt_get_index(&h->rsp_cons);

	ring_poll(&f->w.ring);
	if (was)
		return;
	if ((ahead > KEEL_RING_SLOTS) != ring_is_broken(&f->w.ring))
		abort();
	if (!ring_is_broken(&f->w.ring) && rt_get_index(&h->rsp_cons) != rt_get_index(&h->rsp_prod))
		abort();
}

static bool ones(const u8 *b, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (b[i] != 0xff)
			return false;
	return true;
}

static void op_wait(struct fz *f, struct in *in)
{
	struct tracked *t = track_pick(f, in);
	u8 buf[KEEL_RING_DATA_MAX];
	u64 start = f->w.now;
	int e;

	if (!t)
		return;
	e = ring_wait(&f->w.ring, t->id, buf);
	if (!t->live) {
		if (e != -EINVAL)
			abort(); /* completed twice */
		return;
	}
	t->live = 0;
	if (f->w.now - start > 256)
		abort(); /* waited past any deadline the fuzzer can set */
	if (e == -EIO || e == -ETIMEDOUT) {
		if (t->dir == KEEL_RING_READ && !ones(buf, t->len))
			abort();
	} else if (e != 0) {
		abort();
	} else if (t->dir == KEEL_RING_READ && !answered_with(f, t->id, buf, t->len)) {
		abort(); /* data no valid answer carried */
	}
}

/* The service library takes what is there and answers it correctly. */
static void op_service(struct fz *f, struct in *in)
{
	struct keel_ring_req q;
	struct keel_ring_rsp rsp;
	u32 n = (u32)get(in, 1) % 8;

	if (!f->svc_ok)
		return;
	/* The raw writer and the library share one response producer: hand it over. */
	f->svc.rsp_prod = f->rsp_prod;
	while (n-- && ring_svc_next(&f->svc, &q) == 1) {
		ring_svc_answer_init(&rsp, &q, KEEL_RING_OK);
		memset(rsp.data, 0x3c ^ (u8)q.id, rsp.len);
		log_answer(f, q.id, rsp.status, rsp.len, rsp.data);
		if (ring_svc_answer(&f->svc, &rsp))
			break;
	}
	f->rsp_prod = f->svc.rsp_prod;
	svc_wrote(f);
}

static void op_scribble(struct fz *f, struct in *in)
{
	static const size_t fields[] = { REGION(svc_version_major), REGION(svc_version_minor),
					 REGION(svc_ready), REGION(svc_reserved) };
	u8 *a = f->w.area;

	a[fields[get(in, 1) % 4]] = (u8)get(in, 1);
	svc_wrote(f);
}

static void fz_run(struct fz *f, struct in *in)
{
	struct keel_ring_header *h = f->w.area;

	while (in->n) {
		switch (get(in, 1) % 10) {
		case 0: op_submit(f, in, false); break;
		case 1: op_answer(f, in); break;
		case 2: op_index(f, in, &h->rsp_prod); break;
		case 3: op_index(f, in, &h->req_cons); break;
		case 4: op_poll(f); break;
		case 5: op_wait(f, in); break;
		case 6: op_service(f, in); break;
		case 7: f->w.now += get(in, 1); break;
		case 8: op_submit(f, in, true); break;
		default: op_scribble(f, in); break;
		}
		check_area(f);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct fz f;
	struct in in = { data, size };
	u32 start = (u32)get(&in, 1);

	memset(&f, 0, sizeof(f));
	if (rt_world_init(&f.w, get(&in, 1)))
		abort();
	f.shadow = malloc(KEEL_RING_AREA_SIZE);
	if (start % 4 != 0)
		f.svc_ok = ring_svc_attach(&f.svc, f.w.area, KEEL_RING_AREA_SIZE) == 0;
	if (start % 4 == 3)
		((struct keel_ring_header *)f.w.area)->svc_version_major = (u16)(start >> 2);
	memcpy(f.shadow, f.w.area, KEEL_RING_AREA_SIZE);
	fz_run(&f, &in);
	for (u32 i = 0; i < f.nt; i++)
		if (f.t[i].live) {
			struct in last = { (const u8[]){ (u8)i }, 1 };

			op_wait(&f, &last);
		}
	if (ring_outstanding(&f.w.ring) > RING_PENDING_MAX)
		abort();
	free(f.shadow);
	rt_world_free(&f.w);
	return 0;
}
