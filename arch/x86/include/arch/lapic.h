/* Local APIC, xAPIC (MMIO) or x2APIC (MSR) mode as the firmware left it (SDM Vol. 3A ch. 10). */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <keel/types.h>

#define ICR_FIXED 0x0000u
#define ICR_NMI 0x0400u
#define ICR_INIT 0x0500u
#define ICR_STARTUP 0x0600u
#define ICR_ASSERT 0x4000u

/* Finds the LAPIC (IA32_APIC_BASE) on the BSP; returns its physical base. */
u64 lapic_init(void);
/* Software-enables this CPU's LAPIC (spurious vector) so it accepts fixed IPIs. */
void lapic_enable(void);
u32 lapic_id(void);
void lapic_eoi(void);
/* Sends an IPI; returns 0 or -ETIMEDOUT if the xAPIC never reported delivery. */
int lapic_send_ipi(u32 apic_id, u32 icr);
bool lapic_is_x2apic(void);

/* The LAPIC timer as the clock behind vCPU timers: measured once against the TSC (BSP, after
 * time_init), then armed one-shot on each CPU for a TSC deadline (0 stops it). The interrupt
 * (VEC_TIMER) only sets a per-CPU flag: lapic_timer_fired() reads and clears it. */
void lapic_timer_calibrate(void);
u64 lapic_timer_khz(void);
void lapic_timer_arm(u64 tsc_deadline);
bool lapic_timer_fired(void);
/* This CPU's flag behind lapic_timer_fired, to look at without clearing it. */
const volatile u8 *lapic_timer_flag(void);

#endif
