/* The fallback PC devices: 8254 PIT with port 0x61, the 8259 pair, the CMOS RTC, PCI
 * configuration ports, the i8042 ports (Intel 8254 and 8259A data sheets, MC146818A, PCI Local
 * Bus 3.0 3.2.2.3.2). */
#include "irq.h"

#define PIT_HZ 1193182u
#define RTE_MASKED (1u << 16)

static uint64_t pit_tsc(uint64_t ticks) { return ticks * tsc_khz() * 1000 / PIT_HZ; }

static void pit_program(unsigned ch, unsigned mode, uint16_t count)
{
	outb(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	outb((uint16_t)(0x40 + ch), (uint8_t)count);
	outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static void pit_stop(void) { outb(0x43, 0x30); } /* channel 0, mode 0, no count: stopped */

/* Channel 0, mode 2: IRQ 0 on IOAPIC pin 2 at PIT_HZ / count. */
static void t_pit_rate(void)
{
	const uint16_t count = 2386; /* about 2 ms */
	ilog_reset();
	intr_set(0x80, h_eoi);
	ioapic_route(2, 0x80, 0);
	sti();
	pit_program(0, 2, count);
	ilog_wait(11, 200000);
	pit_stop();
	unsigned n = ilog.n;
	delay_us(5000);
	cli();
	ioapic_route(2, RTE_MASKED, 0);
	uint64_t want = 10 * pit_tsc(count), got = n >= 11 ? ilog.tsc[10] - ilog.tsc[0] : 0;
	uint64_t err = got > want ? got - want : want - got;
	verdict_check(S, "pit-irq0-rate", n >= 11 && ilog.n == n && err <= want / 50 + us_to_tsc(100),
		      "%u interrupts, 10 periods in %lu ticks, expected %lu", n, (unsigned long)got,
		      (unsigned long)want);
}

/* Linux's PIT calibration: gate 2 on, channel 2 in mode 0, poll port 0x61 bit 5 (OUT2). */
static void t_pit_gate(void)
{
	const uint16_t count = 11932; /* 10 ms */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	uint64_t t0 = rdtsc();
	pit_program(2, 0, count);
	bool low_at_start = !(inb(0x61) & 0x20);
	while (!(inb(0x61) & 0x20) && rdtsc() - t0 < us_to_tsc(100000))
		pause();
	uint64_t got = rdtsc() - t0;
	verdict_check(S, "pit-channel2-out", low_at_start && within(got, pit_tsc(count), 300),
		      "OUT2 low at start %u, high after %lu ticks, expected %lu", low_at_start,
		      (unsigned long)got, (unsigned long)pit_tsc(count));
}

static uint16_t pit_latch2(void)
{
	outb(0x43, 0x80); /* counter latch, channel 2 */
	uint8_t lo = inb(0x42);
	return (uint16_t)(lo | inb(0x42) << 8);
}

/* Latched counts go down; read-back status (8254 "Read-Back Command") shows the channel's
 * access mode (bits 5:4) and mode (bits 3:1). */
static void t_pit_readback(void)
{
	pit_program(2, 0, 0xffff);
	uint16_t c1 = pit_latch2();
	delay_us(500);
	uint16_t c2 = pit_latch2();
	outb(0x43, 0xe8); /* read-back: status only, channel 2 */
	uint8_t st = inb(0x42);
	outb(0x61, (uint8_t)(inb(0x61) & ~0x03));
	verdict_check(S, "pit-latch-readback", c2 < c1 && c1 - c2 >= 400 && (st & 0x3e) == 0x30,
		      "counts %u then %u (500 us ≈ 597 ticks), status %x", c1, c2, st);
}

static void pic_init(void)
{
	static const uint8_t seq[2][2][4] = { { { 0x20, 0x21, 0x21, 0x21 }, { 0x11, 0x20, 0x04, 0x01 } },
					      { { 0xa0, 0xa1, 0xa1, 0xa1 }, { 0x11, 0x28, 0x02, 0x01 } } };
	for (int c = 0; c < 2; c++)
		for (int i = 0; i < 4; i++)
			outb(seq[c][0][i], seq[c][1][i]);
}

static volatile uint8_t pic_isr_seen;

/* Reads the master's ISR through OCW3 and sends a non-specific EOI (also to the slave for
 * slave vectors). */
static void h_pic(unsigned v)
{
	h_noeoi(v);
	outb(0x20, 0x0b);
	pic_isr_seen |= inb(0x20);
	outb(0x20, 0x0a);
	if (v >= 0x28)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* Linux's probe writes 0xfb to the master's mask and reads it back. Then the PIT through the
 * 8259 and LINT0 (ExtINT), and an ISA line on the slave through the cascade. */
static void t_pic(void)
{
	outb(0x21, 0xfb);
	uint8_t probe = inb(0x21);
	outb(0x21, 0xff);
	verdict_check(S, "pic-probe", probe == 0xfb, "mask read back %x", probe);
	pic_init();
	lapic_write(APIC_LVT_LINT0, 0x700); /* ExtINT, unmasked: virtual wire (MP spec 3.6.2.2) */
	ilog_reset();
	pic_isr_seen = 0;
	intr_set(0x20, h_pic);
	intr_set(0x2a, h_pic);
	outb(0x21, 0xfe);
	outb(0xa1, 0xff);
	sti();
	pit_program(0, 2, 2386);
	ilog_wait(3, 100000);
	pit_stop();
	delay_us(3000);
	cli();
	unsigned n = ilog.n;
	verdict_check(S, "pic-extint-irq0", n >= 3 && ilog_count(0x20) == n && (pic_isr_seen & 1),
		      "%u interrupts, %u at vector 0x20, ISR bit 0 seen %u", n, ilog_count(0x20),
		      pic_isr_seen & 1);
	ilog_reset();
	pic_isr_seen = 0;
	outb(0x21, 0xfb);
	outb(0xa1, 0xfb);
	sti();
	tdev_irq(10, 2, true);
	ilog_wait(1, 10000);
	delay_us(100);
	cli();
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	verdict_check(S, "pic-slave-cascade", ilog.n == 1 && ilog.vec[0] == 0x2a && (pic_isr_seen & 4),
		      "%u interrupts, vector %x, master ISR %x", ilog.n, ilog.vec[0], pic_isr_seen);
}

/* HLT with an interrupt pending that the TPR masks does not wake: only the PIT's, above the
 * TPR, does; the masked one follows once the TPR drops. */
static void t_hlt_tpr(void)
{
	const uint16_t pit_count = 3580; /* 3 ms */
	ilog_reset();
	intr_set(0x35, h_eoi);
	intr_set(0x85, h_eoi);
	ioapic_route(2, 0x85, 0);
	lapic_write(APIC_TPR, 0x40);
	lapic_write(APIC_TDCR, 0xb);
	lapic_write(APIC_LVT_TIMER, 0x35);
	uint64_t t0 = rdtsc();
	lapic_write(APIC_TMICT, apic_bus_khz()); /* 1 ms */
	pit_program(0, 0, pit_count);
	sti_hlt();
	uint64_t woke = rdtsc() - t0;
	cli();
	bool first_pit = ilog.n == 1 && ilog.vec[0] == 0x85, pending = lapic_bit(APIC_IRR, 0x35);
	lapic_write(APIC_TPR, 0);
	sti();
	ilog_wait(2, 10000);
	cli();
	pit_stop();
	ioapic_route(2, RTE_MASKED, 0);
	lapic_write(APIC_LVT_TIMER, LVT_MASK);
	verdict_check(S, "hlt-wakes-only-for-deliverable", first_pit && pending &&
		      woke + pit_tsc(pit_count) / 100 >= pit_tsc(pit_count) && ilog.n == 2 &&
		      ilog.vec[1] == 0x35, "first %x (%u taken), timer pending %u, woke after %lu "
		      "ticks (PIT %lu)", ilog.vec[0], ilog.n, pending, (unsigned long)woke,
		      (unsigned long)pit_tsc(pit_count));
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static bool bcd_ok(uint8_t v, uint8_t max) { return (v & 0xf) <= 9 && (v >> 4) <= 9 && (v >> 4) * 10 + (v & 0xf) <= max; }
static unsigned from_bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xf); }

/* The read-only RTC: UIP clear, BCD 24-hour, valid time; writes ignored; seconds advance; the
 * date equals the emulator's own clock when the case passes it as rtc_date=YYYYMMDD. */
static void t_rtc(const struct keel_start_info *si)
{
	uint8_t a = cmos(0x0a), b = cmos(0x0b), d = cmos(0x0d);
	uint8_t sec = cmos(0), min = cmos(2), hour = cmos(4), day = cmos(7), mon = cmos(8), yr = cmos(9);
	bool valid = bcd_ok(sec, 59) && bcd_ok(min, 59) && bcd_ok(hour, 23) && bcd_ok(day, 31) &&
		     day && bcd_ok(mon, 12) && mon && bcd_ok(yr, 99) && bcd_ok(cmos(0x32), 99);
	outb(0x70, 0x0b);
	outb(0x71, 0x06);
	verdict_check(S, "rtc-read-only-bcd", !(a & 0x80) && b == 0x02 && cmos(0x0b) == 0x02 &&
		      (d & 0x80) && valid, "A %x B %x D %x, %x-%x-%x %x:%x:%x", a, b, d, yr, mon, day,
		      hour, min, sec);
	const char *want = cmdline_get(si, "rtc_date");
	unsigned date = from_bcd(cmos(0x32)) * 1000000 + from_bcd(yr) * 10000 + from_bcd(mon) * 100 +
			from_bcd(day), expect = 0;
	for (; want && *want >= '0' && *want <= '9'; want++)
		expect = expect * 10 + (unsigned)(*want - '0');
	if (want)
		verdict_check(S, "rtc-date", date == expect, "RTC date %u, the emulator's %u", date, expect);
	else
		verdict_skip(S, "rtc-date", "the case gives no rtc_date to compare with");
	uint64_t t0 = rdtsc();
	while (cmos(0) == sec && rdtsc() - t0 < us_to_tsc(1100000))
		pause();
	verdict_check(S, "rtc-ticks", cmos(0) != sec, "seconds stayed %x for 1.1 s", sec);
}

static void t_ports(void)
{
	outl(0xcf8, 0x80000000u);
	uint32_t addr = inl(0xcf8), vendor = inl(0xcfc);
	outl(0xcf8, 0);
	verdict_check(S, "pci-no-device", addr == 0x80000000u && vendor == 0xffffffffu,
		      "0xcf8 reads %x, vendor/device %x", addr, vendor);
	outb(0x80, 0x55);
	verdict_check(S, "i8042-absent", inb(0x64) == 0xff && inb(0x60) == 0xff, "status %x",
		      inb(0x64));
}

void irq_legacy_tests(const struct keel_start_info *si)
{
	t_pit_rate();
	t_pit_gate();
	t_pit_readback();
	t_pic();
	t_hlt_tpr();
	t_rtc(si);
	t_ports();
}
