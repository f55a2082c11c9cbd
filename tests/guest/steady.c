/* The victim payload (suite `steady`): ordinary work for a while, timer interrupts at 100 Hz,
 * a test-device round trip per tick and a buffer of its own RAM, while another partition
 * attacks; with com2=1 it also drives COM2 itself (passthrough: not one exit). Anything that
 * leaked in from the attacker (an NMI, INIT, an interrupt, a write) breaks one of its verdicts
 * or the count its manifest expects. */
#include "lib/apic.h"

#define S "steady"
#define TIMER_VECTOR 0x41u /* not 0x40: the hostile payload sends that one */
#define HZ 100u
#define OWN_BUF 0x400000u
#define OWN_WORDS (0x100000u / 8)
#define COM2 0x2f8u
#define SCRATCH 0x5au

static volatile unsigned ticks;

static void on_timer(unsigned vector)
{
	(void)vector;
	ticks++;
	lapic_eoi();
}

static bool has_testdev(const struct keel_start_info *si)
{
	for (uint32_t i = 0; i < si->nr_regions && i < KEEL_START_MAX_REGIONS; i++)
		if (si->region[i].kind == KEEL_REGION_TESTDEV && si->region[i].base == KEEL_TESTDEV_GPA)
			return true;
	return false;
}

static uint64_t own_word(uint32_t i) { return (uint64_t)i * 0x9e3779b97f4a7c15ull ^ 0x7374656164792121ull; }

static void com2_puts(const char *s)
{
	for (; *s; s++) {
		while (!(inb(COM2 + 5) & 0x20))
			pause();
		outb(COM2, (uint8_t)*s);
	}
	while (!(inb(COM2 + 5) & 0x40)) /* TEMT: the last byte is out (platform.md pitfall 6) */
		pause();
}

/* 16550: 115200 8N1, FIFOs on (PC16550D data sheet, registers at base + 0-7). */
static void com2_start(const char *name)
{
	outb(COM2 + 1, 0);
	outb(COM2 + 3, 0x80);
	outb(COM2 + 0, 1);
	outb(COM2 + 1, 0);
	outb(COM2 + 3, 0x03);
	outb(COM2 + 2, 0x07);
	outb(COM2 + 4, 0x03);
	outb(COM2 + 7, SCRATCH);
	com2_puts("steady: ");
	com2_puts(name);
	com2_puts(" owns COM2\r\n");
}

static void timer_run(unsigned want, bool tdev, unsigned *tdev_bad)
{
	intr_set(TIMER_VECTOR, on_timer);
	lapic_enable();
	lapic_write(APIC_TDCR, 0xb); /* divide by 1 */
	lapic_write(APIC_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	lapic_write(APIC_TMICT, apic_bus_khz() * 1000u / HZ);
	for (unsigned seen = 0; seen < want;) {
		sti_hlt();
		cli();
		if (ticks == seen)
			continue;
		seen = ticks;
		if (tdev) {
			tdev_poke(0x40, 0x5100000000ull + seen);
			*tdev_bad += tdev_peek(0x40) != 0x5100000000ull + seen;
		}
		if (seen % 50 == 0)
			g_printf("steady: tick %u\n", seen);
	}
	lapic_write(APIC_LVT_TIMER, LVT_MASK);
	lapic_write(APIC_TMICT, 0);
}

int guest_main(const struct keel_start_info *si)
{
	const char *t = cmdline_get(si, "ticks"), *c2 = cmdline_get(si, "com2");
	unsigned want = 0, tdev_bad = 0, bad = 0;
	for (; t && *t >= '0' && *t <= '9'; t++)
		want = want * 10 + (unsigned)(*t - '0');
	want = want ? want : 100;
	bool com2 = c2 && *c2 == '1', tdev = has_testdev(si);
	g_printf("steady: partition %s, %u ticks at %u Hz%s%s\n", si->name, want, HZ,
		 tdev ? ", test device" : "", com2 ? ", COM2" : "");
	for (uint32_t i = 0; i < OWN_WORDS; i++)
		((volatile uint64_t *)(uintptr_t)OWN_BUF)[i] = own_word(i);
	uint64_t p0 = hc_stat(KEEL_STAT_PIO_EXITS);
	if (com2)
		com2_start(si->name);
	uint64_t p1 = hc_stat(KEEL_STAT_PIO_EXITS), t0 = rdtsc();
	timer_run(want, tdev, &tdev_bad);
	uint64_t us = (rdtsc() - t0) * 1000 / (tsc_khz() ? tsc_khz() : 1);
	/* the periodic timer drops missed periods, never adds any: faster means extra interrupts */
	verdict_report(S, "ticks", us >= (uint64_t)want * (1000000 / HZ) / 2,
		       "%u timer interrupts in %lu us", ticks, (unsigned long)us);
	if (tdev)
		verdict_report(S, "testdev", !tdev_bad, "%u round trips, %u wrong", want, tdev_bad);
	else
		verdict_skip(S, "testdev", "no test device");
	for (uint32_t i = 0; i < OWN_WORDS; i++)
		bad += ((volatile uint64_t *)(uintptr_t)OWN_BUF)[i] != own_word(i);
	verdict_report(S, "own-ram", !bad, "1 MiB at 0x%x: %u words changed", OWN_BUF, bad);
	if (!com2) {
		verdict_skip(S, "com2-no-exits", "com2=1 not given");
		verdict_skip(S, "com2-scratch", "com2=1 not given");
		return 0;
	}
	uint8_t scr = inb(COM2 + 7);
	uint64_t p2 = hc_stat(KEEL_STAT_PIO_EXITS);
	com2_puts("steady: done\r\n");
	uint64_t p3 = hc_stat(KEEL_STAT_PIO_EXITS);
	verdict_report(S, "com2-no-exits", p1 == p0 && p3 == p2,
		       "%lu + %lu port exits while driving COM2", (unsigned long)(p1 - p0),
		       (unsigned long)(p3 - p2));
	verdict_report(S, "com2-scratch", scr == SCRATCH, "scratch register 0x%x at the end", scr);
	return 0;
}
