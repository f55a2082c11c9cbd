/* Local APIC access. In xAPIC mode registers are 32-bit MMIO at IA32_APIC_BASE; in x2APIC mode
 * MSR 0x800 + (offset >> 4), with the ICR as one 64-bit MSR (SDM Vol. 3A 10.12.1). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <keel/printk.h>
#include <keel/time.h>
#include <keel/errno.h>

enum { LAPIC_ID = 0x20, LAPIC_TPR = 0x80, LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0, LAPIC_ICR_LO = 0x300,
       LAPIC_ICR_HI = 0x310 };
#define APIC_BASE_EXTD BIT(10)
#define APIC_BASE_EN BIT(11)
#define ICR_PENDING BIT(12)
#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))

static volatile u32 *lapic_mmio;
static bool lapic_x2;

static u32 lapic_read(u32 reg) { return lapic_x2 ? (u32)rdmsr(X2APIC_MSR(reg)) : lapic_mmio[reg / 4]; }

static void lapic_write(u32 reg, u32 v)
{
	if (lapic_x2)
		wrmsr(X2APIC_MSR(reg), v);
	else
		lapic_mmio[reg / 4] = v;
}

/* The firmware may leave the 8259 pair unmasked with IRQ 0 at vector 8; Keel uses the LAPIC
 * only, so mask every line (8259A data sheet: OCW1 at the odd port). */
static void lapic_mask_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

u64 lapic_init(void)
{
	lapic_mask_pic();
	u64 base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, base |= APIC_BASE_EN);
	lapic_x2 = base & APIC_BASE_EXTD;
	lapic_mmio = (volatile u32 *)(base & 0xffffffffff000ULL);
	return base & 0xffffffffff000ULL;
}

bool lapic_is_x2apic(void) { return lapic_x2; }

static void lapic_wake(struct trap_frame *f)
{
	(void)f;
	lapic_eoi();
}

void lapic_enable(void)
{
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS); /* bit 8: APIC software enable */
	trap_register(VEC_WAKE, lapic_wake);
}

u32 lapic_id(void) { return lapic_x2 ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24; }

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

static int lapic_wait_idle(void)
{
	for (u32 spin = 0; lapic_read(LAPIC_ICR_LO) & ICR_PENDING; spin++) {
		if (spin > 1000000)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

int lapic_send_ipi(u32 apic_id, u32 icr)
{
	if (lapic_x2) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), (u64)apic_id << 32 | icr);
		return 0;
	}
	if (lapic_wait_idle())
		return -ETIMEDOUT;
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	return lapic_wait_idle();
}

enum { LAPIC_LVT_TIMER = 0x320, LAPIC_TMICT = 0x380, LAPIC_TMCCT = 0x390, LAPIC_TDCR = 0x3e0 };
#define LVT_MASKED BIT(16)
#define TDCR_DIV1 0xbu /* divide by 1 (SDM Vol. 3A 10.5.4, Figure 10-10) */
#define CALIBRATE_MS 10

static u64 timer_khz;
static volatile u8 timer_fired[KEEL_MAX_CPUS];

static void lapic_timer_irq(struct trap_frame *f)
{
	(void)f;
	timer_fired[this_cpu()->index] = 1;
	lapic_eoi();
}

/* Counts down from 2^32-1 for CALIBRATE_MS of TSC time; the timer is left stopped. */
void lapic_timer_calibrate(void)
{
	trap_register(VEC_TIMER, lapic_timer_irq);
	if (timer_khz || !tsc_khz())
		return;
	lapic_write(LAPIC_TDCR, TDCR_DIV1);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	u64 t0 = rdtsc(), span = tsc_khz() * CALIBRATE_MS;
	lapic_write(LAPIC_TMICT, 0xffffffffu);
	while (rdtsc() - t0 < span)
		cpu_relax();
	u32 left = lapic_read(LAPIC_TMCCT);
	u64 t1 = rdtsc();
	lapic_write(LAPIC_TMICT, 0);
	timer_khz = (u64)(0xffffffffu - left) * tsc_khz() / (t1 - t0);
	pr_info("time: lapic timer %llu kHz (measured against the tsc)", (unsigned long long)timer_khz);
}

u64 lapic_timer_khz(void) { return timer_khz; }

/* One-shot, rounded up so it never fires before the deadline by more than the measurement's
 * error; a deadline too far away fires early and is armed again by the caller. */
void lapic_timer_arm(u64 tsc_deadline)
{
	if (!tsc_deadline || !timer_khz) {
		lapic_write(LAPIC_TMICT, 0);
		return;
	}
	u64 now = rdtsc(), d = tsc_deadline > now ? tsc_deadline - now : 1;
	if (d > (1ull << 40))
		d = 1ull << 40;
	u64 count = d * timer_khz / tsc_khz() + 1;
	lapic_write(LAPIC_TDCR, TDCR_DIV1);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
	lapic_write(LAPIC_TMICT, count > 0xffffffffu ? 0xffffffffu : (u32)count);
}

const volatile u8 *lapic_timer_flag(void) { return &timer_fired[this_cpu()->index]; }

bool lapic_timer_fired(void)
{
	unsigned i = this_cpu()->index;
	if (!timer_fired[i])
		return false;
	timer_fired[i] = 0;
	return true;
}
