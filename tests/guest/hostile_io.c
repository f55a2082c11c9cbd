/* IPIs and ports. APIC IDs 2 and up name no vCPU of this two-vCPU partition, though they are
 * other partitions' CPUs in the machine: Keel must drop every message to them (and log it);
 * the other partitions' own checks fail if anything arrives. Ports: COM2, which another
 * partition drives directly, the ports that reset or power off a PC, and every port once: each
 * access must exit (the I/O bitmap opens nothing this partition was not given). */
#include "hostile.h"

#define COM2 0x2f8u

static const struct {
	const char *name;
	uint8_t dest;
	uint32_t icr;
} ipis[] = {
	{ "ipi-init-apic2", 2, ICR_INIT | ICR_ASSERT | ICR_LEVEL },
	{ "ipi-sipi-apic2", 2, ICR_SIPI | 0x10 },
	{ "ipi-nmi-apic3", 3, ICR_NMI | ICR_ASSERT },
	{ "ipi-fixed-apic3", 3, ICR_FIXED | ICR_ASSERT | 0x40 },
	{ "ipi-smi-apic2", 2, 0x200u | ICR_ASSERT },
	{ "ipi-init-logical", 0xfe, ICR_INIT | ICR_ASSERT | ICR_LEVEL | ICR_LOGICAL },
	{ "ipi-nmi-apic15", 15, ICR_NMI | ICR_ASSERT },
};

void hostile_ipis(void)
{
	for (unsigned i = 0; i < sizeof(ipis) / sizeof(ipis[0]); i++) {
		lapic_write(APIC_ESR, 0);
		lapic_ipi(ipis[i].dest, ipis[i].icr);
		lapic_write(APIC_ESR, 0);
		uint32_t esr = lapic_read(APIC_ESR), lo = lapic_read(APIC_ICR_LO);
		verdict_report(S, ipis[i].name, esr == 0 && !(lo & (1u << 12)),
			       "ICR 0x%x to APIC ID %u: no exception, delivery idle, ESR 0x%x", ipis[i].icr,
			       ipis[i].dest, esr);
	}
}

static uint64_t pio_exits(void) { return stat(KEEL_STAT_PIO_EXITS); }

/* COM2 belongs to another partition (passthrough): here every access exits and reads all-ones;
 * the write to its scratch register must never reach the owner's device. */
static void com2(void)
{
	uint64_t p0 = pio_exits();
	outb(COM2 + 7, 0x00);
	uint8_t scr = inb(COM2 + 7), lsr = inb(COM2 + 5), iir = inb(COM2 + 2);
	uint64_t n = pio_exits() - p0;
	verdict_report(S, "com2-not-ours", scr == 0xff && lsr == 0xff && iir == 0xff && n == 4,
		       "scratch 0x%x LSR 0x%x IIR 0x%x, %lu exits for 4 accesses", scr, lsr, iir,
		       (unsigned long)n);
}

static void outs_shutdown(uint16_t port)
{
	for (const char *s = "Shutdown"; *s; s++)
		outb(port, (uint8_t)*s);
}

/* What resets or powers off a PC (PCI reset control 0xcf9, fast reset 0x92, ACPI S5 on QEMU's
 * PM1a control 0x604 and Bochs' 0xb004, Bochs' shutdown port, QEMU's debug exit): the machine
 * must stay up, every access exiting. */
static void machine_ports(void)
{
	uint64_t p0 = pio_exits();
	outb(0xcf9, 0x0e);
	outb(0x92, 0x01);
	outw(0x604, 0x2000);
	outw(0xb004, 0x2000);
	outs_shutdown(0x8900);
	outb(0xf4, 0x10);
	uint64_t n = pio_exits() - p0;
	verdict_report(S, "reset-and-poweroff-ports", n == 13,
		       "0xcf9 0x92 0x604 0xb004 0x8900 0xf4: %lu exits for 13 writes; still running",
		       (unsigned long)n);
}

static void sweep(const struct keel_start_info *si)
{
	if (!arg_u64(si, "port-sweep", 1)) {
		verdict_skip(S, "port-sweep", "port-sweep=0");
		return;
	}
	uint64_t p0 = pio_exits(), ones = 0;
	for (uint32_t port = 0; port < 0x10000; port++)
		ones += inb((uint16_t)port) == 0xff;
	uint64_t n = pio_exits() - p0;
	verdict_report(S, "port-sweep", n == 0x10000,
		       "IN from all 65536 ports: %lu exits, %lu read 0xff (the rest are its own "
		       "in-core devices)", (unsigned long)n, (unsigned long)ones);
}

void hostile_ports(const struct keel_start_info *si)
{
	com2();
	machine_ports();
	sweep(si);
}
