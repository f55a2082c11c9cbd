/* Delays and the TSC frequency (drivers/timer.c). The reference clock is the ACPI PM timer when
 * the FADT names one, else PIT channel 2; both follow virtual time under QEMU TCG, QEMU -icount
 * and Bochs. The TSC is measured against it once at boot. */
#ifndef KEEL_TIME_H
#define KEEL_TIME_H

#include <keel/types.h>

struct acpi_fadt;

void time_init(const struct acpi_fadt *fadt);
void udelay(u64 us);
u64 tsc_khz(void);
/* Polls cond() every ~10 us for up to `us` microseconds; returns its last value. */
bool time_wait_us(bool (*cond)(void *), void *arg, u64 us);

#endif
