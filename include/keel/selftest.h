/* In-core self-checks run in test mode (test=1); each prints VERDICT lines. */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include <keel/pmm.h>

/* Allocates and frees a few blocks, checking each against the reservations (boot/pmm). */
void selftest_pmm(const struct pmm_resv *resv, unsigned nresv);
/* Writes and reads back pages at the bottom and near the top of RAM above 4 GiB (boot/map-high). */
void selftest_map_high(void);
/* fault=KIND: makes the last CPU take that fault and checks it stopped cleanly with the expected
 * vector while this CPU carries on (boot/fault-KIND). */
void selftest_fault(const char *kind);

#endif
