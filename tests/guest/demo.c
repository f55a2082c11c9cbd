/* The demo payload (configs/demo.cfg, suite `demo`): says who it is, then prints a status line
 * every `period` ms (`ticks` of them; 0: forever) from a 100 Hz LAPIC timer, with a round trip to
 * its test device when it has one, and echoes each line typed on its console (Keel's console
 * input goes to it after Ctrl-T and its index). Its console is what the configuration says:
 * Keel's in-core 16550 or the service VM's uart16550 model. */
#include "lib/apic.h"

#define S "demo"
#define TIMER_VECTOR 0x41u
#define HZ 100u
#define COM1 0x3f8u
#define LINE_MAX 64

struct demo {
	const struct keel_start_info *si;
	unsigned want, period, shown, typed, tdev_bad;
	bool echo, tdev;
	char line[LINE_MAX];
	unsigned n;
};

static volatile unsigned ticks;

static void on_timer(unsigned vector)
{
	(void)vector;
	ticks++;
	lapic_eoi();
}

static unsigned arg(const struct keel_start_info *si, const char *key, unsigned dflt)
{
	const char *s = cmdline_get(si, key);
	unsigned v = 0;
	if (!s || *s < '0' || *s > '9')
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned)(*s - '0');
	return v;
}

static const struct keel_start_region *region_at(const struct keel_start_info *si, uint64_t at,
						 bool port)
{
	for (uint32_t i = 0; i < si->nr_regions && i < KEEL_START_MAX_REGIONS; i++) {
		const struct keel_start_region *r = &si->region[i];
		if (!!(r->flags & KEEL_REGION_F_PORT) == port && at >= r->base && at - r->base < r->size)
			return r;
	}
	return NULL;
}

static const char *console_kind(const struct keel_start_info *si)
{
	const struct keel_start_region *r = region_at(si, COM1, true);
	return r && (r->flags & KEEL_REGION_F_FORWARDED) ? "the service VM's uart16550 model"
							 : "Keel's in-core 16550";
}

/* Whatever waits in the UART (LSR.DR, then RBR: PC16550D registers 5 and 0), a line at a time. */
static void demo_input(struct demo *d)
{
	while (inb(COM1 + 5) & 0x01) {
		char c = (char)inb(COM1);
		if (c != '\r' && c != '\n') {
			if (c >= 0x20 && c < 0x7f && d->n < LINE_MAX - 1)
				d->line[d->n++] = c;
			continue;
		}
		if (!d->n)
			continue;
		d->line[d->n] = 0;
		g_printf("demo: %s read '%s'\n", d->si->name, d->line);
		d->typed++;
		d->n = 0;
	}
}

static void demo_status(struct demo *d, uint64_t t0)
{
	uint64_t ms = (rdtsc() - t0) / (tsc_khz() ? tsc_khz() : 1);
	if (d->tdev) {
		uint64_t v = 0x64656d6f00000000ull + d->shown;
		tdev_poke(0x40, v);
		d->tdev_bad += tdev_peek(0x40) != v;
	}
	g_printf("demo: %s: tick %u at %lu ms, %lu exits, %lu requests to the service VM\n",
		 d->si->name, d->shown, (unsigned long)ms, (unsigned long)hc_stat(KEEL_STAT_EXITS),
		 (unsigned long)hc_stat(KEEL_STAT_FORWARDED));
}

static void demo_run(struct demo *d)
{
	unsigned every = d->period / (1000 / HZ), seen = 0;
	uint64_t t0 = rdtsc();

	intr_set(TIMER_VECTOR, on_timer);
	lapic_enable();
	lapic_write(APIC_TDCR, 0xb); /* divide by 1 */
	lapic_write(APIC_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	lapic_write(APIC_TMICT, apic_bus_khz() * 1000u / HZ);
	while (!d->want || d->shown < d->want) {
		sti_hlt();
		cli();
		if (ticks == seen)
			continue;
		seen = ticks;
		if (d->echo)
			demo_input(d);
		if (seen % every == 0) {
			d->shown++;
			demo_status(d, t0);
		}
	}
	lapic_write(APIC_LVT_TIMER, LVT_MASK);
	lapic_write(APIC_TMICT, 0);
	uint64_t ms = (rdtsc() - t0) / (tsc_khz() ? tsc_khz() : 1);
	/* the periodic timer drops missed periods, never adds any: faster means extra interrupts */
	verdict_report(S, "ticks", ms >= (uint64_t)d->want * d->period / 2,
		       "%u status lines in %lu ms, one every %u ms", d->shown, (unsigned long)ms,
		       d->period);
}

int guest_main(const struct keel_start_info *si)
{
	struct demo d = { .si = si, .want = arg(si, "ticks", 10), .period = arg(si, "period", 1000),
			  .echo = arg(si, "echo", 1) != 0 };
	const struct keel_start_region *t = region_at(si, KEEL_TESTDEV_GPA, false);

	d.tdev = t && t->kind == KEEL_REGION_TESTDEV;
	if (d.period < 1000 / HZ)
		d.period = 1000 / HZ;
	g_printf("demo: hello from partition %s (index %u): %u vCPU, %lu MiB of RAM, console through "
		 "%s%s\n", si->name, si->partition, si->nr_vcpus, (unsigned long)(si->ram_size >> 20),
		 console_kind(si), d.tdev ? ", a test device" : "");
	if (d.echo)
		g_printf("demo: %s echoes what you type once Keel's console input goes to it "
			 "(Ctrl-T %x)\n", si->name, si->partition);
	demo_run(&d);
	if (d.tdev)
		verdict_report(S, "testdev", !d.tdev_bad, "%u round trips, %u wrong", d.shown,
			       d.tdev_bad);
	else
		verdict_skip(S, "testdev", "no test device");
	g_printf("demo: %s is done (typed lines: %u)\n", si->name, d.typed);
	return 0;
}
