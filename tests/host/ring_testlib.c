/* Helpers for the ring's host tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ring_testlib.h"

const struct keel_ring_device rt_devices[RT_NDEV] = {
	{ .partition = 0, .kind = KEEL_RING_MMIO, .irq = 4, .base = 0xfe000000, .size = 0x1000,
	  .model = "testdev" },
	{ .partition = 0, .kind = KEEL_RING_PIO, .irq = 0xff, .base = 0x3f8, .size = 8,
	  .model = "uart16550" },
	{ .partition = 1, .kind = KEEL_RING_MMIO, .irq = 0xff, .flags = KEEL_RING_F_POSTED,
	  .base = 0xfd000000, .size = 0x100000, .model = "counter" },
	{ .partition = 1, .kind = KEEL_RING_MMIO, .irq = 0xff, .base = 0xfc000000, .size = 0x1000,
	  .model = "silent" },
};

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
