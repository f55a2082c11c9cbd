/* make bench: ring throughput between two host threads (the core's end on the main thread, the
 * service library answering on another). Reported, never asserted.
 *   ring_messages_per_second     read requests answered per second, up to 32 in flight
 *                                (each message = one request + its answer, pipelined)
 *   ring_round_trips_per_second  one 4-byte read at a time through ring_access
 *   ring_posted_writes_per_second posted writes through ring_access, acknowledged */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <keel/errno.h>
#include "ring_testlib.h"

#define INFLIGHT 32
#define SECONDS_PER_FIGURE 1.0

static struct ring ring;
static struct ring_svc svc;
static u32 stop;

static void pause_rarely_yield(void *ctx)
{
	(void)ctx;
	rt_spin(1024);
}

static void *service(void *arg)
{
	struct keel_ring_req q;
	struct keel_ring_rsp rsp;
	int e;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		e = ring_svc_next(&svc, &q);
		if (e == 0) {
			pause_rarely_yield(NULL);
			continue;
		}
		if (e < 0) {
			fprintf(stderr, "bench: service: %s\n", ring_svc_strerror(e));
			exit(1);
		}
		ring_svc_answer_init(&rsp, &q, KEEL_RING_OK);
		for (u32 i = 0; i < rsp.len; i++)
			rsp.data[i] = (u8)i;
		ring_svc_answer_wait(&svc, &rsp, pause_rarely_yield, NULL);
	}
	return NULL;
}

static void die(const char *what, int e)
{
	fprintf(stderr, "bench: %s failed: %d\n", what, e);
	exit(1);
}

static u64 pipelined(struct ring_access *a)
{
	u64 id[INFLIGHT];
	u8 buf[8];
	int e;

	for (u32 i = 0; i < INFLIGHT; i++)
		while ((e = ring_submit(&ring, a, &id[i])) != 0)
			if (e != -EBUSY && e != -ENOSPC)
				die("ring_submit", e);
			else
				pause_rarely_yield(NULL);
	for (u32 i = 0; i < INFLIGHT; i++)
		if ((e = ring_wait(&ring, id[i], buf)) != 0)
			die("ring_wait", e);
	return INFLIGHT;
}

static u64 one(struct ring_access *a)
{
	u8 buf[8];
	int e = ring_access(&ring, a, buf);

	if (e)
		die("ring_access", e);
	return 1;
}

static double measure(u64 (*step)(struct ring_access *), struct ring_access *a)
{
	u64 t0 = rt_wall_ns(NULL), n = 0, t;

	do {
		for (u32 i = 0; i < 64; i++)
			n += step(a);
		t = rt_wall_ns(NULL);
	} while ((double)(t - t0) < SECONDS_PER_FIGURE * 1e9);
	return (double)n * 1e9 / (double)(t - t0);
}

int main(void)
{
	static const struct ring_ops ops = { rt_wall_ns, pause_rarely_yield, NULL, NULL, NULL };
	void *area = aligned_alloc(4096, KEEL_RING_AREA_SIZE);
	struct ring_config cfg = { .area = area, .area_size = KEEL_RING_AREA_SIZE,
				   .devices = rt_devices, .ndevices = RT_NDEV, .ops = &ops };
	u32 v = 1;
	struct ring_access rd = rt_access(RT_DEV_MMIO, KEEL_RING_READ, 4, 1, NULL, 1000000000ull);
	struct ring_access pw = rt_access(RT_DEV_POSTED, KEEL_RING_WRITE, 4, 1, &v, 1000000000ull);
	pthread_t th;
	double msgs, rtt, posted;

	if (!area || ring_init(&ring, &cfg) || ring_svc_attach(&svc, area, KEEL_RING_AREA_SIZE))
		die("set-up", -1);
	pw.flags = KEEL_RING_F_POSTED;
	pthread_create(&th, NULL, service, NULL);
	msgs = measure(pipelined, &rd);
	rtt = measure(one, &rd);
	posted = measure(one, &pw);
	while (ring_outstanding(&ring))
		ring_poll(&ring);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("bench ring_messages_per_second %.0f msgs/s\n", msgs);
	printf("bench ring_round_trips_per_second %.0f round-trips/s\n", rtt);
	printf("bench ring_round_trip_ns %.0f ns\n", 1e9 / rtt);
	printf("bench ring_posted_writes_per_second %.0f msgs/s\n", posted);
	free(area);
	return 0;
}
