/* `make bench` figures, measured by the guest (docs/ring.md §9, docs/partitions.md): under QEMU
 * -icount shift=0 the TSC counts one per instruction executed by every CPU, so an RDTSC delta
 * around one access is what Keel and the service VM executed for it (plus the access itself). */
#include "fwd.h"

#define ROUNDS 8

static uint64_t bench_min(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The cheapest of ROUNDS runs, minus what two back-to-back RDTSCs cost. */
static uint64_t bench_read(uintptr_t a)
{
	uint64_t best = ~0ull, empty = ~0ull;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = rdtsc();
		uint64_t t1 = rdtsc();
		empty = bench_min(empty, t1 - t0);
		t0 = rdtsc();
		(void)*(volatile uint32_t *)a;
		t1 = rdtsc();
		best = bench_min(best, t1 - t0);
	}
	return best - empty;
}

static uint64_t bench_write(uintptr_t a)
{
	uint64_t best = ~0ull, empty = ~0ull;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = rdtsc();
		uint64_t t1 = rdtsc();
		empty = bench_min(empty, t1 - t0);
		t0 = rdtsc();
		*(volatile uint32_t *)a = (uint32_t)i;
		t1 = rdtsc();
		best = bench_min(best, t1 - t0);
	}
	return best - empty;
}

/* Keel's ring path and the service VM, from submit to answer, for one read (Keel's account). */
static uint64_t bench_ring_read(uintptr_t a)
{
	uint64_t best = ~0ull;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = hc_stat(KEEL_STAT_FWD_TSC), n0 = hc_stat(KEEL_STAT_FORWARDED);
		(void)*(volatile uint32_t *)a;
		uint64_t t1 = hc_stat(KEEL_STAT_FWD_TSC), n1 = hc_stat(KEEL_STAT_FORWARDED);
		if (n1 - n0 == 1)
			best = bench_min(best, t1 - t0);
	}
	return best;
}

void fwd_bench(void)
{
	uint64_t trips, exits;
	tdev_reset(0);
	g_printf("bench mmio_forward_read_instructions %lu instructions\n",
		 (unsigned long)bench_read(FWD_TDEV + 0x10));
	g_printf("bench mmio_forward_round_trip_instructions %lu instructions\n",
		 (unsigned long)bench_ring_read(FWD_TDEV + 0x10));
	g_printf("bench mmio_posted_write_instructions %lu instructions\n",
		 (unsigned long)bench_write(FWD_POSTED + 0x10));
	g_printf("bench mmio_incore_read_fwd_partition_instructions %lu instructions\n",
		 (unsigned long)bench_read(FWD_INCORE + 0x10));
	fwd_movsd_4k(&trips, &exits);
	g_printf("bench rep_movsd_4k_round_trips %lu round-trips\n", (unsigned long)trips);
	g_printf("bench rep_movsd_4k_exits %lu exits\n", (unsigned long)exits);
}
