/* Interrupts from a service-VM device model: the test device is forwarded to the (stand-in)
 * service VM, which runs in ring-notify irq mode (it halts until Keel's notification vector)
 * and turns writes to the device's interrupt register into KEEL_HC_IRQ. The pin the
 * configuration gives the device (pin=N on the command line) arrives at the vector its
 * redirection entry names; any other pin is refused by Keel. */
#include "lib/apic.h"

#define S "irqfwd"
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
#define RTE_REMOTE_IRR (1u << 14)

static volatile unsigned taken[256];
static volatile uint32_t rte_in_handler;
static unsigned pin;

static void h_edge(unsigned v)
{
	taken[v]++;
	lapic_eoi();
}

/* Level: read remote IRR, lower the line through the service VM, then EOI. */
static void h_level(unsigned v)
{
	taken[v]++;
	rte_in_handler = ioapic_read(0x10 + 2 * pin);
	tdev_irq(pin, 0, false);
	lapic_eoi();
}

static bool wait_taken(unsigned v, unsigned n)
{
	uint64_t t0 = rdtsc(), span = 20 * tsc_khz();
	while (taken[v] < n && rdtsc() - t0 < span)
		pause();
	return taken[v] >= n;
}

static bool forwarded_testdev(const struct keel_start_info *si)
{
	for (uint32_t i = 0; i < si->nr_regions && i < KEEL_START_MAX_REGIONS; i++)
		if (si->region[i].kind == KEEL_REGION_TESTDEV)
			return si->region[i].flags & KEEL_REGION_F_FORWARDED;
	return false;
}

int guest_main(const struct keel_start_info *si)
{
	const char *p = cmdline_get(si, "pin");
	for (; p && *p >= '0' && *p <= '9'; p++)
		pin = pin * 10 + (unsigned)(*p - '0');
	tdev_reset(0x11);
	tdev_poke(0x40, 0x0123456789abcdefull);
	verdict_check(S, "service-vm-answers", forwarded_testdev(si) &&
		      tdev_peek(0x40) == 0x0123456789abcdefull && pin && pin < 24,
		      "forwarded %u, read back %lx, pin %u", forwarded_testdev(si),
		      (unsigned long)tdev_peek(0x40), pin);
	lapic_enable();
	intr_set(0x59, h_edge);
	intr_set(0x5b, h_level);
	intr_set(0x58, h_edge);
	sti();
	ioapic_route(pin, 0x59, 0);
	tdev_irq(pin, 2, false);
	verdict_check(S, "edge-pin-to-vector", wait_taken(0x59, 1) && taken[0x59] == 1,
		      "vector 0x59 taken %u times", taken[0x59]);
	ioapic_route(pin, RTE_LEVEL | 0x5b, 0);
	tdev_irq(pin, 1, false);
	wait_taken(0x5b, 1);
	delay_us(2000);
	uint32_t rte = ioapic_read(0x10 + 2 * pin);
	verdict_check(S, "level-pin-remote-irr", taken[0x5b] == 1 && (rte_in_handler & RTE_REMOTE_IRR) &&
		      !(rte & RTE_REMOTE_IRR), "taken %u, remote IRR in handler %u, after %u",
		      taken[0x5b], !!(rte_in_handler & RTE_REMOTE_IRR), !!(rte & RTE_REMOTE_IRR));
	unsigned other = pin == 8 ? 7 : 8;
	ioapic_route(pin, RTE_MASKED, 0);
	ioapic_route(other, 0x58, 0);
	tdev_irq(other, 2, false);
	delay_us(3000);
	cli();
	ioapic_route(other, RTE_MASKED, 0);
	verdict_check(S, "other-pin-refused", !taken[0x58], "pin %u (not the device's) fired %u times",
		      other, taken[0x58]);
	return 0;
}
