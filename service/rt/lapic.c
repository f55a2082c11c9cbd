/* The service VM's local APIC (xAPIC MMIO at its architectural address, SDM Vol. 3A 10.4.1). */
#include "rt.h"

#define LAPIC_BASE 0xfee00000ul
#define LAPIC_VERSION 0x030
#define LAPIC_EOI  0x0b0
#define LAPIC_SVR  0x0f0
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_SPURIOUS   0xff

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
