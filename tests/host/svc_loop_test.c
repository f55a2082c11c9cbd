/* The service's ring loop (service/loop.c) against the core's ring library (vmm/ring*.c): a
 * service thread runs svc_run on the fake platform while the test, as the core, makes accesses
 * with ring_access from one or two threads. Expected data comes from the ABI: the in-core
 * testdev (vmm/testdev.c) fed the same elements, counts of accesses, all-ones for failures. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <keel/errno.h>
#include <keel/ring.h>
#include <keel/partition.h>
#include <keel/testdev.h>
#include <arch/vcpu.h>
#include "svc_fake.h"
#include "ring_testlib.h"
#include "service/uart.h"

static const char *suite = "svc_loop";

enum { D_TDEV, D_COUNT0, D_POSTED, D_SILENT, D_UART, D_NOSUCH, D_N };

static const struct keel_ring_device devices[D_N] = {
	[D_TDEV] = { 0, KEEL_RING_MMIO, 0xff, 0, KEEL_TESTDEV_GPA, KEEL_TESTDEV_SIZE, "testdev" },
	[D_COUNT0] = { 0, KEEL_RING_MMIO, 0xff, 0, 0xfed00000, 0x1000, "counter" },
	[D_POSTED] = { 1, KEEL_RING_MMIO, 0xff, KEEL_RING_F_POSTED, 0xfed00000, 0x1000, "counter" },
	[D_SILENT] = { 1, KEEL_RING_MMIO, 0xff, 0, 0xfec80000, 0x1000, "silent" },
	[D_UART] = { 1, KEEL_RING_PIO, 4, 0, 0x3f8, 8, "uart16550" },
	[D_NOSUCH] = { 0, KEEL_RING_PIO, 0xff, 0, 0x60, 1, "nosuch" },
};

#define SECOND 1000000000ull

struct world {
	struct ring ring;
	struct ring_ops ops;
	void *area;
	struct fake f;
	pthread_t th;
	int rc, late_ms, stopped;
	uint64_t events[RING_EV_COUNT];
};

static void core_pause(void *ctx)
{
	(void)ctx;
	rt_spin(64);
}

static void core_notify(void *ctx)
{
	fk_notify(&((struct world *)ctx)->f);
}

static void core_log(void *ctx, const struct ring_event *ev)
{
	__atomic_fetch_add(&((struct world *)ctx)->events[ev->kind], 1, __ATOMIC_RELAXED);
}

static void *svc_thread(void *arg)
{
	struct world *w = arg;

	if (w->late_ms)
		usleep((useconds_t)w->late_ms * 1000);
	if (svc_init(&w->f.svc, w->area, KEEL_RING_AREA_SIZE, &w->f.plat)) {
		w->rc = 99;
		return NULL;
	}
	w->rc = svc_run(&w->f.svc);
	return NULL;
}

static struct world *world_start(struct tc *t, const char *name, uint32_t vector, int late_ms)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ring_config cfg;

	tc_begin(t, suite, name);
	w->area = aligned_alloc(4096, KEEL_RING_AREA_SIZE);
	fk_init(&w->f);
	w->late_ms = late_ms;
	w->ops = (struct ring_ops){ rt_wall_ns, core_pause, core_notify, core_log, w };
	cfg = (struct ring_config){ .area = w->area, .area_size = KEEL_RING_AREA_SIZE,
				    .devices = devices, .ndevices = D_N, .notify_vector = vector,
				    .log_interval = SECOND, .ops = &w->ops };
	if (ring_init(&w->ring, &cfg) || pthread_create(&w->th, NULL, svc_thread, w)) {
		tc_fail(t, __FILE__, __LINE__, "ring_init or pthread_create failed");
		exit(1);
	}
	return w;
}

/* Stops the service thread; the service's counters may be read after this. */
static void world_stop(struct world *w)
{
	if (w->stopped)
		return;
	__atomic_store_n(&w->f.svc.stop, 1, __ATOMIC_RELEASE);
	fk_notify(&w->f);
	pthread_join(w->th, NULL);
	w->stopped = 1;
}

/* Checks how svc_run ended, frees the world, prints the verdict. */
static int world_end(struct tc *t, struct world *w, int want_rc)
{
	world_stop(w);
	TC_CHECK(t, w->rc == want_rc, "svc_run returned %d, expected %d", w->rc, want_rc);
	free(w->area);
	free(w);
	return tc_end(t);
}

static int access_dev(struct world *w, uint16_t dev, uint8_t dir, uint8_t size, uint32_t count,
		      int32_t stride, uint64_t addr, void *data, uint64_t timeout)
{
	struct ring_access a = {
		.partition = devices[dev].partition, .vcpu = 0, .kind = devices[dev].kind,
		.dir = dir, .size = size, .flags = dir == KEEL_RING_WRITE ? devices[dev].flags : 0,
		.addr = addr, .count = count, .stride = stride, .device = dev, .data = data,
		.timeout = timeout,
	};

	return ring_access(&w->ring, &a, dir == KEEL_RING_READ ? data : NULL);
}

static uint64_t counter_read(struct world *w, uint16_t dev, int *err)
{
	uint64_t v = 0xdead;

	*err = access_dev(w, dev, KEEL_RING_READ, 8, 1, 8, devices[dev].base, &v, 5 * SECOND);
	return v;
}

/* Accesses made before the service is ready wait for it (docs/ring.md §8). */
static int case_late_attach(void)
{
	struct tc t;
	struct world *w = world_start(&t, "waits-for-late-attach", 0, 30);
	int err;
	uint64_t v = counter_read(w, D_COUNT0, &err);

	TC_CHECK(&t, err == 0 && v == 0, "err %d value %llu", err, (unsigned long long)v);
	return world_end(&t, w, 0);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One random batch inside the testdev: elements in order, stride +size, -size or 0. */
static void tdev_batch(uint64_t *seed, uint8_t *size, uint32_t *count, int32_t *stride,
		       uint64_t *off)
{
	uint64_t r = rnd(seed);
	uint64_t span;

	*size = (uint8_t)(1u << (r & 3));
	*count = (r >> 2) % 4 ? 1 : 1 + (uint32_t)((r >> 8) % (KEEL_RING_DATA_MAX / *size));
	*stride = (r >> 16) % 3 == 0 ? 0 : (r >> 16) % 3 == 1 ? *size : -(int32_t)*size;
	span = (uint64_t)*size * (*stride ? *count - 1 : 0);
	if ((r >> 20) % 16 == 0) {
		*size = 4;
		*count = 1;
		*stride = 4;
		*off = KEEL_TESTDEV_DATA + 4 * ((r >> 24) % 8);
		return;
	}
	*off = (r >> 24) % (KEEL_TESTDEV_DATA - span - *size + 1);
	if (*stride < 0)
		*off += span;
}

/* The same elements on the in-core model; reads fill `out`. */
static void tdev_reference(struct testdev *ref, uint8_t dir, uint8_t size, uint32_t count,
			   int32_t stride, uint64_t off, const uint8_t *in, uint8_t *out)
{
	static struct partition part;
	static struct vcpu vcpu = { .part = &part };

	for (uint32_t i = 0; i < count; i++, off += (uint64_t)(int64_t)stride) {
		uint64_t v = 0;

		if (dir == KEEL_RING_WRITE) {
			memcpy(&v, in + i * size, size);
			testdev_ops.write(ref, &vcpu, off, size, v);
		} else {
			v = testdev_ops.read(ref, &vcpu, off, size);
			memcpy(out + i * size, &v, size);
		}
	}
}

static int case_testdev(void)
{
	struct tc t;
	struct world *w = world_start(&t, "testdev-batches-match-in-core", 0, 0);
	struct testdev *ref = calloc(1, sizeof(*ref));
	uint64_t seed = 0x1234567887654321ull;
	uint8_t buf[KEEL_RING_DATA_MAX], want[KEEL_RING_DATA_MAX];

	for (uint32_t n = 0; n < 20000 && !t.failed; n++) {
		uint8_t size, dir = rnd(&seed) & 1;
		uint32_t count;
		int32_t stride;
		uint64_t off;
		int err;

		tdev_batch(&seed, &size, &count, &stride, &off);
		for (uint32_t i = 0; i < count * size; i++)
			buf[i] = (uint8_t)rnd(&seed);
		if (off == KEEL_TESTDEV_LOG_INDEX && dir == KEEL_RING_WRITE)
			buf[1] = buf[2] = buf[3] = 0;
		tdev_reference(ref, dir, size, count, stride, off, buf, want);
		err = access_dev(w, D_TDEV, dir, size, count, stride, KEEL_TESTDEV_GPA + off, buf,
				 5 * SECOND);
		TC_CHECK(&t, err == 0, "access %u: ring_access %d", n, err);
		TC_CHECK(&t, dir == KEEL_RING_WRITE || !memcmp(buf, want, count * size),
			 "access %u: read %u x %u stride %d at %#llx differs from the in-core model", n,
			 count, size, stride, (unsigned long long)off);
	}
	free(ref);
	return world_end(&t, w, 0);
}

static int case_counter(void)
{
	struct tc t;
	struct world *w = world_start(&t, "counter-counts-elements", 0, 0);
	uint64_t batch[32];
	int err = 0;

	for (uint64_t i = 0; i < 1000 && !t.failed; i++) {
		uint64_t v = counter_read(w, D_COUNT0, &err);

		TC_CHECK(&t, err == 0 && v == i, "read %llu returned %llu (err %d)",
			 (unsigned long long)i, (unsigned long long)v, err);
	}
	err = access_dev(w, D_COUNT0, KEEL_RING_READ, 8, 32, 0, 0xfed00008, batch, 5 * SECOND);
	for (uint32_t i = 0; i < 32; i++)
		TC_CHECK(&t, err == 0 && batch[i] == 1000 + i, "batch element %u: %llu", i,
			 (unsigned long long)batch[i]);
	return world_end(&t, w, 0);
}

/* A read after posted writes from the same vCPU sees all of them (docs/ring.md §5). */
static int case_posted(void)
{
	struct tc t;
	struct world *w = world_start(&t, "read-after-posted-writes", 0, 0);
	uint32_t zero = 0;
	int err = 0, bad = 0;
	uint64_t v;

	for (int i = 0; i < 500; i++)
		bad += access_dev(w, D_POSTED, KEEL_RING_WRITE, 4, 1, 4, 0xfed00000, &zero,
				  5 * SECOND) != 0;
	v = counter_read(w, D_POSTED, &err);
	TC_CHECK(&t, bad == 0 && err == 0 && v == 500, "%d posted writes failed, read %llu err %d",
		 bad, (unsigned long long)v, err);
	return world_end(&t, w, 0);
}

static int case_silent(void)
{
	struct tc t;
	struct world *w = world_start(&t, "silent-times-out", 0, 0);
	uint32_t v = 0x12345678;
	int err = access_dev(w, D_SILENT, KEEL_RING_READ, 4, 1, 4, 0xfec80000, &v, SECOND / 20);

	TC_CHECK(&t, err == -ETIMEDOUT && v == 0xffffffffu && w->events[RING_EV_TIMEOUT] == 1,
		 "err %d value %#x timeouts %llu", err, v,
		 (unsigned long long)w->events[RING_EV_TIMEOUT]);
	world_stop(w);
	TC_CHECK(&t, w->f.svc.st.unanswered == 1 && w->f.svc.st.answers == 0, "unanswered %llu",
		 (unsigned long long)w->f.svc.st.unanswered);
	return world_end(&t, w, 0);
}

/* The silent model's late register: the core times the read out, then drops the answer that
 * comes just before the next one (docs/ring.md §4), and the next access gets its own. */
static int case_late(void)
{
	struct tc t;
	struct world *w = world_start(&t, "late-answer-dropped-by-core", 0, 0);
	uint32_t v = 0x12345678;
	int err = access_dev(w, D_SILENT, KEEL_RING_READ, 4, 1, 4, 0xfec80000 + SVC_SILENT_LATE, &v,
			     SECOND / 20), err2;
	uint64_t c = counter_read(w, D_COUNT0, &err2);

	world_stop(w);
	TC_CHECK(&t, err == -ETIMEDOUT && v == 0xffffffffu && err2 == 0 && c == 0,
		 "late read %d %#x, next read %d %llu", err, v, err2, (unsigned long long)c);
	TC_CHECK(&t, w->f.svc.st.late == 1 && w->events[RING_EV_LATE] == 1,
		 "late answers %llu, core saw %llu", (unsigned long long)w->f.svc.st.late,
		 (unsigned long long)w->events[RING_EV_LATE]);
	return world_end(&t, w, 0);
}

static int case_nosuch(void)
{
	struct tc t;
	struct world *w = world_start(&t, "unknown-model-enodev", 0, 0);
	uint8_t v = 0x12;
	int err = access_dev(w, D_NOSUCH, KEEL_RING_READ, 1, 1, 0, 0x60, &v, 5 * SECOND);

	world_stop(w);
	TC_CHECK(&t, err == -EIO && v == 0xff && w->f.svc.st.enodev == 1 &&
		 fk_logged(&w->f, "unknown model") == 1, "err %d value %#x enodev %llu", err, v,
		 (unsigned long long)w->f.svc.st.enodev);
	return world_end(&t, w, 0);
}

/* Port writes reach the console (a string instruction's batch too); input comes back. */
static int case_uart(void)
{
	struct tc t;
	struct world *w = world_start(&t, "uart-console-both-ways", 0, 0);
	uint8_t lsr = 0, rbr = 0;
	int err = 0;

	fk_input(&w->f, 1, "k", 1);
	for (const char *c = "hi\n"; *c; c++)
		err |= access_dev(w, D_UART, KEEL_RING_WRITE, 1, 1, 0, 0x3f8, (void *)c, 5 * SECOND);
	err |= access_dev(w, D_UART, KEEL_RING_WRITE, 1, 6, 0, 0x3f8, "there\n", 5 * SECOND);
	for (int i = 0; i < 64 && !(lsr & UART_LSR_DR); i++)
		err |= access_dev(w, D_UART, KEEL_RING_READ, 1, 1, 0, 0x3f8 + UART_LSR, &lsr,
				  5 * SECOND);
	err |= access_dev(w, D_UART, KEEL_RING_READ, 1, 1, 0, 0x3f8, &rbr, 5 * SECOND);
	world_stop(w);
	TC_CHECK(&t, err == 0 && (lsr & UART_LSR_DR) && rbr == 'k', "err %d lsr %#x rbr %#x", err,
		 lsr, rbr);
	TC_CHECK(&t, w->f.out_len[1] == 9 && !memcmp(w->f.out[1], "hi\nthere\n", 9),
		 "console got '%.*s'", (int)w->f.out_len[1], w->f.out[1]);
	return world_end(&t, w, 0);
}

struct producer {
	struct world *w;
	pthread_t th;
	uint32_t n;
	char why[120];
};

/* Counter reads from one vCPU only ever increase, whatever the other does. */
static void *producer(void *arg)
{
	struct producer *p = arg;
	uint64_t last = 0, v;
	uint32_t zero = 0;
	int err;

	for (uint32_t i = 0; i < p->n && !p->why[0]; i++) {
		if (i % 3 == 0) {
			err = access_dev(p->w, D_COUNT0, KEEL_RING_WRITE, 4, 1, 4, 0xfed00000, &zero,
					 5 * SECOND);
			v = last + 1;
		} else {
			v = counter_read(p->w, D_COUNT0, &err);
		}
		if (err || v <= last)
			snprintf(p->why, sizeof(p->why), "access %u: err %d value %llu after %llu", i,
				 err, (unsigned long long)v, (unsigned long long)last);
		last = v;
	}
	return NULL;
}

static int run_producers(struct tc *t, struct world *w, uint32_t each)
{
	struct producer p[2] = { { .w = w, .n = each }, { .w = w, .n = each } };
	int err;
	uint64_t before = counter_read(w, D_COUNT0, &err), total;

	for (int i = 0; i < 2; i++)
		pthread_create(&p[i].th, NULL, producer, &p[i]);
	for (int i = 0; i < 2; i++) {
		pthread_join(p[i].th, NULL);
		TC_CHECK(t, !p[i].why[0], "producer %d: %s", i, p[i].why);
	}
	total = counter_read(w, D_COUNT0, &err);
	TC_CHECK(t, err == 0 && total == before + 2ull * each + 1, "count %llu after %llu + %u accesses",
		 (unsigned long long)total, (unsigned long long)before, 2 * each);
	return 0;
}

static int case_two_producers(void)
{
	struct tc t;
	struct world *w = world_start(&t, "two-vcpus-poll-mode", 0, 0);

	run_producers(&t, w, 20000);
	world_stop(w);
	TC_CHECK(&t, w->f.svc.st.kicks == 0 && w->f.sleeps == 0, "poll mode kicked %llu slept %llu",
		 (unsigned long long)w->f.svc.st.kicks, (unsigned long long)w->f.sleeps);
	return world_end(&t, w, 0);
}

/* irq mode: the service sleeps when the ring is empty, the core's notification wakes it, and
 * it kicks after publishing answers. */
static int case_irq_mode(void)
{
	struct tc t;
	struct world *w = world_start(&t, "irq-mode-sleeps-and-kicks", 0xf0, 0);

	for (int round = 0; round < 20; round++) {
		run_producers(&t, w, 200);
		usleep(2000);
	}
	world_stop(w);
	TC_CHECK(&t, w->f.svc.notify_vector == 0xf0 && w->f.sleeps >= 20 &&
		 w->f.svc.st.kicks > 0, "vector %u sleeps %llu kicks %llu",
		 w->f.svc.notify_vector, (unsigned long long)w->f.sleeps,
		 (unsigned long long)w->f.svc.st.kicks);
	return world_end(&t, w, 0);
}

/* irq mode with the console's UART taking receive interrupts: the loop sleeps at most
 * SVC_POLL_US at a time and polls console input at each wake, never spinning; typed input
 * reaches the RBR without any access waking it. */
static int case_irq_busy(void)
{
	struct tc t;
	struct world *w = world_start(&t, "irq-mode-busy-model-naps", 0xf0, 0);
	uint8_t ier = UART_IER_RDI, lsr = 0, rbr = 0;
	int err = access_dev(w, D_UART, KEEL_RING_WRITE, 1, 1, 0, 0x3f8 + UART_IER, &ier, 5 * SECOND);
	uint64_t sleeps, pauses, reads;

	usleep(200000);
	pthread_mutex_lock(&w->f.lock);
	sleeps = w->f.timed_sleeps;
	pauses = w->f.pauses;
	reads = w->f.read_calls;
	pthread_mutex_unlock(&w->f.lock);
	fk_input(&w->f, 1, "z", 1);
	usleep(3 * SVC_POLL_US);
	err |= access_dev(w, D_UART, KEEL_RING_READ, 1, 1, 0, 0x3f8 + UART_LSR, &lsr, 5 * SECOND);
	err |= access_dev(w, D_UART, KEEL_RING_READ, 1, 1, 0, 0x3f8, &rbr, 5 * SECOND);
	world_stop(w);
	/* 200 ms of naps of 10 ms: about 20, and far fewer than a spinning loop's passes */
	TC_CHECK(&t, err == 0 && sleeps >= 5 && sleeps <= 40 && pauses == 0 && reads >= sleeps / 2,
		 "err %d timed sleeps %llu pauses %llu console reads %llu", err,
		 (unsigned long long)sleeps, (unsigned long long)pauses, (unsigned long long)reads);
	TC_CHECK(&t, (lsr & UART_LSR_DR) && rbr == 'z', "lsr %#x rbr %#x", lsr, rbr);
	return world_end(&t, w, 0);
}

/* A wild req_prod breaks the ring: the loop stops with -KEEL_ERANGE and says so. */
static int case_broken(void)
{
	struct tc t;
	struct world *w = world_start(&t, "wild-index-stops-loop", 0, 0);
	struct keel_ring_header *h = w->area;
	int err;

	(void)counter_read(w, D_COUNT0, &err);
	__atomic_store_n(&h->req_prod.value, h->req_prod.value + 1000, __ATOMIC_RELEASE);
	pthread_join(w->th, NULL);
	w->stopped = 1;
	TC_CHECK(&t, err == 0 && fk_logged(&w->f, "broken") == 1, "err %d", err);
	return world_end(&t, w, -KEEL_ERANGE);
}

int main(void)
{
	int failed = case_late_attach() + case_testdev() + case_counter() + case_posted() +
		     case_silent() + case_late() + case_nosuch() + case_uart() + case_two_producers() +
		     case_irq_mode() + case_irq_busy() + case_broken();

	return failed ? 1 : 0;
}
