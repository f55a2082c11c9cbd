/* The service VM's 16550 interrupting a guest (suite uartirq): the partition's console is the
 * service VM's uart16550 on IOAPIC pin 4 (`console forward`). The handler does what a 16550
 * driver does (read IIR until bit 0 says none, serve each source), so the expectations are the
 * PC16550D data sheet's: THRE when ETBEI is enabled and after each THR write, nothing while
 * MCR.OUT2 is clear (PC wiring), a level pin that drops once the source is served, and received
 * bytes (typed by the test runner) through the character timeout and data-available sources. */
#include "lib/apic.h"

#define S "uartirq"
#define COM1 0x3f8
#define PIN 4
#define VEC_EDGE 0x64
#define VEC_LEVEL 0x65
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

enum { RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6 };
#define IER_RDI 0x01
#define IER_THRI 0x02
#define MCR_DTR_RTS 0x03
#define MCR_OUT2 0x08
#define LSR_DR 0x01

static volatile unsigned taken, ids[16];
static volatile char rx[64];
static volatile unsigned nrx;

/* One interrupt: every pending source, highest priority first (Table IV), then EOI. */
static void h_uart(unsigned v)
{
	uint8_t iir;

	(void)v;
	taken++;
	while (!((iir = inb(COM1 + IIR)) & 1)) {
		ids[(iir >> 1) & 7]++;
		if ((iir & 0x0e) == 0x06)
			(void)inb(COM1 + LSR);
		else if ((iir & 0x0e) == 0x00)
			(void)inb(COM1 + MSR);
		else if ((iir & 0x04))
			while ((inb(COM1 + LSR) & LSR_DR) && nrx < sizeof(rx))
				rx[nrx++] = (char)inb(COM1 + RBR);
	}
	lapic_eoi();
}

static void reset_counts(void)
{
	taken = 0;
	for (unsigned i = 0; i < 16; i++)
		ids[i] = 0;
}

static bool wait_for(volatile unsigned *what, unsigned n, uint64_t ms)
{
	uint64_t t0 = rdtsc(), span = ms * tsc_khz();

	while (*what < n && rdtsc() - t0 < span)
		pause();
	return *what >= n;
}

/* Enabling ETBEI with THR empty interrupts (IIR id 1); a THR write raises it again. A CR goes
 * nowhere visible: Keel's console drops it. */
static void check_thre(void)
{
	bool first, again;

	reset_counts();
	outb(COM1 + MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + IER, IER_THRI);
	first = wait_for(&taken, 1, 2000);
	outb(COM1 + THR, '\r');
	again = wait_for(&taken, 2, 2000);
	delay_us(2000);
	outb(COM1 + IER, 0);
	verdict_check(S, "thre-on-enable-and-after-write", first && again && taken == 2 && ids[1] == 2,
		      "interrupts %u, THRE ids %u", taken, ids[1]);
}

/* With OUT2 clear the interrupt never reaches the pin; setting OUT2 delivers the pending one. */
static void check_out2(void)
{
	unsigned before;

	reset_counts();
	outb(COM1 + MCR, MCR_DTR_RTS);
	outb(COM1 + IER, IER_THRI);
	delay_us(3000);
	before = taken;
	outb(COM1 + MCR, MCR_DTR_RTS | MCR_OUT2);
	wait_for(&taken, 1, 2000);
	outb(COM1 + IER, 0);
	verdict_check(S, "out2-gates-the-pin", before == 0 && taken == 1, "without OUT2 %u, with %u",
		      before, taken);
}

/* Level-triggered: the handler's IIR read clears THRE, the line drops (KEEL_HC_IRQ 0) before the
 * EOI, so exactly one interrupt arrives (remote IRR would re-deliver a line still high). */
static void check_level(void)
{
	reset_counts();
	ioapic_route(PIN, RTE_LEVEL | VEC_LEVEL, 0);
	outb(COM1 + IER, IER_THRI);
	wait_for(&taken, 1, 2000);
	delay_us(3000);
	outb(COM1 + IER, 0);
	ioapic_route(PIN, VEC_EDGE, 0);
	verdict_check(S, "level-pin-drops-when-served", taken == 1 && ids[1] == 1,
		      "interrupts %u, THRE ids %u", taken, ids[1]);
}

/* Typed input: with the trigger level at 14 a short line arrives by character timeouts (id 6);
 * at level 1 by data-available interrupts (id 2). */
static void check_rx(const char *name, uint8_t fcr, const char *want, unsigned id)
{
	size_t n = strlen(want);
	bool all;

	reset_counts();
	nrx = 0;
	outb(COM1 + FCR, fcr);
	outb(COM1 + IER, IER_RDI);
	g_printf("uartirq: ready for %s\n", name);
	all = wait_for(&nrx, (unsigned)n, 20000);
	outb(COM1 + IER, 0);
	verdict_check(S, name, all && nrx == n && !memcmp((const void *)rx, want, n) && ids[id] > 0,
		      "%u bytes '%.*s', ids: data %u timeout %u", nrx, (int)nrx, (const char *)rx,
		      ids[2], ids[6]);
}

int guest_main(const struct keel_start_info *si)
{
	(void)si;
	lapic_enable();
	intr_set(VEC_EDGE, h_uart);
	intr_set(VEC_LEVEL, h_uart);
	ioapic_route(PIN, VEC_EDGE, 0);
	sti();
	check_thre();
	check_out2();
	check_level();
	check_rx("rx-by-timeout", 0xc7, "hello\n", 6);
	check_rx("rx-by-data-available", 0x07, "ok\n", 2);
	ioapic_route(PIN, RTE_MASKED, 0);
	cli();
	return 0;
}
