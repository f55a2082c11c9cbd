/* The irq payload's shared pieces: an interrupt log the handlers fill, and the test groups. */
#ifndef IRQ_H
#define IRQ_H

#include "lib/apic.h"

#define S "irq"
#define ILOG_MAX 64

struct ilog {
	volatile unsigned n;
	volatile uint8_t vec[ILOG_MAX];
	volatile uint64_t tsc[ILOG_MAX];
	volatile uint32_t isr_seen[ILOG_MAX]; /* ISR word of the vector, read in the handler */
};
extern struct ilog ilog;

void ilog_reset(void);
unsigned ilog_count(uint8_t vector);
/* Handlers: record (vector, TSC, its ISR word), then EOI or not. */
void h_eoi(unsigned vector);
void h_noeoi(unsigned vector);
/* Waits up to `us` for the log to hold n entries (IF must be 1 for anything to come). */
bool ilog_wait(unsigned n, uint64_t us);

/* TSC ticks for a duration, and the acceptance window for a measured delay of `expect` ticks:
 * never early (1% for rounding of the timer's clock), at most 10% plus `slack_us` late. */
uint64_t us_to_tsc(uint64_t us);
bool within(uint64_t got, uint64_t expect, uint64_t slack_us);

void irq_lapic_tests(const struct keel_start_info *si);
void irq_timer_tests(void);
void irq_ioapic_tests(void);
void irq_legacy_tests(const struct keel_start_info *si);
void irq_bench(void);

#endif
