/* APIC and timing helpers for payloads (lib/apic.h). */
#include "apic.h"

uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10) = v;
}

void ioapic_route(unsigned pin, uint32_t low, uint8_t dest)
{
	ioapic_write(0x10 + 2 * pin, 0x10000); /* masked while it changes */
	ioapic_write(0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_write(0x10 + 2 * pin, low);
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void lapic_ipi(uint8_t dest, uint32_t icr_lo)
{
	while (lapic_read(APIC_ICR_LO) & (1u << 12))
		pause();
	lapic_write(APIC_ICR_HI, (uint32_t)dest << 24);
	lapic_write(APIC_ICR_LO, icr_lo);
}

void lapic_enable(void)
{
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_SVR, 0x1ff);
}

uint64_t tsc_khz(void)
{
	uint32_t r[4];
	cpuid(0x40000010, 0, r);
	return r[0];
}

uint32_t apic_bus_khz(void)
{
	uint32_t r[4];
	cpuid(0x40000010, 0, r);
	return r[1];
}

void delay_us(uint64_t us)
{
	uint64_t t0 = rdtsc(), span = us * tsc_khz() / 1000;
	while (rdtsc() - t0 < span)
		pause();
}

void tdev_irq(unsigned pin, unsigned op, bool isa)
{
	*(volatile uint32_t *)(uintptr_t)(KEEL_TESTDEV_GPA + KEEL_TESTDEV_IRQ) =
		(pin & 0xff) | (op & 3) << 8 | (uint32_t)isa << 10;
}

void tdev_msi(uint8_t vector, unsigned vcpu)
{
	*(volatile uint32_t *)(uintptr_t)(KEEL_TESTDEV_GPA + KEEL_TESTDEV_IRQ) =
		vector | KEEL_TESTDEV_IRQ_MSI << 8 | (vcpu & 0x1f) << 16;
}

const char *cmdline_get(const struct keel_start_info *si, const char *key)
{
	const char *s = (const char *)(uintptr_t)si->cmdline;
	size_t n = strlen(key);
	while (*s) {
		while (*s == ' ')
			s++;
		if (!memcmp(s, key, n) && s[n] == '=')
			return s + n + 1;
		while (*s && *s != ' ')
			s++;
	}
	return NULL;
}

bool vendor_intel(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	return r[1] == 0x756e6547; /* "Genu" */
}
