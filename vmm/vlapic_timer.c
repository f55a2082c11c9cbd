/* The vLAPIC timer in one-shot, periodic and TSC-deadline mode (SDM Vol. 3A 10.5.4). The guest's
 * view is kept as a deadline in host TSC ticks; the vCPU loop fires it when due and keeps the
 * physical LAPIC timer of the vCPU's CPU armed for the next deadline (vmm/virq.c). The timer's
 * input clock is VLAPIC_BUS_KHZ before the divider. */
#include <keel/vlapic.h>
#include <keel/partition.h>
#include <keel/time.h>
#include <arch/cpu.h>
#include <arch/vcpu.h>

#define PERIOD_MIN_US 50 /* a shorter periodic timer would leave the guest no time to run */

static u64 muldiv(u64 a, u64 mul, u64 div) { return (u64)((unsigned __int128)a * mul / div); }

static u64 vlapic_tsc_khz(void)
{
	u64 k = tsc_khz();
	return k ? k : 1;
}

/* TDCR bits 3 and 1:0 select divide by 2, 4, ... 128, or 1 for 111b (Figure 10-10). */
static u32 vlapic_timer_div(u32 tdcr)
{
	u32 k = ((tdcr >> 1) & 4) | (tdcr & 3);
	return k == 7 ? 1 : 2u << k;
}

static u32 vlapic_timer_mode(const struct vlapic *l)
{
	u32 m = LVT_MODE(l->lvt[LVT_TIMER]);
	return m == 3 ? TIMER_ONESHOT : m;
}

static void vlapic_timer_stop(struct vlapic *l)
{
	l->timer_deadline = 0;
	l->timer_period = 0;
}

/* Switching into or out of TSC-deadline mode disarms the timer; one-shot ↔ periodic keeps the
 * count running (10.5.4.1). */
void vlapic_timer_lvt_write(struct vlapic *l, u32 val)
{
	bool was_dl = vlapic_timer_mode(l) == TIMER_TSCDL;
	l->lvt[LVT_TIMER] = val;
	if (was_dl != (vlapic_timer_mode(l) == TIMER_TSCDL)) {
		vlapic_timer_stop(l);
		l->tmict = 0;
		l->tsc_deadline = 0;
	}
}

/* Writing the initial count starts the count; 0 stops the timer; in TSC-deadline mode the
 * write is ignored (10.5.4). */
void vlapic_timer_tmict_write(struct vlapic *l, u32 val)
{
	u32 mode = vlapic_timer_mode(l);
	if (mode == TIMER_TSCDL)
		return;
	l->tmict = val;
	if (!val) {
		vlapic_timer_stop(l);
		return;
	}
	u64 period = muldiv((u64)val * vlapic_timer_div(l->tdcr), vlapic_tsc_khz(), VLAPIC_BUS_KHZ);
	u64 min = vlapic_tsc_khz() * PERIOD_MIN_US / 1000;
	if (!period)
		period = 1;
	if (mode == TIMER_PERIODIC && period < min)
		period = min;
	l->timer_period = period;
	l->timer_deadline = rdtsc() + period;
}

/* The current count runs down from the initial count to 0 (one-shot: stays there). */
u32 vlapic_timer_tmcct(const struct vlapic *l)
{
	if (vlapic_timer_mode(l) == TIMER_TSCDL || !l->timer_deadline)
		return 0;
	u64 now = rdtsc();
	if (now >= l->timer_deadline)
		return 0;
	u64 ticks = muldiv(l->timer_deadline - now, VLAPIC_BUS_KHZ, vlapic_tsc_khz()) /
		    vlapic_timer_div(l->tdcr);
	return ticks >= l->tmict ? l->tmict : (u32)ticks + 1;
}

/* IA32_TSC_DEADLINE reads 0 and ignores writes outside TSC-deadline mode; writing 0 disarms
 * (10.5.4.1). The value is in the guest's TSC: the partition's offset maps it to the host's. */
int vlapic_timer_deadline_read(struct vcpu *v, u64 *val)
{
	struct vlapic *l = v->lapic;
	*val = vlapic_timer_mode(l) == TIMER_TSCDL ? l->tsc_deadline : 0;
	return 0;
}

int vlapic_timer_deadline_write(struct vcpu *v, u64 val)
{
	struct vlapic *l = v->lapic;
	if (vlapic_timer_mode(l) != TIMER_TSCDL)
		return 0;
	l->tsc_deadline = val;
	l->timer_period = 0;
	l->timer_deadline = val ? (val - v->part->tsc_offset) | !(val - v->part->tsc_offset) : 0;
	vlapic_touch(l);
	return 0;
}

/* Expiry raises the LVT vector unless masked; a periodic timer reloads (missed periods are
 * dropped, not queued), the others disarm, and TSC-deadline clears the MSR (10.5.4.1). */
u64 vlapic_timer_check(struct vlapic *l, u64 now)
{
	if (!l->timer_deadline || now < l->timer_deadline)
		return l->timer_deadline;
	u32 lvt = l->lvt[LVT_TIMER];
	if (!(lvt & LVT_MASKED))
		vlapic_set_irr(l, (u8)lvt, false);
	if (vlapic_timer_mode(l) == TIMER_PERIODIC && l->timer_period) {
		l->timer_deadline += l->timer_period;
		if (l->timer_deadline <= now)
			l->timer_deadline = now + l->timer_period;
	} else {
		l->timer_deadline = 0;
		l->tsc_deadline = 0;
	}
	return l->timer_deadline;
}
