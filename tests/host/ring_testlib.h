/* Shared by the ring's host tests: verdict lines, a fake clock, a ring with a fixed device table. */
#ifndef TESTS_RING_TESTLIB_H
#define TESTS_RING_TESTLIB_H

#include <keel/ring.h>
#include "service/ring_svc.h"

#define RT_NDEV 4
#define RT_DEV_MMIO 0   /* partition 0 */
#define RT_DEV_PIO 1    /* partition 0 */
#define RT_DEV_POSTED 2 /* partition 1, posted writes */
#define RT_DEV_MMIO1 3  /* partition 1, posted writes */

/* The threaded tests' and benches' clock and spin: CLOCK_MONOTONIC in nanoseconds (ctx unused,
 * so it serves as a ring_ops now_ns), and PAUSE that gives the core away every `every` calls
 * of this thread (two cores shared by more spinning threads). */
u64 rt_wall_ns(void *ctx);
void rt_spin(unsigned every);

/* A case collects its first failure; rt_end prints the verdict. */
struct rt_case {
	const char *suite, *name;
	char why[256];
	int failed;
};

/* The suite is the program's own name, so each sanitizer build reports its own cases. */
const char *rt_suite_name(int argc, char **argv, const char *fallback);
void rt_begin(struct rt_case *c, const char *suite, const char *name);
void rt_fail(struct rt_case *c, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int rt_end(struct rt_case *c);  /* 1 when the case failed */

#define RT_CHECK(c, cond, ...) \
	do { if (!(cond)) rt_fail((c), __FILE__, __LINE__, __VA_ARGS__); } while (0)

/* A deterministic world: the clock moves only when the ring pauses (one tick per pause). */
struct rt_world {
	struct ring ring;
	struct ring_ops ops;
	void *area;
	u64 now;
	u64 pauses;
	u64 notifies;
	u64 lines[RING_EV_COUNT];   /* log lines per kind */
	u64 total_lines;
	int verbose;
};

extern const struct keel_ring_device rt_devices[RT_NDEV];

/* Allocates the area with exactly KEEL_RING_AREA_SIZE bytes (so ASan sees any overrun). */
int rt_world_init(struct rt_world *w, u64 log_interval);
void rt_world_free(struct rt_world *w);

/* A ready-made access for `dev` (its partition and kind) with the given direction. */
struct ring_access rt_access(u16 dev, u8 dir, u8 size, u32 count, const void *data, u64 timeout);

/* Writes one raw answer into response slot `idx` (nothing is checked: this is the attacker). */
void rt_put_rsp(void *area, u32 idx, u64 id, u32 status, u32 len, const void *data);
void rt_set_index(struct keel_ring_index *which, u32 value);
u32 rt_get_index(const struct keel_ring_index *which);

/* The expected data byte i of the answer to request `id` at `addr` (tests' own oracle). */
u8 rt_pattern(u64 id, u64 addr, u32 i);

/* One single-threaded case: a world, the service library taking requests, answers written raw. */
struct rt_test {
	struct rt_case c;
	struct rt_world w;
	struct ring_svc s;
	u32 rsp_prod;   /* the raw answer writer's own index */
};

/* A fresh world with the service attached (rt_setup) or not (rt_setup_bare); 0 on success. */
int rt_setup(struct rt_test *t, const char *suite, const char *name, u64 interval);
int rt_setup_bare(struct rt_test *t, const char *suite, const char *name, u64 interval);
int rt_done(struct rt_test *t);  /* frees the world, prints the verdict; 1 when failed */
/* Publishes one raw answer at the test's own rsp_prod. */
void rt_raw(struct rt_test *t, u64 id, u32 status, u32 len, const void *data);
u64 rt_submit(struct rt_test *t, const struct ring_access *a);
void rt_take(struct rt_test *t, struct keel_ring_req *q);
/* Answers q correctly (raw): a read gets rt_pattern data. */
void rt_answer(struct rt_test *t, const struct keel_ring_req *q);
void rt_expect_pattern(struct rt_test *t, const u8 *buf, u64 id, u64 addr, u32 len);
void rt_expect_ones(struct rt_test *t, const u8 *buf, u32 len);
/* Checks how many events of kind k were counted and how many lines were logged. */
void rt_events(struct rt_test *t, enum ring_event_kind k, u64 events, u64 lines);

#endif
