/* Interrupts in the vCPU loop: start-up work posted by INIT/SIPI, timers, injection with
 * interrupt windows, HLT as a physical sleep; and the virq_* API for the rest of the core.
 * The loop runs with host interrupts masked; a host interrupt (the physical timer, a kick)
 * ends a guest's run and is taken in virq_host_window. */
#include <keel/virq.h>
#include <keel/vlapic.h>
#include <keel/vplatform.h>
#include <keel/errno.h>
#include <keel/fwd.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/cpu.h>
#include <arch/exit.h>
#include <arch/lapic.h>
#include <arch/virt.h>

enum virq_src { SRC_NONE, SRC_PIC, SRC_LAPIC };

int virq_raise(struct vcpu *v, u8 vector)
{
	if (vector < 16)
		return -EINVAL;
	if (!vlapic_sw_enabled(v->lapic))
		return -EAGAIN;
	vlapic_set_irr(v->lapic, vector, false);
	vlapic_kick(v);
	return 0;
}

void virq_notify(void *ctx)
{
	const struct virq_notify *n = ctx;
	virq_raise(n->vcpu, n->vector);
}

int virq_set_pin(struct partition *p, u32 pin, enum virq_level level)
{
	if (pin >= VIRQ_IOAPIC_PINS || !p->irq)
		return -ERANGE;
	struct vioapic *io = &p->irq->ioapic;
	vioapic_set_level(io, pin, level != VIRQ_LOW);
	if (level == VIRQ_PULSE)
		vioapic_set_level(io, pin, false);
	return 0;
}

int virq_set_isa(struct partition *p, u32 irq, enum virq_level level)
{
	if (irq >= 16 || !p->irq)
		return -ERANGE;
	struct vpic *pic = &p->irq->pic;
	vpic_set_irq(pic, irq, level != VIRQ_LOW);
	bool wake = vpic_output(pic);
	if (level == VIRQ_PULSE)
		vpic_set_irq(pic, irq, false);
	if (wake)
		vlapic_kick(p->vcpu[0]);
	return virq_set_pin(p, irq ? irq : 2, level);
}

/* The ring header's device table names each forwarded device's partition and pin; only the
 * service VM answers those devices. */
bool virq_service_owns_pin(const struct partition *svc, const struct partition *target, u32 pin)
{
	return svc->service && fwd_owns_pin(target->id, pin);
}

void virq_ioapic_eoi(struct partition *p, u8 vector)
{
	if (p->irq)
		vioapic_eoi(&p->irq->ioapic, vector);
}

static void virq_host_window(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }

/* STI's shadow covers HLT, so an interrupt arriving after the checks still wakes it. */
static void virq_sleep(struct vcpu *v)
{
	v->stat[KEEL_STAT_HALT_SLEEPS]++;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static void virq_arm(struct vlapic *l, u64 deadline)
{
	if (deadline != l->armed) {
		lapic_timer_arm(deadline);
		l->armed = deadline;
	}
}

/* INIT and SIPI work posted by senders (vmm/vlapic_ipi.c). The BSP has no firmware to go back
 * to after INIT: it stops. Returns the start-up state. */
static __attribute__((noinline)) u8 virq_lifecycle_work(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	spin_lock(&l->lc_lock);
	bool reset = l->lc_reset, start = l->lc_start;
	u8 vector = l->lc_vector;
	l->lc_reset = l->lc_start = false;
	u8 state = l->lc_state;
	spin_unlock(&l->lc_lock);
	if (reset && v->id == 0) {
		if (partition_restart(v))
			return LC_RUNNING;
		exit_fatal(v, "INIT received by the BSP; there is no firmware to restart it");
		return LC_PARKED;
	}
	if (reset) {
		virt->vcpu_wait_sipi(v);
		vlapic_reset(l);
		l->window = false;
		partition_vcpu_parked(v);
	}
	if (start) {
		virt->vcpu_start_at(v, vector);
		v->regs.gpr[VCPU_RDX] = cpuid(1, 0).a; /* the processor signature (SDM Vol. 3A 9.1.1) */
		partition_vcpu_started(v);
	}
	return state;
}

/* On every entry: the state, and the posted work only when there is some. */
static inline u8 virq_lifecycle(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	u8 state = __atomic_load_n(&l->lc_state, __ATOMIC_ACQUIRE);
	if (!READ_ONCE(l->lc_reset) && !READ_ONCE(l->lc_start))
		return state;
	return virq_lifecycle_work(v);
}

/* Timers due by now: the vLAPIC's, and on the BSP the 8254's. Returns the next deadline. */
static u64 virq_timers(struct vcpu *v, u64 now)
{
	struct vlapic *l = v->lapic;
	if (lapic_timer_fired())
		l->armed = 0;
	u64 next = vlapic_timer_check(l, now);
	/* not counting is the common case: vpit_check's lock only when it has work */
	if (v->id == 0 && v->part->irq && vpit_counting(&v->part->irq->pit)) {
		u64 pit = vpit_check(&v->part->irq->pit, now);
		if (pit && (!next || pit < next))
			next = pit;
	}
	return next;
}

/* The interrupt the vCPU takes next: the 8259's through LINT0 first (as KVM does), then the
 * vLAPIC's highest deliverable vector. */
static inline __attribute__((always_inline)) enum virq_src virq_source(struct vcpu *v, int *vector)
{
	if (v->id == 0 && v->part->irq && vpic_requesting(&v->part->irq->pic) &&
	    vlapic_accepts_extint(v->lapic) && vpic_output(&v->part->irq->pic))
		return SRC_PIC;
	*vector = vlapic_irr_empty(v->lapic) ? -1 : vlapic_pending(v->lapic);
	return *vector >= 0 ? SRC_LAPIC : SRC_NONE;
}

/* Host interrupts, start-up work and timers. Returns false unless the vCPU is running. */
static inline __attribute__((always_inline)) bool virq_service(struct vcpu *v, u64 *next)
{
	virq_host_window();
	u8 state = virq_lifecycle(v);
	if (READ_ONCE(v->stopped) || state != LC_RUNNING)
		return false;
	*next = virq_timers(v, rdtsc());
	return true;
}

static void virq_wait_start(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	virq_arm(l, 0);
	while (!READ_ONCE(v->stopped) && !READ_ONCE(l->lc_reset) && !READ_ONCE(l->lc_start))
		virq_sleep(v);
}

bool virq_before_entry(struct vcpu *v)
{
	u64 next;
	/* a full barrier before the passes read anything a later change would touch */
	__atomic_exchange_n(&v->lapic->touched, 0, __ATOMIC_SEQ_CST);
	v->lapic->quiet = false;
	if (virq_service(v, &next)) {
		v->lapic->next = next;
		return true;
	}
	if (!READ_ONCE(v->stopped))
		virq_wait_start(v);
	return false;
}

/* An interrupt held back by the TPR alone is delivered right after the MOV to CR8 that lowers
 * it (SDM Vol. 3A 10.8.6.1): the backend makes such a MOV exit while one waits. */
static void virq_tpr_watch(struct vcpu *v, struct vlapic *l, enum virq_src src)
{
	/* with something to deliver now, the next pass (after it, or at its window) decides */
	bool holds = src == SRC_NONE && !vlapic_irr_empty(l) && vlapic_tpr_holds(l);
	if (holds != l->tpr_watch) {
		l->tpr_watch = holds;
		virt->vcpu_tpr_watch(v, holds);
	}
}

void virq_inject(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	bool want_intr = false, want_nmi = __atomic_load_n(&l->nmi_pending, __ATOMIC_ACQUIRE);
	int vector = -1;
	enum virq_src src = virq_source(v, &vector);
	if (src != SRC_NONE && virt->vcpu_can_take_intr(v)) {
		if (src == SRC_PIC)
			vector = vpic_ack(&v->part->irq->pic);
		else
			vlapic_ack(l, (u8)vector);
		if (vector >= 0) {
			struct vevent e = { .type = VEVENT_EXTINT, .vector = (u8)vector };
			virt->vcpu_inject(v, &e);
			v->stat[KEEL_STAT_INTR_INJECTED]++;
		}
	} else if (src != SRC_NONE) {
		want_intr = true;
		v->stat[KEEL_STAT_INTR_WINDOWS]++;
	}
	if (want_intr || want_nmi || l->window) {
		virt->vcpu_window(v, want_intr, want_nmi);
		l->window = want_intr || want_nmi;
	}
	virq_arm(l, l->next);
	l->quiet = src == SRC_NONE && !want_nmi && !l->window;
	virq_tpr_watch(v, l, src);
}

void virq_nmi_window(struct vcpu *v)
{
	if (!__atomic_exchange_n(&v->lapic->nmi_pending, 0, __ATOMIC_ACQ_REL))
		return;
	struct vevent e = { .type = VEVENT_NMI, .vector = 2 };
	virt->vcpu_inject(v, &e);
}

/* HLT wakes on an interrupt the vCPU can take (PPR allowing), an NMI, INIT or a stop; until
 * then the CPU halts with the physical timer armed for the next deadline. */
bool virq_halt(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	l->quiet = false;
	for (;;) {
		u64 next;
		int vector;
		if (!virq_service(v, &next))
			return !READ_ONCE(v->stopped);
		if (READ_ONCE(l->nmi_pending) || virq_source(v, &vector) != SRC_NONE)
			return true;
		virq_arm(l, next);
		virq_sleep(v);
	}
}

/* HLT with IF = 0 ends only on an NMI, INIT or a stop (SDM Vol. 2A HLT); meanwhile the vCPU
 * counts as parked. INIT and SIPI are left to the loop's start-up work. */
bool virq_halt_off(struct vcpu *v)
{
	struct vlapic *l = v->lapic;
	l->quiet = false;
	partition_vcpu_halted(v);
	virq_arm(l, 0);
	for (;;) {
		virq_host_window();
		if (READ_ONCE(v->stopped))
			return false;
		if (READ_ONCE(l->lc_reset) || READ_ONCE(l->lc_start))
			return true;
		if (READ_ONCE(l->nmi_pending)) {
			partition_vcpu_started(v);
			return true;
		}
		virq_sleep(v);
	}
}

bool virq_check_on;

void virq_check_set(bool on) { virq_check_on = on; }

/* What a full pass would find to do at `now`, found without doing it; NULL when nothing. */
static const char *virq_due(struct vcpu *v, u64 now)
{
	struct vlapic *l = v->lapic;
	int vector;
	if (READ_ONCE(l->lc_reset) || READ_ONCE(l->lc_start) ||
	    __atomic_load_n(&l->lc_state, __ATOMIC_ACQUIRE) != LC_RUNNING)
		return "start-up work";
	if (*l->timer_flag)
		return "the physical timer fired";
	u64 next = l->timer_deadline;
	if (v->id == 0 && v->part->irq) {
		u64 pit = vpit_next(&v->part->irq->pit);
		if (pit && (!next || pit < next))
			next = pit;
	}
	if (next && now >= next)
		return "a timer is due";
	if (next != l->next)
		return "a timer was set without a mark";
	if (__atomic_load_n(&l->nmi_pending, __ATOMIC_ACQUIRE) || l->window)
		return "an NMI or a window";
	return virq_source(v, &vector) != SRC_NONE ? "an interrupt is pending" : NULL;
}

/* irqcheck: an entry without the passes is checked against what they would have found. A
 * change seen half-way (still under way, or already marked) is left to its mark: the next
 * entry runs the passes, and a kick IPI ends the guest's run if it already started. */
void virq_check(struct vcpu *v, u64 now)
{
	struct vlapic *l = v->lapic;
	v->stat[KEEL_STAT_IRQ_CHECKED]++;
	const char *why = virq_due(v, now);
	if (!why || __atomic_load_n(&l->posting, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&l->touched, __ATOMIC_ACQUIRE))
		return;
	if (v->stat[KEEL_STAT_IRQ_MISSED]++ < 8)
		pr_err("%s: vcpu %u: entered without the interrupt passes, but %s (rip %#llx)",
		       v->part->name, v->id, why, (unsigned long long)v->regs.rip);
}

void virq_vcpu_begin(struct vcpu *v)
{
	v->lapic->timer_flag = lapic_timer_flag();
	v->lapic->quiet = false;
	v->host_intr = true;
	if (v->lapic->lc_state != LC_RUNNING)
		virt->vcpu_wait_sipi(v);
}

void virq_vcpu_end(struct vcpu *v) { virq_arm(v->lapic, 0); }

bool virq_wait_first_start(struct vcpu *v)
{
	while (!READ_ONCE(v->stopped)) {
		if (virq_lifecycle(v) == LC_RUNNING)
			return !READ_ONCE(v->stopped);
		virq_wait_start(v);
	}
	return false;
}
