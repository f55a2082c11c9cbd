/* Threads on both ends (docs/ring.md §9): producer threads submit reads, writes and posted writes
 * (single elements and batches, one at a time or several in flight) through the core's end; a
 * consumer thread takes them with the service library and answers. Both sides add random spin
 * delays. Checks: every request answered exactly once with the data the other side recomputes,
 * nothing lost or duplicated, ids increasing, no timeouts, no event logged.
 * Built twice: gcc with RING_STRESS_MESSAGES = 10M and clang -fsanitize=thread with 1M. */
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define TIMEOUT_NS 20000000000ull /* nothing may time out: the machine is shared and slow */
#define MAX_PRODUCERS 3
#define INFLIGHT_MAX 4

static const u64 total_messages = RING_STRESS_MESSAGES;
static const char *suite = "ring_stress";

struct shared {
	struct ring ring;
	struct ring_ops ops;
	void *area;
	u32 stop;
	u64 log_lines;
};

struct worker {
	struct shared *sh;
	pthread_t th;
	u32 index;
	u64 msgs, seed;
	u64 reads, writes, posted, last_id;
	char why[200];
};

/* Two cores, four threads: a spinner must give its core away now and then. */
static void pause_yield(void *ctx)
{
	(void)ctx;
	rt_spin(128);
}

static void log_count(void *ctx, const struct ring_event *ev)
{
	struct shared *sh = ctx;

	fprintf(stderr, "ring: %s (device %u id %#llx value %#llx)\n", ring_event_text(ev->kind),
		ev->device, (unsigned long long)ev->id, (unsigned long long)ev->value);
	sh->log_lines++;
}

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void spin_delay(u64 *seed)
{
	u64 r = rnd(seed);

	if (r % 16 == 0)
		for (u32 n = (u32)(r >> 8) % 64; n; n--)
			__builtin_ia32_pause();
}

/* Data is a function of the address, which is unique per request: a cross-wired answer shows. */
static u8 write_pattern(u64 addr, u32 i)
{
	return rt_pattern(~addr, addr, i);
}

static u8 read_pattern(u64 addr, u32 i)
{
	return rt_pattern(addr * 3 + 1, addr, i);
}

/* Keeps the first failure of a thread. */
static void note(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

#define fail(w, ...) note((w)->why, sizeof((w)->why), __VA_ARGS__)
#define cfail(c, ...) note((c)->why, sizeof((c)->why), __VA_ARGS__)

/* One request as the producer built it, kept to check the answer. */
struct sent {
	u64 id, addr;
	u32 count;
	u8 size, dir;
};

static void make_access(struct worker *w, struct ring_access *a, u8 *wdata, u64 seq)
{
	static const u8 sizes[] = { 1, 2, 4, 8 };
	u64 r = rnd(&w->seed);
	u32 kind = r % 20;
	u8 size = sizes[(r >> 8) % 4];
	u32 count = (r >> 16) % 4 == 0 ? 1 + (u32)((r >> 24) % (KEEL_RING_DATA_MAX / size)) : 1;
	u16 dev = kind < 12 ? RT_DEV_MMIO : kind < 17 ? RT_DEV_PIO : RT_DEV_POSTED;
	u8 dir = kind < 8 || (kind >= 12 && kind < 14) ? KEEL_RING_READ : KEEL_RING_WRITE;

	*a = rt_access(dev, dir, size, count, wdata, TIMEOUT_NS);
	a->vcpu = (u16)w->index;
	a->addr = ((u64)w->index << 56) | (seq << 8) | (r >> 56);
	a->stride = (r >> 40) % 3 == 0 ? 0 : (r >> 40) % 3 == 1 ? size : -(s32)size;
	if (dev == RT_DEV_POSTED)
		a->flags = KEEL_RING_F_POSTED;
	if (dir == KEEL_RING_WRITE)
		for (u32 i = 0; i < count * size; i++)
			wdata[i] = write_pattern(a->addr, i);
}

static void check_read(struct worker *w, const struct sent *s, const u8 *buf)
{
	for (u32 i = 0; i < s->count * s->size; i++)
		if (buf[i] != read_pattern(s->addr, i)) {
			fail(w, "addr %#llx byte %u: wrong data", (unsigned long long)s->addr, i);
			return;
		}
}

static int submit_retry(struct worker *w, const struct ring_access *a, u64 *id)
{
	int e;

	while ((e = ring_submit(&w->sh->ring, a, id)) == -EBUSY || e == -ENOSPC)
		pause_yield(NULL);
	if (e)
		fail(w, "ring_submit: %d", e);
	else if (*id <= w->last_id)
		fail(w, "id %#llx after %#llx", (unsigned long long)*id,
		     (unsigned long long)w->last_id);
	w->last_id = e ? w->last_id : *id;
	return e;
}

static void count_kind(struct worker *w, const struct ring_access *a)
{
	if (a->flags & KEEL_RING_F_POSTED)
		w->posted++;
	else if (a->dir == KEEL_RING_READ)
		w->reads++;
	else
		w->writes++;
}

/* Sends k requests, then waits for the non-posted ones. */
static void batch(struct worker *w, u32 k, u64 seq)
{
	struct sent s[INFLIGHT_MAX];
	struct ring_access a;
	u8 wdata[KEEL_RING_DATA_MAX], buf[KEEL_RING_DATA_MAX];
	u32 n = 0;
	int e;

	for (u32 i = 0; i < k; i++) {
		make_access(w, &a, wdata, seq + i);
		if (submit_retry(w, &a, &s[n].id))
			return;
		count_kind(w, &a);
		if (a.flags & KEEL_RING_F_POSTED)
			continue;
		s[n].addr = a.addr;
		s[n].count = a.count;
		s[n].size = a.size;
		s[n++].dir = a.dir;
		spin_delay(&w->seed);
	}
	for (u32 i = 0; i < n; i++) {
		e = ring_wait(&w->sh->ring, s[i].id, s[i].dir == KEEL_RING_READ ? buf : NULL);
		if (e)
			fail(w, "id %#llx: ring_wait %d", (unsigned long long)s[i].id, e);
		else if (s[i].dir == KEEL_RING_READ)
			check_read(w, &s[i], buf);
	}
}

/* One access through ring_access, as the vCPU exit path will do it. */
static void single(struct worker *w, u64 seq)
{
	struct ring_access a;
	u8 wdata[KEEL_RING_DATA_MAX], buf[KEEL_RING_DATA_MAX];
	int e;

	make_access(w, &a, wdata, seq);
	e = ring_access(&w->sh->ring, &a, buf);
	count_kind(w, &a);
	if (e)
		fail(w, "ring_access %d at seq %llu", e, (unsigned long long)seq);
	else if (a.dir == KEEL_RING_READ)
		check_read(w, &(struct sent){ 0, a.addr, a.count, a.size, a.dir }, buf);
}

static void *producer(void *arg)
{
	struct worker *w = arg;
	u64 seq = 0;

	while (seq < w->msgs && !w->why[0]) {
		u64 r = rnd(&w->seed);
		u32 k = 1 + (u32)(r % INFLIGHT_MAX);

		if (k > w->msgs - seq)
			k = (u32)(w->msgs - seq);
		if (r % 8 == 0) {
			single(w, seq);
			k = 1;
		} else {
			batch(w, k, seq);
		}
		seq += k;
		spin_delay(&w->seed);
	}
	return NULL;
}

struct consumer {
	struct shared *sh;
	struct ring_svc svc;
	pthread_t th;
	u64 seed, taken, last_id, reads, writes, posted;
	char why[200];
};

static void consumer_check(struct consumer *c, const struct keel_ring_req *q)
{
	bool posted = (q->flags & KEEL_RING_F_POSTED) != 0;

	if (q->id <= c->last_id)
		cfail(c, "consumer: id %#llx after %#llx", (unsigned long long)q->id,
		      (unsigned long long)c->last_id);
	c->last_id = q->id;
	if (posted != (q->device == RT_DEV_POSTED) || (posted && q->dir != KEEL_RING_WRITE))
		cfail(c, "consumer: id %#llx has flags %#x", (unsigned long long)q->id, q->flags);
	if (q->dir == KEEL_RING_WRITE)
		for (u32 i = 0; i < q->count * q->size; i++)
			if (q->data[i] != write_pattern(q->addr, i)) {
				cfail(c, "consumer: id %#llx write byte %u wrong",
				      (unsigned long long)q->id, i);
				break;
			}
	c->posted += posted;
	c->writes += q->dir == KEEL_RING_WRITE && !posted;
	c->reads += q->dir == KEEL_RING_READ;
	__atomic_store_n(&c->taken, c->taken + 1, __ATOMIC_RELEASE);
}

static void consumer_answer(struct consumer *c, const struct keel_ring_req *q)
{
	struct keel_ring_rsp rsp;
	int e;

	ring_svc_answer_init(&rsp, q, KEEL_RING_OK);
	for (u32 i = 0; i < rsp.len; i++)
		rsp.data[i] = read_pattern(q->addr, i);
	e = ring_svc_answer_wait(&c->svc, &rsp, pause_yield, NULL);
	if (e)
		cfail(c, "consumer: answer %d: id %#llx", e, (unsigned long long)q->id);
}

/* Takes up to INFLIGHT_MAX requests, then answers them in reverse order. */
static void *consumer(void *arg)
{
	struct consumer *c = arg;
	struct keel_ring_req q[INFLIGHT_MAX];
	u32 n;
	int e = 0;

	while (!c->why[0]) {
		for (n = 0; n < INFLIGHT_MAX && (e = ring_svc_next(&c->svc, &q[n])) == 1; n++)
			consumer_check(c, &q[n]);
		if (e < 0)
			cfail(c, "consumer: ring_svc_next: %s", ring_svc_strerror(e));
		if (n == 0) {
			if (__atomic_load_n(&c->sh->stop, __ATOMIC_ACQUIRE))
				break;
			pause_yield(NULL);
		}
		while (n-- > 0) {
			spin_delay(&c->seed);
			consumer_answer(c, &q[n]);
		}
	}
	return NULL;
}

static bool drain(struct shared *sh, struct consumer *c, u64 expect)
{
	u64 deadline = rt_wall_ns(NULL) + TIMEOUT_NS;

	while (rt_wall_ns(NULL) < deadline) {
		ring_poll(&sh->ring);
		if (__atomic_load_n(&c->taken, __ATOMIC_ACQUIRE) == expect &&
		    ring_outstanding(&sh->ring) == 0)
			return true;
		pause_yield(NULL);
	}
	return false;
}

static const char *phase_check(struct shared *sh, struct consumer *c, struct worker *w, u32 n,
			       char *why, size_t len)
{
	u64 reads = 0, writes = 0, posted = 0, events = 0;
	const struct ring_stats *st = &sh->ring.stats;

	for (u32 i = 0; i < n; i++) {
		if (w[i].why[0])
			return w[i].why;
		reads += w[i].reads, writes += w[i].writes, posted += w[i].posted;
	}
	if (c->why[0])
		return c->why;
	for (u32 k = 0; k < RING_EV_COUNT; k++)
		events += st->events[k];
	if (c->reads != reads || c->writes != writes || c->posted != posted ||
	    st->submitted != reads + writes + posted || st->answered != reads + writes ||
	    st->posted_acked != posted || st->timed_out || st->posted_timed_out || events ||
	    sh->log_lines || ring_is_broken(&sh->ring)) {
		snprintf(why, len, "sent %llu/%llu/%llu, taken %llu/%llu/%llu, answered %llu+%llu, "
			 "timeouts %llu+%llu, events %llu",
			 (unsigned long long)reads, (unsigned long long)writes,
			 (unsigned long long)posted, (unsigned long long)c->reads,
			 (unsigned long long)c->writes, (unsigned long long)c->posted,
			 (unsigned long long)st->answered, (unsigned long long)st->posted_acked,
			 (unsigned long long)st->timed_out, (unsigned long long)st->posted_timed_out,
			 (unsigned long long)events);
		return why;
	}
	return NULL;
}

static int run_phase(const char *name, u32 nprod, u64 msgs)
{
	static struct shared sh;
	static struct consumer c;
	static struct worker w[MAX_PRODUCERS];
	struct ring_config cfg;
	const char *bad = NULL;
	char why[300];
	u64 t0 = rt_wall_ns(NULL), sent = 0;

	memset(&sh, 0, sizeof(sh));
	memset(&c, 0, sizeof(c));
	sh.area = aligned_alloc(4096, KEEL_RING_AREA_SIZE);
	sh.ops = (struct ring_ops){ rt_wall_ns, pause_yield, NULL, log_count, &sh };
	cfg = (struct ring_config){ .area = sh.area, .area_size = KEEL_RING_AREA_SIZE,
				    .devices = rt_devices, .ndevices = RT_NDEV,
				    .log_interval = 1000000000ull, .ops = &sh.ops };
	if (!sh.area || ring_init(&sh.ring, &cfg) ||
	    ring_svc_attach(&c.svc, sh.area, KEEL_RING_AREA_SIZE)) {
		printf("VERDICT FAIL %s/%s set-up failed\n", suite, name);
		return 1;
	}
	c.sh = &sh;
	c.seed = 0x2545f4914f6cdd1dull;
	pthread_create(&c.th, NULL, consumer, &c);
	for (u32 i = 0; i < nprod; i++) {
		w[i] = (struct worker){ .sh = &sh, .index = i, .msgs = msgs / nprod + (i ? 0 : msgs % nprod),
					.seed = 0x9e3779b97f4a7c15ull * (i + 1) };
		pthread_create(&w[i].th, NULL, producer, &w[i]);
	}
	for (u32 i = 0; i < nprod; i++) {
		pthread_join(w[i].th, NULL);
		sent += w[i].reads + w[i].writes + w[i].posted;
	}
	if (!drain(&sh, &c, sent))
		bad = "the consumer never took every request, or answers never came back";
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	pthread_join(c.th, NULL);
	bad = bad ? bad : phase_check(&sh, &c, w, nprod, why, sizeof(why));
	if (!bad && sent != msgs)
		bad = "a producer stopped early";
	if (bad)
		printf("VERDICT FAIL %s/%s %s\n", suite, name, bad);
	else
		printf("VERDICT PASS %s/%s %llu messages (%llu reads, %llu writes, %llu posted) "
		       "in %.1f s\n", suite, name, (unsigned long long)sent,
		       (unsigned long long)c.reads, (unsigned long long)c.writes,
		       (unsigned long long)c.posted, (double)(rt_wall_ns(NULL) - t0) / 1e9);
	fflush(stdout);
	free(sh.area);
	return bad != NULL;
}

int main(int argc, char **argv)
{
	int failed;

	suite = rt_suite_name(argc, argv, suite);
	failed = run_phase("one_producer", 1, total_messages / 2);

	failed += run_phase("three_producers", MAX_PRODUCERS, total_messages - total_messages / 2);
	return failed != 0;
}
