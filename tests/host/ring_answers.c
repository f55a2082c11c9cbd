/* The core's end against good, bad and missing answers (docs/ring.md §3, §4), single-threaded:
 * requests are taken with the service library, answers are written raw, as a hostile VM would. */
#include <stdio.h>
#include <string.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define TMO 1000
static const char *suite = "ring_answers";

static int case_read_ok(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 4, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[16];
	u64 id;

	if (rt_setup(t, suite, "read_ok", 0))
		return rt_done(t);
	a.addr = 0xfe000040;
	a.stride = -4;
	id = rt_submit(t, &a);
	rt_take(t, &q);
	RT_CHECK(&t->c, q.id == id && q.partition == 0 && q.vcpu == 1 &&
		 q.kind == KEEL_RING_MMIO && q.dir == KEEL_RING_READ && q.size == 4 &&
		 q.count == 4 && q.stride == -4 && q.addr == 0xfe000040 && q.device == RT_DEV_MMIO &&
		 q.flags == 0 && !q.reserved0 && !q.reserved1 && !q.reserved2[0] && !q.reserved2[2],
		 "request fields differ from the access");
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "ring_wait failed");
	rt_expect_pattern(t, buf, id, a.addr, 16);
	RT_CHECK(&t->c, t->w.notifies == 1 && t->w.ring.stats.answered == 1 &&
		 t->w.total_lines == 0 && ring_outstanding(&t->w.ring) == 0,
		 "notifies %llu answered %llu lines %llu outstanding %u",
		 (unsigned long long)t->w.notifies, (unsigned long long)t->w.ring.stats.answered,
		 (unsigned long long)t->w.total_lines, ring_outstanding(&t->w.ring));
	return rt_done(t);
}

static int case_write_ok(struct rt_test *t)
{
	u8 data[24];
	struct ring_access a;
	struct keel_ring_req q;
	u64 id;

	if (rt_setup(t, suite, "write_ok", 0))
		return rt_done(t);
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(0xa0 + i);
	a = rt_access(RT_DEV_PIO, KEEL_RING_WRITE, 2, 12, data, TMO);
	a.stride = 0;
	a.flags = KEEL_RING_F_RMW;
	id = rt_submit(t, &a);
	rt_take(t, &q);
	RT_CHECK(&t->c, q.id == id && q.dir == KEEL_RING_WRITE && q.kind == KEEL_RING_PIO &&
		 q.count == 12 && q.size == 2 && q.stride == 0 && q.flags == KEEL_RING_F_RMW &&
		 !memcmp(q.data, data, sizeof(data)), "write request differs from the access");
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, NULL) == 0, "ring_wait on a write failed");
	RT_CHECK(&t->c, t->w.total_lines == 0, "%llu log lines", (unsigned long long)t->w.total_lines);
	return rt_done(t);
}

static int case_posted_ack(struct rt_test *t)
{
	u32 v = 0x12345678;
	struct ring_access a = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, TMO);
	struct keel_ring_req q;

	if (rt_setup(t, suite, "posted_ack", 0))
		return rt_done(t);
	a.flags = KEEL_RING_F_POSTED;
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, NULL) == 0, "posted write not accepted");
	RT_CHECK(&t->c, t->w.pauses == 0, "a posted write waited (%llu pauses)",
		 (unsigned long long)t->w.pauses);
	RT_CHECK(&t->c, ring_outstanding(&t->w.ring) == 1, "posted write not tracked");
	rt_take(t, &q);
	RT_CHECK(&t->c, q.flags == KEEL_RING_F_POSTED, "request flags %#x", q.flags);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, q.id, NULL) == -EINVAL, "a posted write was waitable");
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_poll(&t->w.ring) == 1, "the acknowledgement was not consumed");
	RT_CHECK(&t->c, ring_outstanding(&t->w.ring) == 0 && t->w.ring.stats.posted_acked == 1,
		 "acknowledged posted write still tracked");
	return rt_done(t);
}

static int case_failed_status(struct rt_test *t, const char *name, u32 status)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 8, 2, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[16];
	u64 id;

	if (rt_setup(t, suite, name, 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	rt_raw(t, id, status, 16, "0123456789abcdef");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == -EIO, "not -EIO");
	rt_expect_ones(t, buf, sizeof(buf));
	RT_CHECK(&t->c, t->w.total_lines == 0, "a valid failure answer was logged");
	return rt_done(t);
}

static int case_eio(struct rt_test *t) { return case_failed_status(t, "status_eio", KEEL_RING_EIO); }
static int case_enodev(struct rt_test *t) { return case_failed_status(t, "status_enodev", KEEL_RING_ENODEV); }

static int case_unknown_id(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 1, 3, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[3];
	u64 id;

	if (rt_setup(t, suite, "unknown_id", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	rt_raw(t, 0, KEEL_RING_OK, 3, "abc");
	rt_raw(t, (1000ull << RING_PENDING_SHIFT) | 5, KEEL_RING_OK, 3, "abc");
	rt_raw(t, id + 1, KEEL_RING_OK, 3, "abc");
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the real answer was lost");
	rt_expect_pattern(t, buf, id, a.addr, 3);
	rt_events(t, RING_EV_UNKNOWN_ID, 2, 2);
	rt_events(t, RING_EV_STALE, 1, 1);
	return rt_done(t);
}

static int case_duplicate(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 2, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[2];
	u64 id;

	if (rt_setup(t, suite, "duplicate", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	rt_answer(t, &q);
	rt_raw(t, id, KEEL_RING_OK, 2, "zz");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "ring_wait failed");
	rt_expect_pattern(t, buf, id, a.addr, 2);
	rt_raw(t, id, KEEL_RING_OK, 2, "yy");
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_DUPLICATE, 2, 2);
	RT_CHECK(&t->c, t->w.ring.stats.answered == 1, "answered %llu times",
		 (unsigned long long)t->w.ring.stats.answered);
	return rt_done(t);
}

static int case_stale(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[4];
	u64 first = 0;

	if (rt_setup(t, suite, "stale", 0))
		return rt_done(t);
	for (u32 i = 0; i <= RING_PENDING_MAX && !t->c.failed; i++) {
		u64 id = rt_submit(t, &a);

		first = i ? first : id;
		rt_take(t, &q);
		rt_answer(t, &q);
		RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "round %u failed", i);
	}
	rt_raw(t, first, KEEL_RING_OK, 4, "abcd");
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_STALE, 1, 1);
	return rt_done(t);
}

static int case_bad_len(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 2, 4, NULL, TMO);
	u16 wv[2] = { 1, 2 };
	struct ring_access wa = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 2, 2, wv, TMO);
	struct keel_ring_req q, wq;
	static const u32 bad[] = { 7, 9, 0xffffffffu, 0, 256, 257 };
	u8 buf[8];
	u64 id, wid;

	if (rt_setup(t, suite, "bad_len", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	wid = rt_submit(t, &wa);
	rt_take(t, &wq);
	for (u32 i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rt_raw(t, id, KEEL_RING_OK, bad[i], NULL);
	rt_raw(t, wid, KEEL_RING_OK, 4, NULL);
	rt_raw(t, wid, KEEL_RING_OK, 0xffffffffu, NULL);
	rt_answer(t, &q);
	rt_answer(t, &wq);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the read's good answer was lost");
	rt_expect_pattern(t, buf, id, a.addr, 8);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, wid, NULL) == 0, "the write's good answer was lost");
	rt_events(t, RING_EV_BAD_LEN, 8, 8);
	return rt_done(t);
}

static int case_bad_status(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[1];
	u64 id;

	if (rt_setup(t, suite, "bad_status", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	rt_raw(t, id, 3, 1, "x");
	rt_raw(t, id, 0xffffffffu, 1, "x");
	rt_raw(t, id, 0x100, 1, "x");
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the good answer was lost");
	rt_expect_pattern(t, buf, id, a.addr, 1);
	rt_events(t, RING_EV_BAD_STATUS, 3, 3);
	return rt_done(t);
}

static int case_late(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 8, NULL, TMO);
	struct ring_access b = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[32];
	u64 id, t0;
	int e;

	if (rt_setup(t, suite, "late_answer", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	rt_take(t, &q);
	t0 = t->w.now;
	e = ring_wait(&t->w.ring, id, buf);
	RT_CHECK(&t->c, e == -ETIMEDOUT, "ring_wait returned %d, not -ETIMEDOUT", e);
	RT_CHECK(&t->c, t->w.now - t0 >= TMO && t->w.now - t0 <= TMO + 1,
		 "timed out after %llu ticks, timeout %u", (unsigned long long)(t->w.now - t0), TMO);
	rt_expect_ones(t, buf, sizeof(buf));
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_poll(&t->w.ring) == 1, "late answer not consumed");
	rt_events(t, RING_EV_LATE, 1, 1);
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "second read answered");
	RT_CHECK(&t->c, ring_access(&t->w.ring, &b, buf) == -ETIMEDOUT, "third read answered");
	rt_events(t, RING_EV_TIMEOUT, 3, 2);
	RT_CHECK(&t->c, t->w.ring.stats.timed_out == 3 && ring_outstanding(&t->w.ring) == 0,
		 "timed_out %llu outstanding %u", (unsigned long long)t->w.ring.stats.timed_out,
		 ring_outstanding(&t->w.ring));
	return rt_done(t);
}

static int case_rate_limit(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 1, 1, "w", TMO);
	u64 id;

	if (rt_setup(t, suite, "rate_limit", 100))
		return rt_done(t);
	for (u64 i = 1; i <= 10; i++)
		rt_raw(t, (5000 + i) << RING_PENDING_SHIFT, KEEL_RING_OK, 0, NULL);
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_UNKNOWN_ID, 10, 1);
	t->w.now += 99;
	rt_raw(t, 7, KEEL_RING_OK, 0, NULL);
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_UNKNOWN_ID, 11, 1);
	t->w.now += 1;
	rt_raw(t, 8, KEEL_RING_OK, 0, NULL);
	rt_raw(t, 9, 77, 0, NULL);
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_UNKNOWN_ID, 13, 2);
	id = rt_submit(t, &a);
	rt_raw(t, id, 77, 0, NULL);
	ring_poll(&t->w.ring);
	rt_events(t, RING_EV_BAD_STATUS, 1, 1);
	return rt_done(t);
}

static int case_bad_access(struct rt_test *t)
{
	u8 d[8] = { 0 };
	struct ring_access ok = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 4, 2, d, TMO);
	struct ring_access bad[13];
	u8 buf[KEEL_RING_DATA_MAX + 8];
	u64 id;

	if (rt_setup(t, suite, "bad_access", 0))
		return rt_done(t);
	for (u32 i = 0; i < 13; i++)
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
	bad[12].flags = KEEL_RING_F_POSTED;
	for (u32 i = 0; i < 13; i++) {
		RT_CHECK(&t->c, ring_submit(&t->w.ring, &bad[i], &id) == -EINVAL,
			 "ring_submit accepted bad access %u", i);
		RT_CHECK(&t->c, ring_access(&t->w.ring, &bad[i], buf) == -EINVAL,
			 "ring_access accepted bad access %u", i);
	}
	RT_CHECK(&t->c, rt_get_index(&((struct keel_ring_header *)t->w.area)->req_prod) == 0 &&
		 t->w.notifies == 0, "a bad access reached the ring");
	return rt_done(t);
}

/* Three requests at a time, answered in reverse order: ids increase, answers match. */
static int case_ids_increasing(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 1, 4, NULL, TMO);
	struct keel_ring_req q[3];
	u64 last = 0, id[3];
	u8 buf[4];

	if (rt_setup(t, suite, "ids_increasing", 0))
		return rt_done(t);
	for (u32 round = 0; round < 300 && !t->c.failed; round++) {
		for (u32 k = 0; k < 3; k++) {
			a.addr = 0x3f8 + round * 3 + k;
			id[k] = rt_submit(t, &a);
			RT_CHECK(&t->c, id[k] > last, "id %llu after %llu",
				 (unsigned long long)id[k], (unsigned long long)last);
			last = id[k];
			rt_take(t, &q[k]);
		}
		for (u32 k = 3; k-- > 0;)
			rt_answer(t, &q[k]);
		for (u32 k = 0; k < 3; k++) {
			RT_CHECK(&t->c, ring_wait(&t->w.ring, id[k], buf) == 0, "round %u lost", round);
			rt_expect_pattern(t, buf, id[k], q[k].addr, 4);
		}
	}
	RT_CHECK(&t->c, t->w.total_lines == 0 && t->w.ring.stats.answered == 900,
		 "lines %llu answered %llu", (unsigned long long)t->w.total_lines,
		 (unsigned long long)t->w.ring.stats.answered);
	return rt_done(t);
}

/* Back-pressure: the request ring holds 64, the pending table 128. */
static int case_back_pressure(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct keel_ring_req q, first;
	u32 n = 0;
	u8 buf[4];
	u64 id;
	int e;

	if (rt_setup(t, suite, "back_pressure", 0))
		return rt_done(t);
	while ((e = ring_submit(&t->w.ring, &a, &id)) == 0)
		n++;
	RT_CHECK(&t->c, e == -EBUSY && n == KEEL_RING_SLOTS, "ring full after %u: %d", n, e);
	rt_take(t, &first);
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
	rt_expect_ones(t, buf, 4);
	rt_events(t, RING_EV_TABLE_FULL, 1, 1);
	RT_CHECK(&t->c, !ring_is_broken(&t->w.ring), "a full table broke the ring");
	rt_answer(t, &first);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, first.id, buf) == 0, "the answered read failed");
	RT_CHECK(&t->c, ring_submit(&t->w.ring, &a, &id) == 0, "a freed entry was not reused");
	return rt_done(t);
}

static int case_wait_invalid(struct rt_test *t)
{
	u32 v = 1;
	struct ring_access r = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct ring_access p = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, TMO);
	struct keel_ring_req q;
	u8 buf[4];
	u64 id, pid;

	if (rt_setup(t, suite, "wait_invalid", 0))
		return rt_done(t);
	p.flags = KEEL_RING_F_POSTED;
	id = rt_submit(t, &r);
	pid = rt_submit(t, &p);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, 0, buf) == -EINVAL, "id 0 waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id + 1, buf) == -EINVAL, "unsent id waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, pid, buf) == -EINVAL, "posted id waitable");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, NULL) == -EINVAL, "read without a buffer");
	rt_take(t, &q);
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "the read failed");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == -EINVAL, "collected twice");
	RT_CHECK(&t->c, t->w.pauses == 0, "an invalid wait spun");
	return rt_done(t);
}

static int (*const cases[])(struct rt_test *) = {
	case_read_ok, case_write_ok, case_posted_ack, case_eio, case_enodev, case_unknown_id,
	case_duplicate, case_stale, case_bad_len, case_bad_status, case_late, case_rate_limit,
	case_bad_access, case_ids_increasing, case_back_pressure, case_wait_invalid,
};

int main(int argc, char **argv)
{
	static struct rt_test t;
	int failed = 0;

	suite = rt_suite_name(argc, argv, suite);
	for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += cases[i](&t);
	return failed != 0;
}
