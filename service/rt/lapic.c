/* The service VM's local APIC (xAPIC MMIO at its architectural address, SDM Vol. 3A 10.4.1). */
#include "rt.h"

#define LAPIC_BASE 0xfee00000ul
#define LAPIC_VERSION 0x030
#define LAPIC_EOI  0x0b0
#define LAPIC_SVR  0x0f0
#define LAPIC_LVT_TIMER  0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV  0x3e0
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_SPURIOUS   0xff
#define LAPIC_DIV_BY_1   0xb
#define KEEL_CPUID_TIMING 0x40000010u

static uint32_t rt_lapic_bus_khz;

static void rt_lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

/* Nothing behind the address reads all-ones; a LAPIC's version register never does (its bits
 * 15:8 and 31:24 are reserved zero, SDM Vol. 3A 10.4.8). */
bool rt_lapic_present(void)
{
	return *(volatile uint32_t *)(LAPIC_BASE + LAPIC_VERSION) != 0xffffffffu;
}

/* Software-enables the APIC, spurious vector 0xff (SDM Vol. 3A 10.9). */
void rt_lapic_enable(void)
{
	rt_lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS);
}

void rt_lapic_eoi(void)
{
	rt_lapic_write(LAPIC_EOI, 0);
}

/* The timer in one-shot mode on RT_TIMER_VECTOR, counting the bus clock undivided (SDM Vol. 3A
 * 10.5.4); Keel's timing leaf gives that clock in EBX. */
void rt_lapic_timer_init(void)
{
	uint32_t r[4];

	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(0x40000000u), "c"(0));
	if (r[0] < KEEL_CPUID_TIMING)
		return;
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(KEEL_CPUID_TIMING), "c"(0));
	rt_lapic_bus_khz = r[1];
	rt_lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_BY_1);
	rt_lapic_write(LAPIC_LVT_TIMER, RT_TIMER_VECTOR);
}

/* Fires once after `us` microseconds; 0 stops it (an initial count of 0, SDM Vol. 3A 10.5.4).
 * False when the timer's clock is unknown. */
bool rt_lapic_oneshot(uint32_t us)
{
	uint64_t n = (uint64_t)us * rt_lapic_bus_khz / 1000;

	if (!rt_lapic_bus_khz)
		return false;
	rt_lapic_write(LAPIC_TIMER_INIT, n > 0xffffffffu ? 0xffffffffu : (uint32_t)n);
	return true;
}
