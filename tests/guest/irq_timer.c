/* The local APIC timer in one-shot, periodic and TSC-deadline mode (SDM Vol. 3A 10.5.4),
 * measured in guest TSC ticks against the frequencies Keel advertises (CPUID 0x40000010). */
#include "irq.h"

#define TDCR_DIV1 0xb
#define TDCR_DIV16 0x3

/* TSC ticks for `count` timer ticks at divide `div`. */
static uint64_t timer_tsc(uint64_t count, unsigned div) { return count * div * tsc_khz() / apic_bus_khz(); }

static void t_oneshot(void)
{
	uint32_t count = apic_bus_khz() * 5 / 16; /* 5 ms at divide by 16 */
	ilog_reset();
	intr_set(0x31, h_eoi);
	lapic_write(APIC_TDCR, TDCR_DIV16);
	lapic_write(APIC_LVT_TIMER, 0x31);
	sti();
	uint64_t t0 = rdtsc();
	lapic_write(APIC_TMICT, count);
	uint32_t c1 = lapic_read(APIC_TMCCT), c2 = lapic_read(APIC_TMCCT);
	ilog_wait(1, 50000);
	delay_us(15000);
	uint32_t c3 = lapic_read(APIC_TMCCT);
	cli();
	uint64_t got = ilog.n ? ilog.tsc[0] - t0 : 0, want = timer_tsc(count, 16);
	verdict_check(S, "timer-oneshot", ilog.n == 1 && within(got, want, 500),
		      "%u interrupts, after %lu ticks, expected %lu", ilog.n, (unsigned long)got,
		      (unsigned long)want);
	verdict_check(S, "timer-current-count", c1 <= count && c2 < c1 && c2 && !c3,
		      "initial %u, read %u then %u, after expiry %u", count, c1, c2, c3);
}

/* Ten periods between the first and the eleventh interrupt: each reload starts from the last
 * deadline, so the rate holds to 2% whatever each delivery's latency. */
static void t_periodic(void)
{
	uint32_t count = apic_bus_khz() * 2; /* 2 ms at divide by 1 */
	ilog_reset();
	intr_set(0x32, h_eoi);
	lapic_write(APIC_TDCR, TDCR_DIV1);
	lapic_write(APIC_LVT_TIMER, LVT_PERIODIC | 0x32);
	sti();
	lapic_write(APIC_TMICT, count);
	ilog_wait(11, 200000);
	lapic_write(APIC_TMICT, 0);
	unsigned n = ilog.n;
	delay_us(6000);
	cli();
	uint64_t want = 10 * timer_tsc(count, 1);
	uint64_t got = n >= 11 ? ilog.tsc[10] - ilog.tsc[0] : 0;
	uint64_t err = got > want ? got - want : want - got;
	verdict_check(S, "timer-periodic", n >= 11 && err <= want / 50 + us_to_tsc(100) &&
		      ilog.n == n, "%u interrupts (%u after stop), 10 periods in %lu ticks, "
		      "expected %lu", n, ilog.n - n, (unsigned long)got, (unsigned long)want);
}

/* TSC-deadline: the MSR reads back the deadline, the interrupt never comes before it, and the
 * MSR is 0 again once it fired (10.5.4.1); TMICT is ignored in this mode. */
static void t_deadline(void)
{
	bool ok = true;
	uint64_t worst = 0;
	ilog_reset();
	intr_set(0x33, h_eoi);
	lapic_write(APIC_LVT_TIMER, LVT_TSCDL | 0x33);
	lapic_write(APIC_TMICT, 1000);
	ok &= lapic_read(APIC_TMCCT) == 0;
	sti();
	for (unsigned i = 0; i < 5; i++) {
		uint64_t dl = rdtsc() + us_to_tsc(1000 + 500 * i);
		wrmsr(MSR_TSC_DEADLINE, dl);
		ok &= rdmsr(MSR_TSC_DEADLINE) == dl;
		ok &= ilog_wait(i + 1, 20000) && ilog.tsc[i] >= dl;
		if (ilog.n > i && ilog.tsc[i] - dl > worst)
			worst = ilog.tsc[i] - dl;
		ok &= rdmsr(MSR_TSC_DEADLINE) == 0;
	}
	cli();
	verdict_check(S, "timer-tsc-deadline", ok && ilog.n == 5 && worst <= us_to_tsc(500),
		      "%u interrupts, latest %lu ticks after its deadline", ilog.n,
		      (unsigned long)worst);
	ilog_reset();
	sti();
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_to_tsc(2000));
	wrmsr(MSR_TSC_DEADLINE, 0);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_to_tsc(2000));
	lapic_write(APIC_LVT_TIMER, 0x33);
	uint64_t msr_other_mode = rdmsr(MSR_TSC_DEADLINE);
	delay_us(5000);
	cli();
	verdict_check(S, "timer-deadline-disarm", !ilog.n && !msr_other_mode,
		      "%u interrupts after disarming; MSR in one-shot mode %lx", ilog.n,
		      (unsigned long)msr_other_mode);
}

/* A masked timer counts down without interrupting. */
static void t_masked(void)
{
	ilog_reset();
	intr_set(0x34, h_eoi);
	lapic_write(APIC_TDCR, TDCR_DIV1);
	lapic_write(APIC_LVT_TIMER, LVT_MASK | 0x34);
	sti();
	lapic_write(APIC_TMICT, apic_bus_khz());
	uint32_t c1 = lapic_read(APIC_TMCCT);
	delay_us(3000);
	uint32_t c2 = lapic_read(APIC_TMCCT);
	cli();
	verdict_check(S, "timer-masked", !ilog.n && c1 && !c2, "%u interrupts, count %u then %u",
		      ilog.n, c1, c2);
}

/* HLT with IF = 1: Keel halts the CPU (HALT_SLEEPS grows) until the timer fires. */
static void t_hlt(void)
{
	uint32_t count = apic_bus_khz() * 2;
	ilog_reset();
	intr_set(0x36, h_eoi);
	lapic_write(APIC_TDCR, TDCR_DIV1);
	lapic_write(APIC_LVT_TIMER, 0x36);
	uint64_t s0 = hc_stat(KEEL_STAT_HALT_SLEEPS), t0 = rdtsc();
	lapic_write(APIC_TMICT, count);
	sti_hlt();
	uint64_t t1 = rdtsc();
	cli();
	uint64_t s1 = hc_stat(KEEL_STAT_HALT_SLEEPS);
	verdict_check(S, "hlt-sleeps-until-timer", ilog.n == 1 && t1 - t0 >= timer_tsc(count, 1) &&
		      s1 > s0, "%u interrupts, halted %lu ticks (timer %lu), sleeps %lu",
		      ilog.n, (unsigned long)(t1 - t0), (unsigned long)timer_tsc(count, 1),
		      (unsigned long)(s1 - s0));
}

void irq_timer_tests(void)
{
	t_oneshot();
	t_periodic();
	t_deadline();
	t_masked();
	t_hlt();
	lapic_write(APIC_LVT_TIMER, LVT_MASK);
	lapic_write(APIC_TMICT, 0);
}
