/* In-core self-checks run in test mode (test=1); each prints VERDICT lines. */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

#include <keel/pmm.h>

/* Allocates and frees a few blocks, checking each against the reservations (boot/pmm). */
void selftest_pmm(const struct pmm_resv *resv, unsigned nresv);
/* fault=KIND: makes the last CPU take that fault and checks it stopped cleanly with the expected
 * vector while this CPU carries on (boot/fault-KIND). */
void selftest_fault(const char *kind);

#endif
