/* Interrupt payload (one vCPU): Keel's virtual local APIC (registers, priorities, EOI, IPIs to
 * itself, NMI, errors), its timer in every mode, the IOAPIC driven by the test device, the
 * 8259/8254 fallback and the small platform devices. Long mode and protected mode. */
#include "irq.h"

struct ilog ilog;

void ilog_reset(void)
{
	ilog.n = 0;
}

unsigned ilog_count(uint8_t vector)
{
	unsigned c = 0;
	for (unsigned i = 0; i < ilog.n && i < ILOG_MAX; i++)
		c += ilog.vec[i] == vector;
	return c;
}

static void ilog_add(unsigned vector)
{
	unsigned i = ilog.n;
	if (i < ILOG_MAX) {
		ilog.vec[i] = (uint8_t)vector;
		ilog.tsc[i] = rdtsc();
		ilog.isr_seen[i] = lapic_read(APIC_ISR + 0x10 * (vector / 32));
	}
	ilog.n = i + 1;
}

void h_eoi(unsigned vector)
{
	ilog_add(vector);
	lapic_eoi();
}

void h_noeoi(unsigned vector) { ilog_add(vector); }

bool ilog_wait(unsigned n, uint64_t us)
{
	uint64_t t0 = rdtsc(), span = us_to_tsc(us);
	while (ilog.n < n && rdtsc() - t0 < span)
		pause();
	return ilog.n >= n;
}

uint64_t us_to_tsc(uint64_t us) { return us * tsc_khz() / 1000; }

bool within(uint64_t got, uint64_t expect, uint64_t slack_us)
{
	return got + expect / 100 >= expect && got <= expect + expect / 10 + us_to_tsc(slack_us);
}

int guest_main(const struct keel_start_info *si)
{
	g_printf("irq: partition %s, %s, tsc %lu kHz, lapic timer %u kHz\n", si->name,
		 sizeof(ureg) == 8 ? "long mode" : "protected mode", (unsigned long)tsc_khz(),
		 apic_bus_khz());
	irq_lapic_tests(si);
	irq_timer_tests();
	irq_ioapic_tests();
	irq_legacy_tests(si);
	if (cmdline_get(si, "bench"))
		irq_bench();
	return 0;
}
