/* The service VM's end (service/ring_svc.c): attach checks, taking requests, answering, and its
 * defences against bad indices and malformed requests. The test plays the core by hand. */
#include <stdio.h>
#include <string.h>
#include <keel/errno.h>
#include "ring_testlib.h"

static const char *suite = "ring_svc";
#define TMO 1000

static struct keel_ring_header *hdr(struct rt_test *t)
{
	return t->w.area;
}

static u32 svc_ready(struct rt_test *t)
{
	return __atomic_load_n(&hdr(t)->svc_ready, __ATOMIC_ACQUIRE);
}

static int case_attach_ok(struct rt_test *t)
{
	if (rt_setup(t, suite, "attach_ok", 0))
		return rt_done(t);
	RT_CHECK(&t->c, svc_ready(t) == 1 && hdr(t)->svc_version_major == KEEL_RING_VERSION_MAJOR &&
		 hdr(t)->svc_version_minor == KEEL_RING_VERSION_MINOR, "ready %u version %u.%u",
		 svc_ready(t), hdr(t)->svc_version_major, hdr(t)->svc_version_minor);
	return rt_done(t);
}

enum { F_SIZE, F_MAGIC, F_MAJOR, F_MINOR, F_HDRSIZE, F_SLOTS, F_SLOTS0, F_REQOFF, F_RSPOFF,
       F_REQSIZE, F_RSPSIZE, F_NDEV, F_REQPROD, F_RSPPROD, F_NULL, F_COUNT };

static const struct { const char *what; int expect; } attach_faults[F_COUNT] = {
	[F_SIZE] = { "area one byte short", -KEEL_EINVAL },
	[F_MAGIC] = { "magic", -KEEL_EVERSION },
	[F_MAJOR] = { "major version 2", -KEEL_EVERSION },
	[F_MINOR] = { "minor version 9 (accepted)", 0 },
	[F_HDRSIZE] = { "header_size", -KEEL_ERANGE },
	[F_SLOTS] = { "slots 32", -KEEL_ERANGE },
	[F_SLOTS0] = { "slots 0", -KEEL_ERANGE },
	[F_REQOFF] = { "req_offset", -KEEL_ERANGE },
	[F_RSPOFF] = { "rsp_offset", -KEEL_ERANGE },
	[F_REQSIZE] = { "req_size", -KEEL_ERANGE },
	[F_RSPSIZE] = { "rsp_size", -KEEL_ERANGE },
	[F_NDEV] = { "ndevices 33", -KEEL_ERANGE },
	[F_REQPROD] = { "req_prod 65 ahead", -KEEL_ERANGE },
	[F_RSPPROD] = { "rsp_prod 65 ahead", -KEEL_ERANGE },
	[F_NULL] = { "no area", -KEEL_EINVAL },
};

static void attach_fault(struct keel_ring_header *h, int f)
{
	switch (f) {
	case F_MAGIC: h->magic ^= 1; break;
	case F_MAJOR: h->version_major = 2; break;
	case F_MINOR: h->version_minor = 9; break;
	case F_HDRSIZE: h->header_size = 1000; break;
	case F_SLOTS: h->slots = 32; break;
	case F_SLOTS0: h->slots = 0; break;
	case F_REQOFF: h->req_offset = 0x800; break;
	case F_RSPOFF: h->rsp_offset += 64; break;
	case F_REQSIZE: h->req_size = 256; break;
	case F_RSPSIZE: h->rsp_size = 512; break;
	case F_NDEV: h->ndevices = KEEL_RING_DEVICES_MAX + 1; break;
	case F_REQPROD: h->req_prod.value = KEEL_RING_SLOTS + 1; break;
	case F_RSPPROD: h->rsp_prod.value = KEEL_RING_SLOTS + 1; break;
	default: break;
	}
}

static int case_attach_rejects(struct rt_test *t)
{
	rt_begin(&t->c, suite, "attach_rejects");
	for (int f = 0; f < F_COUNT; f++) {
		int e;

		if (rt_world_init(&t->w, 0)) {
			RT_CHECK(&t->c, 0, "ring_init failed");
			break;
		}
		attach_fault(hdr(t), f);
		e = ring_svc_attach(&t->s, f == F_NULL ? NULL : t->w.area,
				    KEEL_RING_AREA_SIZE - (f == F_SIZE));
		RT_CHECK(&t->c, e == attach_faults[f].expect, "%s: %d, expected %d",
			 attach_faults[f].what, e, attach_faults[f].expect);
		RT_CHECK(&t->c, svc_ready(t) == (e == 0), "%s: svc_ready %u", attach_faults[f].what,
			 svc_ready(t));
		rt_world_free(&t->w);
	}
	return rt_end(&t->c);
}

/* Plays the core: publishes a raw request at *prod. */
static void put_req(struct rt_test *t, u32 *prod, const struct keel_ring_req *q)
{
	struct keel_ring_req *slot = (struct keel_ring_req *)((u8 *)t->w.area + KEEL_RING_REQ_OFFSET) +
				     (*prod & (KEEL_RING_SLOTS - 1));

	*slot = *q;
	rt_set_index(&hdr(t)->req_prod, ++*prod);
}

static int case_malformed(struct rt_test *t)
{
	static const struct keel_ring_req good = { .id = 128, .size = 4, .count = 2, .stride = 4,
						   .device = RT_DEV_MMIO };
	struct keel_ring_req bad[9], q;
	u32 prod = 0;
	int e;

	if (rt_setup(t, suite, "malformed_request", 0))
		return rt_done(t);
	for (u32 i = 0; i < 9; i++)
		bad[i] = good;
	bad[0].size = 3;
	bad[1].count = 0;
	bad[2].count = 65;
	bad[3].stride = 2;
	bad[4].device = RT_NDEV;
	bad[5].id = 0;
	bad[6].kind = 2;
	bad[7].dir = 2;
	bad[8].count = 0x40000001;
	for (u32 i = 0; i < 9; i++) {
		put_req(t, &prod, &bad[i]);
		e = ring_svc_next(&t->s, &q);
		RT_CHECK(&t->c, e == -KEEL_EINVAL, "malformed request %u: %d", i, e);
		RT_CHECK(&t->c, rt_get_index(&hdr(t)->req_cons) == i + 1, "request %u not consumed", i);
	}
	put_req(t, &prod, &good);
	RT_CHECK(&t->c, ring_svc_next(&t->s, &q) == 1 && q.id == good.id, "good request refused");
	RT_CHECK(&t->c, ring_svc_next(&t->s, &q) == 0, "empty ring gave a request");
	return rt_done(t);
}

static int req_prod_case(struct rt_test *t, const char *name, u32 take, u32 bad_prod)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, TMO);
	struct keel_ring_req q;
	struct keel_ring_rsp rsp = { 0 };

	if (rt_setup(t, suite, name, 0))
		return rt_done(t);
	for (u32 i = 0; i < 3; i++)
		rt_submit(t, &a);
	for (u32 i = 0; i < take; i++)
		rt_take(t, &q);
	rt_set_index(&hdr(t)->req_prod, bad_prod);
	RT_CHECK(&t->c, ring_svc_next(&t->s, &q) == -KEEL_ERANGE, "bad req_prod %u accepted",
		 bad_prod);
	rt_set_index(&hdr(t)->req_prod, 3);
	RT_CHECK(&t->c, ring_svc_next(&t->s, &q) == -KEEL_ERANGE, "the error did not stick");
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == -KEEL_ERANGE, "answered on a broken ring");
	RT_CHECK(&t->c, ring_svc_waiting(&t->s) == 0, "broken ring reports waiting requests");
	return rt_done(t);
}

static int case_req_jump(struct rt_test *t) { return req_prod_case(t, "req_prod_jump", 1, 66); }
static int case_req_back(struct rt_test *t) { return req_prod_case(t, "req_prod_backwards", 1, 2); }
static int case_req_behind(struct rt_test *t) { return req_prod_case(t, "req_prod_behind_cons", 3, 1); }

static int case_answer_full(struct rt_test *t)
{
	struct keel_ring_rsp rsp = { .id = 5, .len = 0 };
	u32 n = 0;
	int e;

	if (rt_setup(t, suite, "answer_full", 0))
		return rt_done(t);
	while ((e = ring_svc_answer(&t->s, &rsp)) == 0 && n < 1000)
		n++;
	RT_CHECK(&t->c, e == -KEEL_EBUSY && n == KEEL_RING_SLOTS, "full after %u: %d", n, e);
	rt_set_index(&hdr(t)->rsp_cons, 1);
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == 0, "a freed slot was not reused");
	RT_CHECK(&t->c, rt_get_index(&hdr(t)->rsp_prod) == KEEL_RING_SLOTS + 1, "rsp_prod %u",
		 rt_get_index(&hdr(t)->rsp_prod));
	rsp.len = KEEL_RING_DATA_MAX + 1;
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == -KEEL_EINVAL, "len 257 accepted");
	rt_set_index(&hdr(t)->rsp_cons, 0);
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == -KEEL_EINVAL, "len 257 accepted with a bad rsp_cons");
	rsp.len = 0;
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == -KEEL_ERANGE, "rsp_cons backwards accepted");
	return rt_done(t);
}

static int case_rsp_cons_ahead(struct rt_test *t)
{
	struct keel_ring_rsp rsp = { .id = 5 };

	if (rt_setup(t, suite, "rsp_cons_ahead", 0))
		return rt_done(t);
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == 0, "first answer refused");
	rt_set_index(&hdr(t)->rsp_cons, 2);
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == -KEEL_ERANGE, "rsp_cons past rsp_prod");
	RT_CHECK(&t->c, rt_get_index(&hdr(t)->rsp_prod) == 1, "published on a broken ring");
	return rt_done(t);
}

struct free_after { struct rt_test *t; u32 calls, at; };

static void pause_then_free(void *ctx)
{
	struct free_after *f = ctx;

	if (++f->calls == f->at)
		rt_set_index(&hdr(f->t)->rsp_cons, 1);
}

static int case_answer_wait(struct rt_test *t)
{
	struct keel_ring_rsp rsp = { .id = 9 };
	struct free_after f = { t, 0, 5 };

	if (rt_setup(t, suite, "answer_wait", 0))
		return rt_done(t);
	for (u32 i = 0; i < KEEL_RING_SLOTS; i++)
		ring_svc_answer(&t->s, &rsp);
	RT_CHECK(&t->c, ring_svc_answer_wait(&t->s, &rsp, pause_then_free, &f) == 0 && f.calls == 5,
		 "answer_wait returned after %u pauses", f.calls);
	return rt_done(t);
}

/* Both libraries together: the service's answer path is what the core accepts. */
static int case_round_trip(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_PIO, KEEL_RING_READ, 2, 5, NULL, TMO);
	u16 wv[3] = { 1, 2, 3 };
	struct ring_access w = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 2, 3, wv, TMO);
	struct keel_ring_req q;
	struct keel_ring_rsp rsp;
	u8 buf[10];
	u64 id, wid;

	if (rt_setup(t, suite, "round_trip", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	wid = rt_submit(t, &w);
	RT_CHECK(&t->c, ring_svc_waiting(&t->s) == 2, "%u waiting", ring_svc_waiting(&t->s));
	rt_take(t, &q);
	ring_svc_answer_init(&rsp, &q, KEEL_RING_OK);
	RT_CHECK(&t->c, rsp.id == id && rsp.len == 10 && rsp.status == 0, "read answer_init");
	for (u32 i = 0; i < 10; i++)
		rsp.data[i] = rt_pattern(id, q.addr, i);
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == 0, "read answer refused");
	rt_take(t, &q);
	ring_svc_answer_init(&rsp, &q, KEEL_RING_OK);
	RT_CHECK(&t->c, rsp.id == wid && rsp.len == 0, "write answer_init");
	RT_CHECK(&t->c, ring_svc_answer(&t->s, &rsp) == 0, "write answer refused");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, wid, NULL) == 0, "write not acknowledged");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "read not answered");
	rt_expect_pattern(t, buf, id, a.addr, 10);
	RT_CHECK(&t->c, t->w.total_lines == 0, "%llu log lines", (unsigned long long)t->w.total_lines);
	return rt_done(t);
}

/* In place: begin fills the slot's id, status and len, end publishes; a full ring takes nothing.
 * ring_svc_next copies a write's data and leaves a read's data bytes alone. */
static int case_answer_in_place(struct rt_test *t)
{
	struct ring_access a = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 2, NULL, TMO);
	u32 wv = 0x11223344;
	struct ring_access w = rt_access(RT_DEV_MMIO, KEEL_RING_WRITE, 4, 1, &wv, TMO);
	struct keel_ring_req q;
	struct keel_ring_rsp *slot = NULL, filler = { .id = 5 };
	u8 buf[8];
	u64 id, wid;
	u32 got;

	if (rt_setup(t, suite, "answer_in_place", 0))
		return rt_done(t);
	id = rt_submit(t, &a);
	wid = rt_submit(t, &w);
	memset(&q, 0xa5, sizeof(q));
	rt_take(t, &q);
	RT_CHECK(&t->c, q.id == id && q.data[0] == 0xa5 && q.data[KEEL_RING_DATA_MAX - 1] == 0xa5,
		 "a read's data bytes were copied out");
	RT_CHECK(&t->c, ring_svc_answer_begin(&t->s, &q, KEEL_RING_OK, &slot) == 0 && slot,
		 "begin refused");
	RT_CHECK(&t->c, slot && slot->id == id && slot->status == KEEL_RING_OK && slot->len == 8,
		 "slot id/status/len wrong");
	RT_CHECK(&t->c, rt_get_index(&hdr(t)->rsp_prod) == 0, "begin published");
	for (u32 i = 0; slot && i < 8; i++)
		slot->data[i] = rt_pattern(id, q.addr, i);
	ring_svc_answer_end(&t->s);
	RT_CHECK(&t->c, rt_get_index(&hdr(t)->rsp_prod) == 1, "end did not publish");
	RT_CHECK(&t->c, ring_wait(&t->w.ring, id, buf) == 0, "read not answered");
	rt_expect_pattern(t, buf, id, a.addr, 8);
	rt_take(t, &q);
	memcpy(&got, q.data, 4);
	RT_CHECK(&t->c, q.id == wid && got == wv, "a write's data was not copied (%#x)", got);
	for (u32 i = 0; i < KEEL_RING_SLOTS; i++) /* the core consumed the first answer */
		ring_svc_answer(&t->s, &filler);
	slot = NULL;
	RT_CHECK(&t->c, ring_svc_answer_begin(&t->s, &q, KEEL_RING_OK, &slot) == -KEEL_EBUSY && !slot &&
		 rt_get_index(&hdr(t)->rsp_prod) == KEEL_RING_SLOTS + 1,
		 "a full response ring took an answer");
	return rt_done(t);
}

static int (*const cases[])(struct rt_test *) = {
	case_attach_ok, case_attach_rejects, case_malformed, case_req_jump, case_req_back,
	case_req_behind, case_answer_full, case_rsp_cons_ahead, case_answer_wait, case_round_trip,
	case_answer_in_place,
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
