/* Bringing the other CPUs online (arch/x86/smp.c) and running work on them. */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <keel/types.h>

struct acpi_madt;

/* Starts every enabled CPU of the MADT (all but the caller, the BSP) with INIT-SIPI-SIPI.
 * Returns the number of CPUs online, BSP included. Without a valid MADT only the BSP runs. */
unsigned smp_boot(const struct acpi_madt *madt);
unsigned smp_online(void);
/* Runs fn(arg) on the (parked) CPU with this index; -EBUSY if it has work pending, -ENODEV if
 * it is not online. Does not wait for fn to finish. */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg);
/* Test mode: checks every AP's CR0/CR4/EFER against the BSP's (verdict boot/ap-state). */
void smp_selftest(void);

#endif
