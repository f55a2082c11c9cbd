/* The core's end against good, bad and missing answers (docs/ring.md §3, §4), single-threaded:
 * requests are taken with the service library, answers are written raw, as a hostile VM would. */
#include <stdio.h>
#include <string.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define TMO 1000
#define SUITE "ring_answers"

struct t {
	struct rt_case c;
	struct rt_world w;
	struct ring_svc s;
	u32 rsp_prod;   /* the raw answer writer's own index */
};

static int t_setup(struct t *t, const char *name, u64 interval)
{
	int e;

	rt_begin(&t->c, SUITE, name);
	t->rsp_prod = 0;
	if (rt_world_init(&t->w, interval)) {
		RT_CHECK(&t->c, 0, "ring_init failed");
		return -1;
	}
	e = ring_svc_attach(&t->s, t->w.area, KEEL_RING_AREA_SIZE);
	RT_CHECK(&t->c, e == 0, "ring_svc_attach: %s", ring_svc_strerror(e));
	return e;
}

static int t_end(struct t *t)
{
	rt_world_free(&t->w);
	return rt_end(&t->c);
}

static void t_raw(struct t *t, u64 id, u32 status, u32 len, const void *data)
{
	struct keel_ring_header *h = t->w.area;

	rt_put_rsp(t->w.area, t->rsp_prod, id, status, len, data);
	rt_set_index(&h->rsp_prod, ++t->rsp_prod);
}

static u64 t_submit(struct t *t, const struct ring_access *a)
{
	u64 id = 0;
	int e = ring_submit(&t->w.ring, a, &id);

	RT_CHECK(&t->c, e == 0 && id != 0, "ring_submit: %d id %llu", e, (unsigned long long)id);
	return id;
}

static void t_take(struct t *t, struct keel_ring_req *q)
{
	int e = ring_svc_next(&t->s, q);

	RT_CHECK(&t->c, e == 1, "ring_svc_next: %d", e);
}

/* Answers request q correctly, raw, with the pattern as data. */
static void t_answer(struct t *t, const struct keel_ring_req *q)
{
	u8 d[KEEL_RING_DATA_MAX];
	u32 len = q->dir == KEEL_RING_READ ? q->count * q->size : 0;

	for (u32 i = 0; i < len; i++)
		d[i] = rt_pattern(q->id, q->addr, i);
	t_raw(t, q->id, KEEL_RING_OK, len, d);
}

static void t_expect_pattern(struct t *t, const u8 *buf, u64 id, u64 addr, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (buf[i] != rt_pattern(id, addr, i)) {
			RT_CHECK(&t->c, 0, "data byte %u is %#x, expected %#x", i, buf[i],
				 rt_pattern(id, addr, i));
			return;
		}
}

static void t_expect_ones(struct t *t, const u8 *buf, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (buf[i] != 0xff) {
			RT_CHECK(&t->c, 0, "byte %u of a failed read is %#x, not 0xff", i, buf[i]);
			return;
		}
}

static void t_events(struct t *t, enum ring_event_kind k, u64 events, u64 lines)
{
	RT_CHECK(&t->c, t->w.ring.stats.events[k] == events && t->w.lines[k] == lines,
		 "%s: %llu events, %llu log lines; expected %llu and %llu", ring_event_text(k),
		 (unsigned long long)t->w.ring.stats.events[k], (unsigned long long)t->w.lines[k],
		 (unsigned long long)events, (unsigned long long)lines);
}

static int case_read_ok(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 4, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[16];
	u64 id;

	if (t_setup(t, "read_ok", 0))
		return t_end(t);
	a.addr = 0xfe000040;
	a.stride = -4;
	id = t_submit(t, &a);
	t_take(t, &q);
	RT_CHECK(&t->c, q.id == id && q.partition == 0 && q.vcpu == 1 &&
		 q.kind == KEEL_RING_MMIO && q.dir == KEEL_RING_READ && q.size == 4 &&
		 q.count == 4 && q.stride == -4 && q.addr == 0xfe000040 && q.device == RT_DEV_MMIO &&
		 q.flags == 0 && !q.reserved0 && !q.reserved1 && !q.reserved2[0] && !q.reserved2[2],
		 "request fields differ from the access");
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "ring_wait failed");
	t_expect_pattern(t, buf, id, a.addr, 16);
	RT_CHECK(&t->c, t->w.notifies == 1 && t->w.ring.stats.answered == 1 &&
		 t->w.total_lines == 0 && ring_outstanding(&t->w.ring) == 0,
		 "notifies %llu answered %llu lines %llu outstanding %u",
		 (unsigned long long)t->w.notifies, (unsigned long long)t->w.ring.stats.answered,
		 (unsigned long long)t->w.total_lines, ring_outstanding(&t->w.ring));
	return t_end(t);
}

static int case_write_ok(struct t *t)
{
	u8 data[24];
	struct ring_access a;
	struct keel_ring_req q;
	u64 id;

	if (t_setup(t, "write_ok", 0))
		return t_end(t);
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(0xa0 + i);
	a = rt_access(RT_DEV_PIO, KEEL_RING_WRITE, 2, 12, data, TMO);
	a.stride = 0;
	a.flags = KEEL_RING_F_RMW;
	id = t_submit(t, &a);
	t_take(t, &q);
	RT_CHECK(&t->c, q.id == id && q.dir == KEEL_RING_WRITE && q.kind == KEEL_RING_PIO &&
		 q.count == 12 && q.size == 2 && q.stride == 0 && q.flags == KEEL_RING_F_RMW &&
		 !memcmp(q.data, data, sizeof(data)), "write request differs from the access");
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, NULL) == 0, "ring_wait on a write failed");
	RT_CHECK(&t->c, t->w.total_lines == 0, "%llu log lines", (unsigned long long)t->w.total_lines);
	return t_end(t);
}

static int case_posted_ack(struct t *t)
{
	u32 v = 0x12345678;
	struct ring_access a = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, TMO);
	struct keel_ring_req q;

	if (t_setup(t, "posted_ack", 0))
		return t_end(t);
	a.flags = KEEL_RING_F_POSTED;
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, NULL) == 0, "posted write not accepted");
	RT_CHECK(&t->c, t->w.pauses == 0, "a posted write waited (%llu pauses)",
		 (unsigned long long)t->w.pauses);
	RT_CHECK(&t->c, ring_outstanding(&t->w.ring) == 1, "posted write not tracked");
	t_take(t, &q);
	RT_CHECK(&t->c, q.flags == KEEL_RING_F_POSTED, "request flags %#x", q.flags);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, q.id, NULL) == -EINVAL, "a posted write was waitable");
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_poll(&t->w.ring) == 1, "the acknowledgement was not consumed");
	RT_CHECK(&t->c, ring_outstanding(&t->w.ring) == 0 && t->w.ring.stats.posted_acked == 1,
		 "acknowledged posted write still tracked");
	return t_end(t);
}

static int case_failed_status(struct t *t, const char *name, u32 status)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 8, 2, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[16];
	u64 id;

	if (t_setup(t, name, 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	t_raw(t, id, status, 16, "0123456789abcdef");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == -EIO, "not -EIO");
	t_expect_ones(t, buf, sizeof(buf));
	RT_CHECK(&t->c, t->w.total_lines == 0, "a valid failure answer was logged");
	return t_end(t);
}

static int case_eio(struct t *t) { return case_failed_status(t, "status_eio", KEEL_RING_EIO); }
static int case_enodev(struct t *t) { return case_failed_status(t, "status_enodev", KEEL_RING_ENODEV); }

static int case_unknown_id(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 1, 3, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[3];
	u64 id;

	if (t_setup(t, "unknown_id", 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	t_raw(t, 0, KEEL_RING_OK, 3, "abc");
	t_raw(t, (1000ull << RING_PENDING_SHIFT) | 5, KEEL_RING_OK, 3, "abc");
	t_raw(t, id + 1, KEEL_RING_OK, 3, "abc");
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the real answer was lost");
	t_expect_pattern(t, buf, id, a.addr, 3);
	t_events(t, RING_EV_UNKNOWN_ID, 2, 2);
	t_events(t, RING_EV_STALE, 1, 1);
	return t_end(t);
}

static int case_duplicate(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 2, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[2];
	u64 id;

	if (t_setup(t, "duplicate", 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	t_answer(t, &q);
	t_raw(t, id, KEEL_RING_OK, 2, "zz");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "ring_wait failed");
	t_expect_pattern(t, buf, id, a.addr, 2);
	t_raw(t, id, KEEL_RING_OK, 2, "yy");
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_DUPLICATE, 2, 2);
	RT_CHECK(&t->c, t->w.ring.stats.answered == 1, "answered %llu times",
		 (unsigned long long)t->w.ring.stats.answered);
	return t_end(t);
}

static int case_stale(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[4];
	u64 first = 0;

	if (t_setup(t, "stale", 0))
		return t_end(t);
	for (u32 i = 0; i <= RING_PENDING_MAX && !t->c.failed; i++) {
		u64 id = t_submit(t, &a);

		first = i ? first : id;
		t_take(t, &q);
		t_answer(t, &q);
		RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "round %u failed", i);
	}
	t_raw(t, first, KEEL_RING_OK, 4, "abcd");
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_STALE, 1, 1);
	return t_end(t);
}

static int case_bad_len(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 2, 4, NULL, TMO);
	u16 wv[2] = { 1, 2 };
	struct ring_access wa = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 2, 2, wv, TMO);
	struct keel_ring_req q, wq;
	static const u32 bad[] = { 7, 9, 0xffffffffu, 0, 256, 257 };
	u8 buf[8];
	u64 id, wid;

	if (t_setup(t, "bad_len", 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	wid = t_submit(t, &wa);
	t_take(t, &wq);
	for (u32 i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		t_raw(t, id, KEEL_RING_OK, bad[i], NULL);
	t_raw(t, wid, KEEL_RING_OK, 4, NULL);
	t_raw(t, wid, KEEL_RING_OK, 0xffffffffu, NULL);
	t_answer(t, &q);
	t_answer(t, &wq);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the read's good answer was lost");
	t_expect_pattern(t, buf, id, a.addr, 8);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, wid, NULL) == 0, "the write's good answer was lost");
	t_events(t, RING_EV_BAD_LEN, 8, 8);
	return t_end(t);
}

static int case_bad_status(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[1];
	u64 id;

	if (t_setup(t, "bad_status", 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	t_raw(t, id, 3, 1, "x");
	t_raw(t, id, 0xffffffffu, 1, "x");
	t_raw(t, id, 0x100, 1, "x");
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the good answer was lost");
	t_expect_pattern(t, buf, id, a.addr, 1);
	t_events(t, RING_EV_BAD_STATUS, 3, 3);
	return t_end(t);
}

static int case_late(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 8, NULL, TMO);
	struct ring_access b = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[32];
	u64 id, t0;
	int e;

	if (t_setup(t, "late_answer", 0))
		return t_end(t);
	id = t_submit(t, &a);
	t_take(t, &q);
	t0 = t->w.now;
	e = ring_wait(&t->w.ring, id, buf);
	RT_CHECK(&t->c, e == -ETIMEDOUT, "ring_wait returned %d, not -ETIMEDOUT", e);
	RT_CHECK(&t->c, t->w.now - t0 >= TMO && t->w.now - t0 <= TMO + 1,
		 "timed out after %llu ticks, timeout %u", (unsigned long long)(t->w.now - t0), TMO);
	t_expect_ones(t, buf, sizeof(buf));
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_poll(&t->w.ring) == 1, "late answer not consumed");
	t_events(t, RING_EV_LATE, 1, 1);
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "second read answered");
	RT_CHECK(&t->c, ring_access(&t->w.ring, &b, buf) == -ETIMEDOUT, "third read answered");
	t_events(t, RING_EV_TIMEOUT, 3, 2);
	RT_CHECK(&t->c, t->w.ring.stats.timed_out == 3 && ring_outstanding(&t->w.ring) == 0,
		 "timed_out %llu outstanding %u", (unsigned long long)t->w.ring.stats.timed_out,
		 ring_outstanding(&t->w.ring));
	return t_end(t);
}

static int case_rate_limit(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 1, 1, "w", TMO);
	u64 id;

	if (t_setup(t, "rate_limit", 100))
		return t_end(t);
	for (u64 i = 1; i <= 10; i++)
		t_raw(t, (5000 + i) << RING_PENDING_SHIFT, KEEL_RING_OK, 0, NULL);
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_UNKNOWN_ID, 10, 1);
	t->w.now += 99;
	t_raw(t, 7, KEEL_RING_OK, 0, NULL);
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_UNKNOWN_ID, 11, 1);
	t->w.now += 1;
	t_raw(t, 8, KEEL_RING_OK, 0, NULL);
	t_raw(t, 9, 77, 0, NULL);
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_UNKNOWN_ID, 13, 2);
	id = t_submit(t, &a);
	t_raw(t, id, 77, 0, NULL);
	ring_poll(&t->w.ring);
	t_events(t, RING_EV_BAD_STATUS, 1, 1);
	return t_end(t);
}

static int case_bad_access(struct t *t)
{
	u8 d[8] = { 0 };
	struct ring_access ok = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 4, 2, d, TMO);
	struct ring_access bad[12];
	u8 buf[KEEL_RING_DATA_MAX + 8];
	u64 id;

	if (t_setup(t, "bad_access", 0))
		return t_end(t);
	for (u32 i = 0; i < 12; i++)
		bad[i] = ok;
	bad[0].size = 3;
	bad[1].count = 0;
	bad[2].count = KEEL_RING_DATA_MAX / 4 + 1;
	bad[3].stride = 2;
	bad[4].device = RT_NDEV;
	bad[5].kind = KEEL_RING_PIO;
	bad[6].partition = 1;
	bad[7].dir = KEEL_RING_READ;
	bad[7].flags = KEEL_RING_F_POSTED;
	bad[8].flags = 0x80;
	bad[9].data = NULL;
	bad[10].dir = 2;
	bad[11].count = 0x80000001u;
	for (u32 i = 0; i < 12; i++) {
		RT_CHECK(&t->c, ring_submit(&t->w.ring, &bad[i], &id) == -EINVAL,
			 "ring_submit accepted bad access %u", i);
		RT_CHECK(&t->c, ring_access(&t->w.ring, &bad[i], buf) == -EINVAL,
			 "ring_access accepted bad access %u", i);
	}
	RT_CHECK(&t->c, rt_get_index(&((struct keel_ring_header *)t->w.area)->req_prod) == 0 &&
		 t->w.notifies == 0, "a bad access reached the ring");
	return t_end(t);
}

/* Three requests at a time, answered in reverse order: ids increase, answers match. */
static int case_ids_increasing(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 4, NULL, TMO);
	struct keel_ring_req q[3];
	u64 last = 0, id[3];
	u8 buf[4];

	if (t_setup(t, "ids_increasing", 0))
		return t_end(t);
	for (u32 round = 0; round < 300 && !t->c.failed; round++) {
		for (u32 k = 0; k < 3; k++) {
			a.addr = 0x3f8 + round * 3 + k;
			id[k] = t_submit(t, &a);
			RT_CHECK(&t->c, id[k] > last, "id %llu after %llu",
				 (unsigned long long)id[k], (unsigned long long)last);
			last = id[k];
			t_take(t, &q[k]);
		}
		for (u32 k = 3; k-- > 0;)
			t_answer(t, &q[k]);
		for (u32 k = 0; k < 3; k++) {
			RT_CHECK(&t->c, ring_wait(&t->w.ring, id[k], buf) == 0, "round %u lost", round);
			t_expect_pattern(t, buf, id[k], q[k].addr, 4);
		}
	}
	RT_CHECK(&t->c, t->w.total_lines == 0 && t->w.ring.stats.answered == 900,
		 "lines %llu answered %llu", (unsigned long long)t->w.total_lines,
		 (unsigned long long)t->w.ring.stats.answered);
	return t_end(t);
}

/* Back-pressure: the request ring holds 64, the pending table 128. */
static int case_back_pressure(struct t *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct keel_ring_req q, first;
	u32 n = 0;
	u8 buf[4];
	u64 id;
	int e;

	if (t_setup(t, "back_pressure", 0))
		return t_end(t);
	while ((e = ring_submit(&t->w.ring, &a, &id)) == 0)
		n++;
	RT_CHECK(&t->c, e == -EBUSY && n == KEEL_RING_SLOTS, "ring full after %u: %d", n, e);
	t_take(t, &first);
	RT_CHECK(&t->c, ring_submit(&t->w.ring, &a, &id) == 0, "a freed slot was not reused");
	for (n++; ring_svc_next(&t->s, &q) == 1;)
		;
	while ((e = ring_submit(&t->w.ring, &a, &id)) == 0 || e == -EBUSY) {
		n += e == 0;
		while (ring_svc_next(&t->s, &q) == 1)
			;
	}
	RT_CHECK(&t->c, e == -ENOSPC && n == RING_PENDING_MAX, "table full after %u: %d", n, e);
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "read got through");
	t_expect_ones(t, buf, 4);
	t_events(t, RING_EV_TABLE_FULL, 1, 1);
	RT_CHECK(&t->c, !ring_is_broken(&t->w.ring), "a full table broke the ring");
	t_answer(t, &first);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, first.id, buf) == 0, "the answered read failed");
	RT_CHECK(&t->c, ring_submit(&t->w.ring, &a, &id) == 0, "a freed entry was not reused");
	return t_end(t);
}

static int case_wait_invalid(struct t *t)
{
	u32 v = 1;
	struct ring_access r = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct ring_access p = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, TMO);
	struct keel_ring_req q;
	u8 buf[4];
	u64 id, pid;

	if (t_setup(t, "wait_invalid", 0))
		return t_end(t);
	p.flags = KEEL_RING_F_POSTED;
	id = t_submit(t, &r);
	pid = t_submit(t, &p);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, 0, buf) == -EINVAL, "id 0 waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id + 1, buf) == -EINVAL, "unsent id waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, pid, buf) == -EINVAL, "posted id waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, NULL) == -EINVAL, "read without a buffer");
	t_take(t, &q);
	t_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the read failed");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == -EINVAL, "collected twice");
	RT_CHECK(&t->c, t->w.pauses == 0, "an invalid wait spun");
	return t_end(t);
}

static int (*const cases[])(struct t *) = {
	case_read_ok, case_write_ok, case_posted_ack, case_eio, case_enodev, case_unknown_id,
	case_duplicate, case_stale, case_bad_len, case_bad_status, case_late, case_rate_limit,
	case_bad_access, case_ids_increasing, case_back_pressure, case_wait_invalid,
};

int main(void)
{
	static struct t t;
	int failed = 0;

	for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += cases[i](&t);
	return failed != 0;
}
