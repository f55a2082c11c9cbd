/* Reference clocks for delays: the ACPI PM timer (3.579545 MHz, ACPI 6.5 §4.8.3.3) or PIT channel 2
 * in one-shot mode 0 (1.193182 MHz, gate and output on port 0x61). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/time.h>

#define PMTMR_HZ 3579545ULL
#define PIT_HZ 1193182ULL
#define CALIBRATE_US 10000

static u16 pmtmr_port;
static u32 pmtmr_mask;
static u64 tsc_khz_measured;

static void pmtmr_delay(u64 us)
{
	u64 need = us * PMTMR_HZ / 1000000, got = 0;
	u32 last = inl(pmtmr_port) & pmtmr_mask;
	while (got < need) {
		cpu_relax();
		u32 now = inl(pmtmr_port) & pmtmr_mask;
		got += (now - last) & pmtmr_mask;
		last = now;
	}
}

/* One PIT countdown of at most 65535 ticks (about 54.9 ms). */
static void pit_oneshot(u32 ticks)
{
	u8 gate = inb(0x61);
	outb(0x61, (u8)((gate & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb0);                        /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, (u8)ticks);
	outb(0x42, (u8)(ticks >> 8));
	for (u32 spin = 0; !(inb(0x61) & 0x20) && spin < 100000000; spin++)
		cpu_relax();
}

static void pit_delay(u64 us)
{
	u64 ticks = us * PIT_HZ / 1000000;
	while (ticks) {
		u32 chunk = (u32)MIN(ticks, 65535ULL);
		pit_oneshot(chunk < 2 ? 2 : chunk);
		ticks -= chunk;
	}
}

void udelay(u64 us)
{
	if (pmtmr_port)
		pmtmr_delay(us);
	else
		pit_delay(us);
}

u64 tsc_khz(void) { return tsc_khz_measured; }

bool time_wait_us(bool (*cond)(void *), void *arg, u64 us)
{
	for (u64 t = 0; t < us; t += 10) {
		if (cond(arg))
			return true;
		udelay(10);
	}
	return cond(arg);
}

void time_init(const struct acpi_fadt *f)
{
	if (f && f->valid && f->pm_tmr) {
		pmtmr_port = f->pm_tmr;
		pmtmr_mask = f->pm_tmr_32 ? 0xffffffffu : 0xffffffu;
	}
	u64 t0 = rdtsc();
	udelay(CALIBRATE_US);
	tsc_khz_measured = (rdtsc() - t0) / (CALIBRATE_US / 1000);
	if (pmtmr_port)
		pr_info("time: tsc %llu kHz (measured against the ACPI PM timer at port %#x)",
			(unsigned long long)tsc_khz_measured, pmtmr_port);
	else
		pr_info("time: tsc %llu kHz (measured against PIT channel 2; no ACPI PM timer)",
			(unsigned long long)tsc_khz_measured);
}
