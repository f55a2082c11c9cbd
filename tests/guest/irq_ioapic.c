/* The IOAPIC driven by Keel's test device (82093AA data sheet: IOREGSEL/IOWIN, version 11h,
 * redirection entries with remote IRR for level-triggered pins), and the MP table that
 * describes it (MP spec 1.4). */
#include "irq.h"

#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
#define RTE_LOGICAL (1u << 11)
#define RTE_REMOTE_IRR (1u << 14)
#define OP_LOW 0
#define OP_HIGH 1
#define OP_PULSE 2

static uint8_t sum8(const uint8_t *p, unsigned n)
{
	uint8_t s = 0;
	for (unsigned i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The IOAPIC entry of the MP table found where Linux scans (the last KiB of base memory), with
 * both checksums verified; -1 when absent or broken. */
static int mptable_ioapic_id(uint32_t *addr)
{
	for (uintptr_t a = 0x9fc00; a < 0xa0000; a += 16) {
		const uint8_t *fp = (const uint8_t *)a;
		if (memcmp(fp, "_MP_", 4) || sum8(fp, 16))
			continue;
		uint32_t t;
		memcpy(&t, fp + 4, 4);
		const uint8_t *c = (const uint8_t *)(uintptr_t)t;
		uint16_t len, n;
		memcpy(&len, c + 4, 2);
		memcpy(&n, c + 34, 2);
		if (memcmp(c, "PCMP", 4) || sum8(c, len))
			return -1;
		const uint8_t *e = c + 44;
		for (unsigned i = 0; i < n && e < c + len; i++) {
			if (e[0] == 2) {
				memcpy(addr, e + 4, 4);
				return e[1];
			}
			e += e[0] == 0 ? 20 : 8;
		}
	}
	return -1;
}

static void t_regs(void)
{
	uint32_t ver = ioapic_read(1), addr = 0;
	int mp_id = mptable_ioapic_id(&addr);
	bool masked = true;
	for (unsigned pin = 0; pin < 24; pin++)
		masked &= (ioapic_read(0x10 + 2 * pin) & RTE_MASKED) != 0;
	verdict_check(S, "ioapic-version", ver == 0x00170011 && masked, "version %x, all masked %u",
		      ver, masked);
	verdict_check(S, "ioapic-id-matches-mptable", mp_id >= 0 && addr == IOAPIC_BASE &&
		      (int)((ioapic_read(0) >> 24) & 0xf) == mp_id, "MP table id %d at %x, "
		      "register %x", mp_id, addr, ioapic_read(0));
	ioapic_write(0x10 + 2 * 20, 0xffffffffu);
	ioapic_write(0x11 + 2 * 20, 0xffffffffu);
	uint32_t lo = ioapic_read(0x10 + 2 * 20), hi = ioapic_read(0x11 + 2 * 20);
	ioapic_write(0x10 + 2 * 20, RTE_MASKED);
	ioapic_write(0x11 + 2 * 20, 0);
	verdict_check(S, "ioapic-rte-readback", lo == 0x0001afffu && hi == 0xff000000u,
		      "low %x high %x", lo, hi);
}

/* Edge pins fire on a rising edge; holding the line high gives no second interrupt; an edge
 * while masked is lost. */
static void t_edge(void)
{
	ilog_reset();
	intr_set(0x5a, h_eoi);
	ioapic_route(10, 0x5a, 0);
	sti();
	tdev_irq(10, OP_PULSE, false);
	ilog_wait(1, 10000);
	tdev_irq(10, OP_HIGH, false);
	tdev_irq(10, OP_HIGH, false);
	ilog_wait(2, 10000);
	tdev_irq(10, OP_LOW, false);
	delay_us(100);
	unsigned n = ilog.n;
	ioapic_route(10, RTE_MASKED | 0x5a, 0);
	tdev_irq(10, OP_PULSE, false);
	ioapic_route(10, 0x5a, 0);
	delay_us(200);
	cli();
	ioapic_route(10, RTE_MASKED, 0);
	verdict_check(S, "ioapic-edge", n == 2 && ilog.n == 2 && ilog.vec[0] == 0x5a,
		      "%u interrupts for two edges, %u after a masked edge", n, ilog.n);
}

static volatile unsigned level_calls;
static volatile uint32_t level_rte_seen;
static volatile bool level_tmr_seen;

/* The first call leaves the line high: its EOI clears remote IRR and the pin fires again. The
 * second lowers the line first, so its EOI ends the series. */
static void h_level(unsigned v)
{
	h_noeoi(v);
	level_calls++;
	level_rte_seen &= ioapic_read(0x10 + 2 * 11);
	level_tmr_seen = lapic_bit(APIC_TMR, 0x5b);
	if (level_calls >= 2)
		tdev_irq(11, OP_LOW, false);
	lapic_eoi();
}

static void t_level(void)
{
	ilog_reset();
	level_calls = 0;
	level_rte_seen = ~0u;
	intr_set(0x5b, h_level);
	ioapic_route(11, RTE_LEVEL | 0x5b, 0);
	sti();
	tdev_irq(11, OP_HIGH, false);
	ilog_wait(2, 10000);
	delay_us(200);
	cli();
	uint32_t rte = ioapic_read(0x10 + 2 * 11);
	ioapic_route(11, RTE_MASKED, 0);
	verdict_check(S, "ioapic-level-remote-irr", level_calls == 2 && (level_rte_seen & RTE_REMOTE_IRR) &&
		      level_tmr_seen && !(rte & RTE_REMOTE_IRR), "%u calls, remote IRR in handler "
		      "%u, TMR %u, remote IRR after %u", level_calls, !!(level_rte_seen & RTE_REMOTE_IRR),
		      level_tmr_seen, !!(rte & RTE_REMOTE_IRR));
}

static void h_level_drop(unsigned v)
{
	h_noeoi(v);
	tdev_irq(12, OP_LOW, false);
	lapic_eoi();
}

/* A level pin high while masked fires when unmasked. */
static void t_level_unmask(void)
{
	ilog_reset();
	intr_set(0x5c, h_level_drop);
	ioapic_route(12, RTE_LEVEL | RTE_MASKED | 0x5c, 0);
	sti();
	tdev_irq(12, OP_HIGH, false);
	delay_us(200);
	unsigned n0 = ilog.n;
	ioapic_write(0x10 + 2 * 12, RTE_LEVEL | 0x5c);
	ilog_wait(1, 10000);
	delay_us(100);
	cli();
	ioapic_route(12, RTE_MASKED, 0);
	verdict_check(S, "ioapic-level-unmask", !n0 && ilog.n == 1, "%u while masked, %u after",
		      n0, ilog.n);
}

/* Logical destination (flat LDR bit 0 set by the LAPIC tests), and a physical destination no
 * vCPU has: dropped (Keel logs it). */
static void t_destinations(void)
{
	ilog_reset();
	intr_set(0x5d, h_eoi);
	intr_set(0x5f, h_eoi);
	ioapic_route(13, RTE_LOGICAL | 0x5d, 0x01);
	ioapic_route(14, 0x5f, 9);
	sti();
	tdev_irq(13, OP_PULSE, false);
	tdev_irq(14, OP_PULSE, false);
	ilog_wait(1, 10000);
	delay_us(200);
	cli();
	ioapic_route(13, RTE_MASKED, 0);
	ioapic_route(14, RTE_MASKED, 0);
	verdict_check(S, "ioapic-logical-destination", ilog_count(0x5d) == 1, "%u", ilog_count(0x5d));
	verdict_check(S, "ioapic-unrouted-dropped", !ilog_count(0x5f), "%u", ilog_count(0x5f));
}

/* A message-signalled interrupt from the device (virq_raise, the call the ring's notification
 * uses): delivered once; an illegal vector (below 16) is not. */
static void t_msi(void)
{
	ilog_reset();
	intr_set(0x66, h_eoi);
	sti();
	tdev_msi(0x66, 0);
	tdev_msi(0x05, 0);
	ilog_wait(1, 10000);
	delay_us(200);
	cli();
	verdict_check(S, "device-msi", ilog.n == 1 && ilog.vec[0] == 0x66, "%u taken, first %x",
		      ilog.n, ilog.vec[0]);
}

void irq_ioapic_tests(void)
{
	t_msi();
	t_regs();
	t_edge();
	t_level();
	t_level_unmask();
	t_destinations();
}

/* bench: Keel's instructions (TSC under -icount shift=0) from the test device's interrupt
 * register write to the handler's first RDTSC, the same write for a masked pin (the exit
 * alone), and an EOI with nothing in service; the fewest of 16 runs each. */
void irq_bench(void)
{
	uint64_t raise = ~0ull, exit_only = ~0ull, eoi = ~0ull;
	intr_set(0x6f, h_eoi);
	ioapic_route(15, 0x6f, 0);
	ioapic_route(16, RTE_MASKED | 0x6e, 0);
	sti();
	for (int i = 0; i < 16; i++) {
		ilog_reset();
		uint64_t t0 = rdtsc();
		tdev_irq(15, OP_PULSE, false);
		ilog_wait(1, 10000);
		if (ilog.n == 1 && ilog.tsc[0] - t0 < raise)
			raise = ilog.tsc[0] - t0;
		t0 = rdtsc();
		tdev_irq(16, OP_PULSE, false);
		uint64_t t1 = rdtsc();
		if (t1 - t0 < exit_only)
			exit_only = t1 - t0;
		t0 = rdtsc();
		lapic_eoi();
		t1 = rdtsc();
		if (t1 - t0 < eoi)
			eoi = t1 - t0;
	}
	cli();
	ioapic_route(15, RTE_MASKED, 0);
	g_printf("bench irq_inject_instructions %lu instructions\n", (unsigned long)raise);
	g_printf("bench irq_inject_beyond_exit_instructions %lu instructions\n",
		 (unsigned long)(raise - exit_only));
	g_printf("bench lapic_eoi_instructions %lu instructions\n", (unsigned long)eoi);
}
