/* The core's end against a broken or absent service VM (docs/ring.md §3, §5, §8): corrupted
 * indices, no consumer, never ready, wrong version, unacknowledged posted writes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define TMO 1000
static const char *suite = "ring_broken";

static struct keel_ring_header *hdr(struct rt_test *t)
{
	return t->w.area;
}

/* Once broken: outstanding and new accesses complete at once as timeouts, the ring is not
 * touched again, and the break was logged exactly once. */
static void after_break(struct rt_test *t, u64 pending, enum ring_event_kind why, u64 lines)
{
	u8 *snap = malloc(KEEL_RING_AREA_SIZE);
	u32 w = 0x55;
	struct ring_access rd = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 8, 4, NULL, TMO);
	struct ring_access wr = rt_access(RT_DEV_PIO, KEEL_RING_WRITE, 1, 1, &w, TMO);
	struct ring_access pw = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &w, TMO);
	u64 pauses = t->w.pauses;
	u8 buf[32];
	int e;

	pw.flags = KEEL_RING_F_POSTED;
	RT_CHECK(&t->c, ring_is_broken(&t->w.ring), "the ring was not marked broken");
	memcpy(snap, t->w.area, KEEL_RING_AREA_SIZE);
	if (pending) {
		e = ring_wait(&t->w.ring, pending, buf);
		RT_CHECK(&t->c, e == -ETIMEDOUT, "outstanding read: %d", e);
		rt_expect_ones(t, buf, 4);
	}
	e = ring_access(&t->w.ring, &rd, buf);
	RT_CHECK(&t->c, e == -ETIMEDOUT, "read on a broken ring: %d", e);
	rt_expect_ones(t, buf, 32);
	RT_CHECK(&t->c, ring_access(&t->w.ring, &wr, NULL) == -ETIMEDOUT, "write went through");
	RT_CHECK(&t->c, ring_access(&t->w.ring, &pw, NULL) == -ETIMEDOUT, "posted write went through");
	RT_CHECK(&t->c, ring_submit(&t->w.ring, &rd, &(u64){ 0 }) == -EIO, "submit not -EIO");
	rt_set_index(&hdr(t)->rsp_prod, rt_get_index(&hdr(t)->rsp_prod) + 1000);
	memcpy(snap + offsetof(struct keel_ring_header, rsp_prod),
	       (u8 *)t->w.area + offsetof(struct keel_ring_header, rsp_prod), 4);
	ring_poll(&t->w.ring);
	RT_CHECK(&t->c, t->w.pauses == pauses, "a broken ring still waits (%llu pauses)",
		 (unsigned long long)(t->w.pauses - pauses));
	RT_CHECK(&t->c, !memcmp(snap, t->w.area, KEEL_RING_AREA_SIZE), "the ring was written");
	RT_CHECK(&t->c, t->w.lines[why] == 1 && t->w.total_lines == lines,
		 "%llu '%s' lines, %llu lines in all", (unsigned long long)t->w.lines[why],
		 ring_event_text(why), (unsigned long long)t->w.total_lines);
	free(snap);
}

static u64 pending_read(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 1, 4, NULL, TMO);

	return rt_submit(t, &a);
}

/* A few good round trips, so the indices are not at 0. */
static void warm_up(struct rt_test *t, u32 n)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 2, 1, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[2];

	for (u32 i = 0; i < n; i++) {
		u64 id = rt_submit(t, &a);

		rt_take(t, &q);
		rt_answer(t, &q);
		RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "warm-up %u failed", i);
	}
}

static int rsp_prod_case(struct rt_test *t, const char *name, u32 warm, s64 delta)
{
	u64 id;

	if (rt_setup(t, suite, name, 0))
		return rt_done(t);
	warm_up(t, warm);
	id = pending_read(t);
	rt_set_index(&hdr(t)->rsp_prod, (u32)(warm + delta));
	ring_poll(&t->w.ring);
	after_break(t, id, RING_EV_RSP_INDEX, 1);
	return rt_done(t);
}

static int case_rsp_jump(struct rt_test *t) { return rsp_prod_case(t, "rsp_prod_jump", 5, 65); }
static int case_rsp_huge(struct rt_test *t) { return rsp_prod_case(t, "rsp_prod_huge", 0, 0x80000000); }
static int case_rsp_back(struct rt_test *t) { return rsp_prod_case(t, "rsp_prod_backwards", 3, -2); }

static int req_cons_case(struct rt_test *t, const char *name, u32 warm, s64 delta)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	u64 id, id2;
	int e;

	if (rt_setup(t, suite, name, 0))
		return rt_done(t);
	warm_up(t, warm);
	id = pending_read(t);
	rt_set_index(&hdr(t)->req_cons, (u32)(warm + delta));
	e = ring_submit(&t->w.ring, &a, &id2);
	RT_CHECK(&t->c, e == -EIO, "submit after a bad req_cons: %d", e);
	after_break(t, id, RING_EV_REQ_INDEX, 1);
	return rt_done(t);
}

static int case_req_ahead(struct rt_test *t) { return req_cons_case(t, "req_cons_ahead", 4, 2); }
static int case_req_huge(struct rt_test *t) { return req_cons_case(t, "req_cons_huge", 0, -16); }
static int case_req_back(struct rt_test *t) { return req_cons_case(t, "req_cons_backwards", 6, -1); }

static int case_wrong_version(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	u8 buf[4];

	if (rt_setup_bare(t, suite, "wrong_version", 0))
		return rt_done(t);
	hdr(t)->svc_version_major = 2;
	__atomic_store_n(&hdr(t)->svc_ready, 1, __ATOMIC_RELEASE);
	RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "read answered");
	rt_expect_ones(t, buf, 4);
	RT_CHECK(&t->c, t->w.pauses == 0, "waited %llu pauses", (unsigned long long)t->w.pauses);
	after_break(t, 0, RING_EV_VERSION, 1);
	return rt_done(t);
}

static int never_ready_case(struct rt_test *t, const char *name, u32 ready_value)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 2, NULL, TMO);
	struct keel_ring_req q;
	u8 buf[8], zero[KEEL_RING_AREA_SIZE - KEEL_RING_REQ_OFFSET] = { 0 };
	u64 t0, id;

	if (rt_setup_bare(t, suite, name, 0))
		return rt_done(t);
	__atomic_store_n(&hdr(t)->svc_ready, ready_value, __ATOMIC_RELEASE);
	for (u32 i = 0; i < 3; i++) {
		t0 = t->w.now;
		RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "read %u answered", i);
		RT_CHECK(&t->c, t->w.now - t0 == TMO, "read %u gave up after %llu ticks", i,
			 (unsigned long long)(t->w.now - t0));
		rt_expect_ones(t, buf, 8);
	}
	rt_events(t, RING_EV_NOT_READY, 3, 1);
	RT_CHECK(&t->c, t->w.total_lines == 1 && !ring_is_broken(&t->w.ring), "lines %llu",
		 (unsigned long long)t->w.total_lines);
	RT_CHECK(&t->c, rt_get_index(&hdr(t)->req_prod) == 0 &&
		 !memcmp((u8 *)t->w.area + KEEL_RING_REQ_OFFSET, zero, sizeof(zero)),
		 "requests were written before the service VM was ready");
	RT_CHECK(&t->c, ring_svc_attach(&t->s, t->w.area, KEEL_RING_AREA_SIZE) == 0, "late attach");
	id = rt_submit(t, &a);
	rt_take(t, &q);
	rt_answer(t, &q);
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "no answer once ready");
	rt_expect_pattern(t, buf, id, a.addr, 8);
	return rt_done(t);
}

static int case_never_ready(struct rt_test *t) { return never_ready_case(t, "never_ready", 0); }
static int case_ready_garbage(struct rt_test *t) { return never_ready_case(t, "ready_value_2", 2); }

/* Ready, then nobody consumes: reads time out, the ring fills, the ring is declared broken. */
static int case_absent_consumer(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	u8 buf[4];
	u64 t0;

	if (rt_setup(t, suite, "absent_consumer", 0))
		return rt_done(t);
	for (u32 i = 0; i <= KEEL_RING_SLOTS; i++) {
		t0 = t->w.now;
		RT_CHECK(&t->c, ring_access(&t->w.ring, &a, buf) == -ETIMEDOUT, "read %u answered", i);
		RT_CHECK(&t->c, t->w.now - t0 == TMO, "read %u gave up after %llu ticks", i,
			 (unsigned long long)(t->w.now - t0));
		rt_expect_ones(t, buf, 4);
		RT_CHECK(&t->c, ring_is_broken(&t->w.ring) == (i == KEEL_RING_SLOTS),
			 "broken %d after %u reads", ring_is_broken(&t->w.ring), i + 1);
	}
	rt_events(t, RING_EV_TIMEOUT, KEEL_RING_SLOTS, 1);
	rt_events(t, RING_EV_STUCK, 1, 1);
	RT_CHECK(&t->c, t->w.total_lines == 2 && t->w.ring.stats.timed_out == KEEL_RING_SLOTS + 1,
		 "lines %llu timed out %llu", (unsigned long long)t->w.total_lines,
		 (unsigned long long)t->w.ring.stats.timed_out);
	after_break(t, 0, RING_EV_STUCK, 2);
	return rt_done(t);
}

/* The service VM takes posted writes and never acknowledges them: the vCPU is never held for
 * longer than the table's worth of timeouts, and each device is logged once. */
static int case_posted_unacked(struct rt_test *t)
{
	u32 v = 7;
	struct ring_access a[2] = { rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, TMO),
				    rt_access(RT_DEV_MMIO1, KEEL_RING_WRITE, 4, 1, &v, TMO) };
	struct keel_ring_req q;
	u32 n = 400;

	if (rt_setup(t, suite, "posted_unacked", 0))
		return rt_done(t);
	a[0].flags = a[1].flags = KEEL_RING_F_POSTED;
	for (u32 i = 0; i < n; i++) {
		RT_CHECK(&t->c, ring_access(&t->w.ring, &a[i % 2], NULL) == 0, "write %u failed", i);
		while (ring_svc_next(&t->s, &q) == 1)
			;
	}
	RT_CHECK(&t->c, t->w.ring.stats.posted_timed_out >= n - RING_PENDING_MAX &&
		 t->w.ring.stats.posted_timed_out == t->w.ring.stats.events[RING_EV_POSTED_TIMEOUT],
		 "%llu posted writes reaped", (unsigned long long)t->w.ring.stats.posted_timed_out);
	RT_CHECK(&t->c, t->w.lines[RING_EV_POSTED_TIMEOUT] == 2 && t->w.total_lines == 2,
		 "%llu lines", (unsigned long long)t->w.total_lines);
	RT_CHECK(&t->c, t->w.pauses <= (n / RING_PENDING_MAX + 1) * TMO, "%llu pauses",
		 (unsigned long long)t->w.pauses);
	RT_CHECK(&t->c, !ring_is_broken(&t->w.ring), "unacknowledged posted writes broke the ring");
	return rt_done(t);
}

/* The geometry in the shared header is the service VM's to read, never the core's. */
static int case_header_scribbled(struct rt_test *t)
{
	if (rt_setup(t, suite, "header_scribbled", 0))
		return rt_done(t);
	memset(hdr(t), 0xee, offsetof(struct keel_ring_header, svc_version_major));
	warm_up(t, 3 * KEEL_RING_SLOTS);
	RT_CHECK(&t->c, t->w.total_lines == 0 && !ring_is_broken(&t->w.ring),
		 "a scribbled header changed the core's behaviour");
	return rt_done(t);
}

static int (*const cases[])(struct rt_test *) = {
	case_rsp_jump, case_rsp_huge, case_rsp_back, case_req_ahead, case_req_huge, case_req_back,
	case_wrong_version, case_never_ready, case_ready_garbage, case_absent_consumer,
	case_posted_unacked, case_header_scribbled,
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
