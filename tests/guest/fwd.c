/* Forwarding payload: plain and read-modify-write accesses to a forwarded test device, a region
 * that never answers (timeouts, no write half after a failed read half, late answers), posted
 * writes, string batches (fwd_str.c), a port batch through the forwarded console UART, and with
 * `bench` on the command line the figures `make bench` reports. */
#include "fwd.h"

static uint64_t fwd_base[3];

static void fwd_stats_read(uint64_t v[3])
{
	v[0] = hc_stat(KEEL_STAT_EXITS);
	v[1] = hc_stat(KEEL_STAT_FORWARDED);
	v[2] = hc_stat(KEEL_STAT_FWD_FAILED);
}

void fwd_stats_begin(struct fwd_stats *s)
{
	uint64_t v[3];
	fwd_stats_read(v);
	s->exits = v[0];
	s->forwarded = v[1];
	s->failed = v[2];
}

void fwd_stats_end(struct fwd_stats *s)
{
	uint64_t v[3];
	fwd_stats_read(v);
	s->exits = v[0] - s->exits - fwd_base[0];
	s->forwarded = v[1] - s->forwarded - fwd_base[1];
	s->failed = v[2] - s->failed - fwd_base[2];
}

/* What reading the counters costs by itself (exits of the hypercalls), measured. */
static void fwd_calibrate(void)
{
	struct fwd_stats s;
	fwd_stats_begin(&s);
	fwd_stats_end(&s);
	fwd_base[0] = s.exits;
	fwd_base[1] = s.forwarded;
	fwd_base[2] = s.failed;
}

static uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static void check_plain(void)
{
	struct fwd_stats st;
	tdev_reset(0);
	tdev_poke(0x40, 0x0123456789abcdefull);
	fwd_stats_begin(&st);
	uint32_t v = rd32(FWD_TDEV + 0x44);
	wr32(FWD_TDEV + 0x48, 0xcafef00d);
	fwd_stats_end(&st);
	verdict_check(S, "read-write", v == 0x01234567 && tdev_peek(0x48) == 0xcafef00d &&
		      st.forwarded == 2 && st.exits == 2 && st.failed == 0,
		      "read %x peek %lx requests %lu exits %lu", v, (unsigned long)tdev_peek(0x48),
		      (unsigned long)st.forwarded, (unsigned long)st.exits);
}

/* OR, XCHG and a failing CMPXCHG read the device, then write it (SDM Vol. 2: CMPXCHG writes the
 * old value back when the compare fails): log = read then write of the same bytes. */
static void check_rmw(void)
{
	struct fwd_stats st;
	uint32_t off, o2;
	uint8_t size, dir, d2;
	uint64_t data, x2;
	tdev_reset(0);
	tdev_poke(0x80, 0x000000f0u);
	fwd_stats_begin(&st);
	__asm__ volatile("orl $0x0f, (%0)" : : "r"((uintptr_t)FWD_TDEV + 0x80) : "memory", "cc");
	fwd_stats_end(&st);
	bool log = tdev_log_count() == 2 && tdev_log_entry(0, &off, &size, &dir, &data) &&
		   tdev_log_entry(1, &o2, &size, &d2, &x2) && off == 0x80 && o2 == 0x80 &&
		   dir == KEEL_TESTDEV_DIR_READ && d2 == KEEL_TESTDEV_DIR_WRITE && data == 0xf0 &&
		   x2 == 0xff;
	verdict_check(S, "rmw-or", log && (uint32_t)tdev_peek(0x80) == 0xff && st.forwarded == 2,
		      "log %u value %lx requests %lu", log, (unsigned long)tdev_peek(0x80),
		      (unsigned long)st.forwarded);

	ureg r = 0x11111111;
	__asm__ volatile("xchgl %k0, (%1)" : "+r"(r) : "r"((uintptr_t)FWD_TDEV + 0x80) : "memory");
	verdict_check(S, "rmw-xchg", r == 0xff && (uint32_t)tdev_peek(0x80) == 0x11111111,
		      "old %lx new %lx", (unsigned long)r, (unsigned long)tdev_peek(0x80));

	tdev_reset(0);
	tdev_poke(0x90, 5);
	ureg a = 7, n = 9;
	__asm__ volatile("lock cmpxchgl %k2, (%1)" : "+a"(a) : "r"((uintptr_t)FWD_TDEV + 0x90), "r"(n)
			 : "memory", "cc");
	log = tdev_log_count() == 2 && tdev_log_entry(1, &off, &size, &dir, &data) &&
	      dir == KEEL_TESTDEV_DIR_WRITE && data == 5;
	verdict_check(S, "cmpxchg-fail-writes-back", a == 5 && log && tdev_peek(0x90) == 5,
		      "eax %lx log %u", (unsigned long)a, log);
}

/* The silent model never answers: reads complete with all-ones after the ring timeout, and the
 * write half of an RMW whose read timed out is never sent (docs/ring.md §4). */
static void check_silent(void)
{
	struct fwd_stats st;
	fwd_stats_begin(&st);
	uint32_t v = rd32(FWD_SILENT + 0x10);
	fwd_stats_end(&st);
	verdict_check(S, "silent-read-ones", v == 0xffffffffu && st.forwarded == 1 && st.failed == 1,
		      "read %x requests %lu failed %lu", v, (unsigned long)st.forwarded,
		      (unsigned long)st.failed);
	v = *(volatile uint16_t *)(uintptr_t)(FWD_SILENT + 0x20);
	verdict_check(S, "silent-read-again", v == 0xffff, "read %x", v);

	ureg r = 0x1234;
	fwd_stats_begin(&st);
	__asm__ volatile("orl %k0, (%1)" : : "r"(r), "r"((uintptr_t)FWD_SILENT + 0x8) : "memory", "cc");
	fwd_stats_end(&st);
	verdict_check(S, "silent-rmw-no-write", st.forwarded == 1 && st.failed == 1,
		      "requests %lu (only the read half may go out) failed %lu",
		      (unsigned long)st.forwarded, (unsigned long)st.failed);
}

/* A late answer (the stand-in service VM answers this read after Keel timed it out) is dropped;
 * the next access gets its own answer. */
static void check_late(void)
{
	uint32_t v = rd32(FWD_SILENT + FWD_SILENT_LATE);
	tdev_reset(0);
	tdev_poke(0x30, 0xa1b2c3d4u);
	uint32_t w = rd32(FWD_TDEV + 0x30);
	verdict_check(S, "late-answer-dropped", v == 0xffffffffu && w == 0xa1b2c3d4u,
		      "timed-out read %x, next read %x", v, w);
}

/* Posted writes do not wait; a later read from the same vCPU sees them (ring order). */
static void check_posted(void)
{
	struct fwd_stats st;
	*(volatile uint32_t *)(uintptr_t)(FWD_POSTED + KEEL_TESTDEV_RESET) = 0;
	fwd_stats_begin(&st);
	wr32(FWD_POSTED + 0x10, 0x600dd00d);
	wr32(FWD_POSTED + 0x1c, 0x11223344);
	fwd_stats_end(&st);
	uint32_t a = rd32(FWD_POSTED + 0x10), b = rd32(FWD_POSTED + 0x1c);
	verdict_check(S, "posted-write-then-read", a == 0x600dd00d && b == 0x11223344 &&
		      st.forwarded == 2 && st.failed == 0, "read %x %x requests %lu failed %lu", a, b,
		      (unsigned long)st.forwarded, (unsigned long)st.failed);
}

/* rep outsb to the forwarded console UART: one request for the whole string (stride 0). */
static void check_port_batch(void)
{
	static const char msg[] = "fwd: rep outsb through the forwarded console UART\n";
	struct fwd_stats st;
	ureg si = (uintptr_t)msg, cx = sizeof(msg) - 1;
	fwd_stats_begin(&st);
	__asm__ volatile("rep outsb" : "+S"(si), "+c"(cx) : "d"(0x3f8) : "memory");
	fwd_stats_end(&st);
	verdict_check(S, "rep-outsb-one-request", cx == 0 && st.forwarded == 1 && st.exits == 1,
		      "rcx %lu requests %lu exits %lu", (unsigned long)cx, (unsigned long)st.forwarded,
		      (unsigned long)st.exits);
}

static void check_movsd_4k(void)
{
	uint64_t trips, exits;
	fwd_movsd_4k(&trips, &exits);
	verdict_check(S, "rep-movsd-4k-16-round-trips", trips == 16 && exits == 16,
		      "round trips %lu exits %lu", (unsigned long)trips, (unsigned long)exits);
}

static bool has_arg(const struct keel_start_info *si, const char *word)
{
	const char *s = (const char *)(uintptr_t)si->cmdline;
	size_t n = strlen(word);
	for (; *s; s++)
		if (!memcmp(s, word, n) && (s[n] == 0 || s[n] == ' '))
			return true;
	return false;
}

void fwd_bench(void);
void fwd_policy_gp(void);
void fwd_policy_stop(void);

int guest_main(const struct keel_start_info *si)
{
	g_printf("fwd: partition %s, %s\n", si->name, sizeof(ureg) == 8 ? "long mode" : "protected mode");
	fwd_calibrate();
	if (has_arg(si, "bench")) {
		fwd_bench();
		return 0;
	}
	if (has_arg(si, "unbacked-gp")) {
		fwd_policy_gp();
		return 0;
	}
	if (has_arg(si, "unbacked-stop")) {
		fwd_policy_stop();
		return 0;
	}
	check_plain();
	check_rmw();
	check_silent();
	check_late();
	check_posted();
	check_port_batch();
	fwd_string_cases();
	check_movsd_4k();
	return 0;
}
