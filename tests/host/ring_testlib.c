/* Helpers for the ring's host tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include "ring_testlib.h"

const struct keel_ring_device rt_devices[RT_NDEV] = {
	{ .partition = 0, .kind = KEEL_RING_MMIO, .irq = 4, .base = 0xfe000000, .size = 0x1000,
	  .model = "testdev" },
	{ .partition = 0, .kind = KEEL_RING_PIO, .irq = 0xff, .base = 0x3f8, .size = 8,
	  .model = "uart16550" },
	{ .partition = 1, .kind = KEEL_RING_MMIO, .irq = 0xff, .flags = KEEL_RING_F_POSTED,
	  .base = 0xfd000000, .size = 0x100000, .model = "counter" },
	{ .partition = 1, .kind = KEEL_RING_MMIO, .irq = 0xff, .flags = KEEL_RING_F_POSTED,
	  .base = 0xfc000000, .size = 0x1000, .model = "silent" },
};

const char *rt_suite_name(int argc, char **argv, const char *fallback)
{
	const char *slash;

	if (argc < 1 || !argv[0] || !argv[0][0])
		return fallback;
	slash = strrchr(argv[0], '/');
	return slash ? slash + 1 : argv[0];
}

void rt_begin(struct rt_case *c, const char *suite, const char *name)
{
	c->suite = suite;
	c->name = name;
	c->why[0] = 0;
	c->failed = 0;
}

void rt_fail(struct rt_case *c, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed++)
		return;
	n = snprintf(c->why, sizeof(c->why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(c->why + n, sizeof(c->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

int rt_end(struct rt_case *c)
{
	if (c->failed)
		printf("VERDICT FAIL %s/%s %s\n", c->suite, c->name, c->why);
	else
		printf("VERDICT PASS %s/%s\n", c->suite, c->name);
	fflush(stdout);
	return c->failed != 0;
}

static u64 rt_now(void *ctx)
{
	return ((struct rt_world *)ctx)->now;
}

static void rt_pause(void *ctx)
{
	struct rt_world *w = ctx;

	w->now++;
	w->pauses++;
}

static void rt_notify(void *ctx)
{
	((struct rt_world *)ctx)->notifies++;
}

static void rt_log(void *ctx, const struct ring_event *ev)
{
	struct rt_world *w = ctx;

	w->lines[ev->kind]++;
	w->total_lines++;
	if (w->verbose)
		printf("log: ring: %s (device %u partition %u id %#llx value %#llx)\n",
		       ring_event_text(ev->kind), ev->device, ev->partition,
		       (unsigned long long)ev->id, (unsigned long long)ev->value);
}

int rt_world_init(struct rt_world *w, u64 log_interval)
{
	struct ring_config cfg;

	memset(w, 0, sizeof(*w));
	w->area = aligned_alloc(4096, KEEL_RING_AREA_SIZE);
	if (!w->area)
		return -1;
	w->ops = (struct ring_ops){ rt_now, rt_pause, rt_notify, rt_log, w };
	w->now = 1000;
	cfg = (struct ring_config){ .area = w->area, .area_size = KEEL_RING_AREA_SIZE,
				    .devices = rt_devices, .ndevices = RT_NDEV,
				    .log_interval = log_interval, .ops = &w->ops };
	return ring_init(&w->ring, &cfg);
}

void rt_world_free(struct rt_world *w)
{
	free(w->area);
	w->area = NULL;
}

struct ring_access rt_access(u16 dev, u8 dir, u8 size, u32 count, const void *data, u64 timeout)
{
	return (struct ring_access){
		.partition = rt_devices[dev].partition, .vcpu = 1, .kind = rt_devices[dev].kind,
		.dir = dir, .size = size, .addr = rt_devices[dev].base + 0x10, .count = count,
		.stride = (s32)size, .device = dev, .data = data, .timeout = timeout,
	};
}

void rt_put_rsp(void *area, u32 idx, u64 id, u32 status, u32 len, const void *data)
{
	struct keel_ring_rsp *s = (struct keel_ring_rsp *)((u8 *)area + KEEL_RING_RSP_OFFSET) +
				  (idx & (KEEL_RING_SLOTS - 1));

	s->id = id;
	s->status = status;
	s->len = len;
	if (data)
		memcpy(s->data, data, len < KEEL_RING_DATA_MAX ? len : KEEL_RING_DATA_MAX);
}

void rt_set_index(struct keel_ring_index *which, u32 value)
{
	__atomic_store_n(&which->value, value, __ATOMIC_RELEASE);
}

u32 rt_get_index(const struct keel_ring_index *which)
{
	return __atomic_load_n(&which->value, __ATOMIC_ACQUIRE);
}

u8 rt_pattern(u64 id, u64 addr, u32 i)
{
	u64 x = (id * 0x9e3779b97f4a7c15ull) ^ (addr + i) * 0xc2b2ae3d27d4eb4full;

	x ^= x >> 29;
	return (u8)(x ^ (x >> 17));
}

int rt_setup_bare(struct rt_test *t, const char *suite, const char *name, u64 interval)
{
	rt_begin(&t->c, suite, name);
	t->rsp_prod = 0;
	if (rt_world_init(&t->w, interval)) {
		RT_CHECK(&t->c, 0, "ring_init failed");
		return -1;
	}
	return 0;
}

int rt_setup(struct rt_test *t, const char *suite, const char *name, u64 interval)
{
	int e;

	if (rt_setup_bare(t, suite, name, interval))
		return -1;
	e = ring_svc_attach(&t->s, t->w.area, KEEL_RING_AREA_SIZE);
	RT_CHECK(&t->c, e == 0, "ring_svc_attach: %s", ring_svc_strerror(e));
	return e;
}

int rt_done(struct rt_test *t)
{
	rt_world_free(&t->w);
	return rt_end(&t->c);
}

void rt_raw(struct rt_test *t, u64 id, u32 status, u32 len, const void *data)
{
	struct keel_ring_header *h = t->w.area;

	rt_put_rsp(t->w.area, t->rsp_prod, id, status, len, data);
	rt_set_index(&h->rsp_prod, ++t->rsp_prod);
}

u64 rt_submit(struct rt_test *t, const struct ring_access *a)
{
	u64 id = 0;
	int e = ring_submit(&t->w.ring, a, &id);

	RT_CHECK(&t->c, e == 0 && id != 0, "ring_submit: %d id %llu", e, (unsigned long long)id);
	return id;
}

void rt_take(struct rt_test *t, struct keel_ring_req *q)
{
	int e = ring_svc_next(&t->s, q);

	RT_CHECK(&t->c, e == 1, "ring_svc_next: %d", e);
}

/* Answers request q correctly, raw, with the pattern as data. */
void rt_answer(struct rt_test *t, const struct keel_ring_req *q)
{
	u8 d[KEEL_RING_DATA_MAX];
	u32 len = q->dir == KEEL_RING_READ ? q->count * q->size : 0;

	for (u32 i = 0; i < len; i++)
		d[i] = rt_pattern(q->id, q->addr, i);
	rt_raw(t, q->id, KEEL_RING_OK, len, d);
}

void rt_expect_pattern(struct rt_test *t, const u8 *buf, u64 id, u64 addr, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (buf[i] != rt_pattern(id, addr, i)) {
			RT_CHECK(&t->c, 0, "data byte %u is %#x, expected %#x", i, buf[i],
				 rt_pattern(id, addr, i));
			return;
		}
}

void rt_expect_ones(struct rt_test *t, const u8 *buf, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (buf[i] != 0xff) {
			RT_CHECK(&t->c, 0, "byte %u of a failed read is %#x, not 0xff", i, buf[i]);
			return;
		}
}

void rt_events(struct rt_test *t, enum ring_event_kind k, u64 events, u64 lines)
{
	RT_CHECK(&t->c, t->w.ring.stats.events[k] == events && t->w.lines[k] == lines,
		 "%s: %llu events, %llu log lines; expected %llu and %llu", ring_event_text(k),
		 (unsigned long long)t->w.ring.stats.events[k], (unsigned long long)t->w.lines[k],
		 (unsigned long long)events, (unsigned long long)lines);
}

u64 rt_wall_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

void rt_spin(unsigned every)
{
	static __thread unsigned spins;

	__builtin_ia32_pause();
	if (++spins % every == 0)
		sched_yield();
}
