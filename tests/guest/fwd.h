/* The forwarding payload (suite `fwd`): accesses to regions the service VM answers over the
 * ring. The addresses are fixed by the test configurations (the configurations in tests/fwd/). */
#ifndef FWD_H
#define FWD_H

#include "lib/guest.h"

#define S "fwd"
#define FWD_TDEV    KEEL_TESTDEV_GPA  /* forward testdev */
#define FWD_POSTED  0xfe800000u       /* posted testdev */
#define FWD_SILENT  0xfed00000u       /* forward silent: never answers */
#define FWD_SILENT_LATE 0xff8u        /* the stand-in service VM answers a read here late */
#define FWD_INCORE  0xfe400000u       /* incore testdev (benchmark configuration only) */

static inline volatile uint8_t *fwd_ptr(uintptr_t base, uint32_t off)
{
	return (volatile uint8_t *)(base + off);
}

/* Counter deltas around an operation: Keel's own accounting (KEEL_HC_STAT), with the cost of
 * reading the counters themselves taken out. */
struct fwd_stats {
	uint64_t exits, forwarded, failed;
};
void fwd_stats_begin(struct fwd_stats *s);
void fwd_stats_end(struct fwd_stats *s);

/* fwd_str.c: rep string instructions against the forwarded test device, each compared with
 * the same instruction on RAM. */
void fwd_string_cases(void);
/* The 4 KiB rep movsd: ring round trips and exits (also the benchmark's figures). */
void fwd_movsd_4k(uint64_t *round_trips, uint64_t *exits);

#endif
