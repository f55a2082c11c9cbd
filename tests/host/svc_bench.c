/* make bench: the service loop's cost. Reported, never asserted.
 *   svc_bench time       two threads (the core's ring library on the main thread, svc_run on
 *                        another): counter reads one at a time and 32 in flight, 256-byte
 *                        testdev write batches
 *   svc_bench counter N  one thread: N counter reads, each submitted, drained by the service
 *   svc_bench batch N    and collected; run under callgrind with --toggle-collect=bench_drain
 *                        (svc_bench.sh), so only the service's side is counted */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <keel/errno.h>
#include <keel/ring.h>
#include <abi/testdev.h>
#include "svc_fake.h"
#include "ring_testlib.h"

#define INFLIGHT 32
#define SECOND 1000000000ull

enum { D_COUNTER, D_TDEV, D_N };

static const struct keel_ring_device devices[D_N] = {
	[D_COUNTER] = { 0, KEEL_RING_MMIO, 0xff, 0, 0xfed00000, 0x1000, "counter" },
	[D_TDEV] = { 0, KEEL_RING_MMIO, 0xff, 0, KEEL_TESTDEV_GPA, KEEL_TESTDEV_SIZE, "testdev" },
};

static struct ring ring;
static struct ring_ops ops;
static struct fake F;
static void *area;

static void core_pause(void *ctx)
{
	(void)ctx;
	rt_spin(1024);
}

static void setup(void)
{
	struct ring_config cfg;

	area = aligned_alloc(4096, KEEL_RING_AREA_SIZE);
	fk_init(&F);
	ops = (struct ring_ops){ rt_wall_ns, core_pause, NULL, NULL, NULL };
	cfg = (struct ring_config){ .area = area, .area_size = KEEL_RING_AREA_SIZE,
				    .devices = devices, .ndevices = D_N, .log_interval = SECOND,
				    .ops = &ops };
	if (!area || ring_init(&ring, &cfg) || svc_init(&F.svc, area, KEEL_RING_AREA_SIZE, &F.plat)) {
		fprintf(stderr, "svc_bench: set-up failed\n");
		exit(1);
	}
}

static struct ring_access counter_read(void)
{
	return (struct ring_access){ .partition = 0, .kind = KEEL_RING_MMIO, .dir = KEEL_RING_READ,
				     .size = 8, .addr = 0xfed00000, .count = 1, .stride = 8,
				     .device = D_COUNTER, .timeout = 10 * SECOND };
}

static struct ring_access tdev_batch(const void *data)
{
	return (struct ring_access){ .partition = 0, .kind = KEEL_RING_MMIO,
				     .dir = KEEL_RING_WRITE, .size = 4, .addr = KEEL_TESTDEV_GPA,
				     .count = KEEL_RING_DATA_MAX / 4, .stride = 4, .device = D_TDEV,
				     .data = data, .timeout = 10 * SECOND };
}

static void *service(void *arg)
{
	(void)arg;
	svc_run(&F.svc);
	return NULL;
}

static double per_second(uint64_t n, uint64_t t0)
{
	return (double)n * SECOND / (double)(rt_wall_ns(NULL) - t0);
}

static double run_round_trips(const struct ring_access *a)
{
	uint64_t buf[KEEL_RING_DATA_MAX / 8], t0 = rt_wall_ns(NULL), n = 0;

	while (rt_wall_ns(NULL) - t0 < SECOND)
		for (int i = 0; i < 256; i++, n++)
			if (ring_access(&ring, a, buf)) {
				fprintf(stderr, "svc_bench: ring_access failed\n");
				exit(1);
			}
	return per_second(n, t0);
}

static double run_pipelined(void)
{
	struct ring_access a = counter_read();
	uint64_t ids[INFLIGHT], v, t0 = rt_wall_ns(NULL), n = 0;
	unsigned head = 0, k = 0;
	int e;

	while (rt_wall_ns(NULL) - t0 < SECOND) {
		while (k < INFLIGHT && !(e = ring_submit(&ring, &a, &ids[(head + k) % INFLIGHT])))
			k++;
		if (k && ring_wait(&ring, ids[head], &v) == 0) {
			head = (head + 1) % INFLIGHT;
			k--;
			n++;
		}
	}
	while (k--) {
		ring_wait(&ring, ids[head], &v);
		head = (head + 1) % INFLIGHT;
	}
	return per_second(n, t0);
}

static int run_time(void)
{
	static uint8_t data[KEEL_RING_DATA_MAX];
	struct ring_access c = counter_read(), b = tdev_batch(data);
	pthread_t th;
	double rtt, msgs, batch;

	setup();
	pthread_create(&th, NULL, service, NULL);
	rtt = run_round_trips(&c);
	msgs = run_pipelined();
	batch = run_round_trips(&b);
	__atomic_store_n(&F.svc.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("bench svc_counter_round_trips_per_second %.0f round-trips/s\n", rtt);
	printf("bench svc_counter_messages_per_second %.0f msgs/s (%d in flight)\n", msgs, INFLIGHT);
	printf("bench svc_testdev_batch_bytes_per_second %.0f bytes/s (256-byte write batches)\n",
	       batch * KEEL_RING_DATA_MAX);
	return 0;
}

/* Only this function is counted under callgrind. */
__attribute__((noinline)) int bench_drain(struct svc *s);
__attribute__((noinline)) int bench_drain(struct svc *s)
{
	return svc_drain(s);
}

static int run_counted(const struct ring_access *a, long n)
{
	uint64_t buf[KEEL_RING_DATA_MAX / 8], id;

	setup();
	for (long i = 0; i < n; i++)
		if (ring_submit(&ring, a, &id) || bench_drain(&F.svc) != 1 || ring_wait(&ring, id, buf)) {
			fprintf(stderr, "svc_bench: request %ld failed\n", i);
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t data[KEEL_RING_DATA_MAX];
	struct ring_access c = counter_read(), b = tdev_batch(data);

	if (argc == 2 && !strcmp(argv[1], "time"))
		return run_time();
	if (argc == 3 && !strcmp(argv[1], "counter"))
		return run_counted(&c, atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "batch"))
		return run_counted(&b, atol(argv[2]));
	fprintf(stderr, "usage: svc_bench time | counter N | batch N\n");
	return 2;
}
