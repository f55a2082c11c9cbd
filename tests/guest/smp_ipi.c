/* IPIs between the partition's two vCPUs (SDM Vol. 3A 10.6): each one delivered, repeats of a
 * pending vector collapsed in IRR, pending vectors taken highest first, shorthands, lowest
 * priority, NMI, and the AP's own timer. */
#include "smp.h"

static volatile uint64_t ap_value;

static void ap_read_sleeps(uintptr_t arg)
{
	(void)arg;
	ap_value = hc_stat(KEEL_STAT_HALT_SLEEPS);
}

/* One at a time, the AP halted between them: none may be lost, and the AP's CPU sleeps. */
static void t_each(void)
{
	const unsigned count = 40;
	unsigned lost = 0;
	log_reset(1);
	intr_set(0x50, h_log);
	ap_call(ap_read_sleeps, 0, 100000);
	uint64_t s0 = ap_value;
	ap.halt = true;
	delay_us(500);
	for (unsigned i = 0; i < count; i++) {
		lapic_ipi(1, 0x50);
		lost += !log_wait(1, i + 1, 20000);
	}
	ap.halt = false;
	ap_wake();
	ap_call(ap_read_sleeps, 0, 100000);
	verdict_check(S, "ipi-each-delivered", !lost && logs[1].n == count, "%u of %u arrived",
		      logs[1].n, count);
	verdict_check(S, "ap-halt-sleeps", ap_value - s0 >= count / 2, "the AP's CPU halted %lu "
		      "times for %u IPIs", (unsigned long)(ap_value - s0), count);
}

static volatile bool holding, release;

static void ap_hold(uintptr_t arg)
{
	(void)arg;
	cli();
	holding = true;
	while (!release)
		pause();
	sti();
	delay_us(500);
}

/* The AP holds IF = 0 while the BSP sends 0x41 three times, 0x81, 0x61 and 0x41 again. */
static void t_pending_order(void)
{
	log_reset(1);
	intr_set(0x41, h_log);
	intr_set(0x61, h_log);
	intr_set(0x81, h_log);
	holding = release = false;
	ap.fn = ap_hold;
	uint64_t t0 = rdtsc();
	while (!holding && rdtsc() - t0 < 100 * tsc_khz())
		pause();
	for (int i = 0; i < 3; i++)
		lapic_ipi(1, 0x41);
	lapic_ipi(1, 0x81);
	lapic_ipi(1, 0x61);
	lapic_ipi(1, 0x41);
	delay_us(500);
	unsigned early = logs[1].n;
	release = true;
	log_wait(1, 3, 20000);
	delay_us(1000);
	verdict_check(S, "ipi-repeats-collapse", holding && !early && log_count(1, 0x41) == 1,
		      "held %u, taken while IF=0: %u, vector 0x41 taken %u times", holding, early,
		      log_count(1, 0x41));
	verdict_check(S, "ipi-pending-highest-first", logs[1].n == 3 && logs[1].vec[0] == 0x81 &&
		      logs[1].vec[1] == 0x61 && logs[1].vec[2] == 0x41, "%u taken: %x %x %x",
		      logs[1].n, logs[1].vec[0], logs[1].vec[1], logs[1].vec[2]);
}

static void ap_send(uintptr_t icr) { lapic_ipi((uint8_t)(icr >> 24), (uint32_t)icr & 0xffffff); }

static void t_ap_to_bsp(void)
{
	log_reset(0);
	intr_set(0x52, h_log);
	sti();
	ap_call(ap_send, 0x52, 100000);
	log_wait(0, 1, 20000);
	cli();
	verdict_check(S, "ipi-ap-to-bsp", logs[0].n == 1 && logs[0].vec[0] == 0x52, "%u taken",
		      logs[0].n);
}

/* All excluding self, and all including self (Figure 10-12 shorthands). */
static void t_shorthands(void)
{
	log_reset(0);
	log_reset(1);
	intr_set(0x53, h_log);
	intr_set(0x54, h_log);
	sti();
	lapic_ipi(0, ICR_OTHERS | 0x53);
	lapic_ipi(0, ICR_ALL | 0x54);
	log_wait(1, 2, 20000);
	log_wait(0, 1, 20000);
	delay_us(500);
	cli();
	verdict_check(S, "ipi-shorthands", log_count(1, 0x53) == 1 && !log_count(0, 0x53) &&
		      log_count(0, 0x54) == 1 && log_count(1, 0x54) == 1, "others: AP %u BSP %u; "
		      "all: BSP %u AP %u", log_count(1, 0x53), log_count(0, 0x53), log_count(0, 0x54),
		      log_count(1, 0x54));
}

static void ap_set_tpr(uintptr_t v)
{
	lapic_write(APIC_DFR, 0xffffffffu);
	lapic_write(APIC_LDR, 0x02000000u);
	lapic_write(APIC_TPR, (uint32_t)v);
}

/* Lowest priority to both logical IDs: the vCPU with the lower TPR takes it (10.6.2.4). */
static void t_lowest(void)
{
	log_reset(0);
	log_reset(1);
	intr_set(0x55, h_log);
	lapic_write(APIC_DFR, 0xffffffffu);
	lapic_write(APIC_LDR, 0x01000000u);
	lapic_write(APIC_TPR, 0x20);
	ap_call(ap_set_tpr, 0x00, 100000);
	sti();
	lapic_ipi(0x03, ICR_LOGICAL | ICR_LOWPRI | 0x55);
	log_wait(1, 1, 20000);
	delay_us(500);
	unsigned ap1 = log_count(1, 0x55), bsp1 = log_count(0, 0x55);
	lapic_write(APIC_TPR, 0);
	ap_call(ap_set_tpr, 0x30, 100000);
	lapic_ipi(0x03, ICR_LOGICAL | ICR_LOWPRI | 0x55);
	log_wait(0, 1, 20000);
	delay_us(500);
	cli();
	ap_call(ap_set_tpr, 0, 100000);
	unsigned ap2 = log_count(1, 0x55) - ap1, bsp2 = log_count(0, 0x55) - bsp1;
	verdict_check(S, "lowest-priority-lower-tpr", ap1 == 1 && !bsp1 && bsp2 == 1 && !ap2,
		      "AP's TPR lower: AP %u BSP %u; BSP's TPR lower: BSP %u AP %u", ap1, bsp1,
		      bsp2, ap2);
}

static void t_nmi(void)
{
	log_reset(1);
	intr_set(2, h_log_noeoi);
	lapic_ipi(1, ICR_NMI);
	log_wait(1, 1, 20000);
	verdict_check(S, "nmi-to-ap", logs[1].n == 1 && logs[1].vec[0] == 2, "%u taken", logs[1].n);
}

/* The AP's periodic timer, backed by its own CPU's timer: 5 periods of 1 ms within 2%. */
static void ap_timer(uintptr_t arg)
{
	(void)arg;
	lapic_write(APIC_TDCR, 0xb);
	lapic_write(APIC_LVT_TIMER, LVT_PERIODIC | 0x32);
	lapic_write(APIC_TMICT, apic_bus_khz());
	log_wait(1, 6, 100000);
	lapic_write(APIC_TMICT, 0);
	lapic_write(APIC_LVT_TIMER, LVT_MASK);
}

static void t_ap_timer(void)
{
	log_reset(1);
	intr_set(0x32, h_log);
	ap_call(ap_timer, 0, 500000);
	struct cpu_log *l = &logs[1];
	uint64_t want = 5 * tsc_khz(), got = l->n >= 6 ? l->tsc[5] - l->tsc[0] : 0;
	uint64_t err = got > want ? got - want : want - got;
	verdict_check(S, "ap-lapic-timer", l->n >= 6 && err <= want / 50 + tsc_khz() / 10,
		      "%u ticks, 5 periods in %lu, expected %lu", l->n, (unsigned long)got,
		      (unsigned long)want);
}

/* The device raises a vector on the halted AP (virq_raise from the BSP's CPU): Keel's kick
 * wakes the AP's CPU. */
static void t_msi_to_ap(void)
{
	log_reset(1);
	intr_set(0x67, h_log);
	ap.halt = true;
	delay_us(1000);
	tdev_msi(0x67, 1);
	log_wait(1, 1, 20000);
	ap.halt = false;
	ap_wake();
	verdict_check(S, "device-msi-wakes-ap", logs[1].n == 1 && logs[1].vec[0] == 0x67,
		      "%u taken", logs[1].n);
}

void smp_ipi_tests(void)
{
	t_msi_to_ap();
	t_each();
	t_pending_order();
	t_ap_to_bsp();
	t_shorthands();
	t_lowest();
	t_nmi();
	t_ap_timer();
}
