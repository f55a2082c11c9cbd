/* Local APIC, IOAPIC and timing helpers for interrupt payloads (xAPIC at 0xfee00000, IOAPIC at
 * 0xfec00000: SDM Vol. 3A ch. 10, 82093AA data sheet). */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "guest.h"

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u

enum {
	APIC_ID = 0x20, APIC_VER = 0x30, APIC_TPR = 0x80, APIC_PPR = 0xa0, APIC_EOI = 0xb0,
	APIC_LDR = 0xd0, APIC_DFR = 0xe0, APIC_SVR = 0xf0, APIC_ISR = 0x100, APIC_TMR = 0x180,
	APIC_IRR = 0x200, APIC_ESR = 0x280, APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310,
	APIC_LVT_TIMER = 0x320, APIC_LVT_THERMAL = 0x330, APIC_LVT_PERF = 0x340,
	APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360, APIC_LVT_ERROR = 0x370,
	APIC_TMICT = 0x380, APIC_TMCCT = 0x390, APIC_TDCR = 0x3e0,
};

/* ICR fields (SDM Vol. 3A Figure 10-12). */
#define ICR_FIXED 0x000u
#define ICR_LOWPRI 0x100u
#define ICR_NMI 0x400u
#define ICR_INIT 0x500u
#define ICR_SIPI 0x600u
#define ICR_LOGICAL 0x800u
#define ICR_ASSERT 0x4000u
#define ICR_LEVEL 0x8000u
#define ICR_SELF 0x40000u
#define ICR_ALL 0x80000u
#define ICR_OTHERS 0xc0000u
#define LVT_MASK 0x10000u
#define LVT_PERIODIC 0x20000u
#define LVT_TSCDL 0x40000u
#define MSR_TSC_DEADLINE 0x6e0u

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = v; }
static inline void lapic_eoi(void) { lapic_write(APIC_EOI, 0); }
static inline bool lapic_bit(uint32_t base, unsigned vector)
{
	return lapic_read(base + 0x10 * (vector / 32)) >> (vector % 32) & 1;
}

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
/* Redirection entry of a pin: vector, flags (level 1 << 15, mask 1 << 16, ...), destination. */
void ioapic_route(unsigned pin, uint32_t low, uint8_t dest);

static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }

uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);

/* Sends an IPI: ICR high (destination) then low; waits while the delivery status is busy. */
void lapic_ipi(uint8_t dest, uint32_t icr_lo);
/* Software-enables the local APIC with spurious vector 0xff and TPR 0. */
void lapic_enable(void);

/* Keel's timing leaf 0x40000010: EAX = TSC kHz, EBX = LAPIC timer input kHz. */
uint64_t tsc_khz(void);
uint32_t apic_bus_khz(void);
/* Waits `us` microseconds of TSC time with PAUSE. */
void delay_us(uint64_t us);
/* Keel's test device: raise an IOAPIC pin (op 0 low, 1 high, 2 pulse), or with isa set the ISA
 * line (8259 input and its IOAPIC pin). */
void tdev_irq(unsigned pin, unsigned op, bool isa);
/* ... or make `vector` pending in the local APIC of the partition's vCPU `vcpu`. */
void tdev_msi(uint8_t vector, unsigned vcpu);
/* The value of `key=` on the partition's command line, or NULL. */
const char *cmdline_get(const struct keel_start_info *si, const char *key);
bool vendor_intel(void);

#endif
