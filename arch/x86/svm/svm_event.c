/* Event injection, re-injection and the interrupt/NMI windows (APM Vol. 2 15.20, 15.21).
 * EVENTINJ holds one event; a second one waits in v->pending until it is delivered. SVM has
 * no NMI-window exit: an injected NMI blocks NMIs until its IRET, which is intercepted, and
 * the window then opens once the IRET has executed (single-stepped when Keel is waiting). */
#include <keel/printk.h>
#include "svm.h"

enum { EXC_DB = 1, EXC_BP = 3, EXC_OF = 4, EXC_DF = 8, EXC_PF = 14 };

static const u8 evt_types[] = {
	[VEVENT_EXTINT] = EVT_TYPE_INTR, [VEVENT_NMI] = EVT_TYPE_NMI,
	[VEVENT_EXCEPTION] = EVT_TYPE_EXC, [VEVENT_SOFTINT] = EVT_TYPE_SOFT,
};

/* Contributory exceptions (APM Vol. 2 8.2.9, Table 8-7): #DE, #TS, #NP, #SS, #GP. */
static bool exc_contributory(u8 v) { return v == 0 || (v >= 10 && v <= 13); }

static bool evt_valid(const struct vevent *e)
{
	switch (e->type) {
	case VEVENT_EXTINT:
	case VEVENT_SOFTINT:
	case VEVENT_NMI:
		return true;
	case VEVENT_EXCEPTION:
		return e->vector < 32 && e->vector != 2; /* else VMRUN fails (APM 15.20) */
	default:
		return false;
	}
}

static u64 evt_encode(const struct svm_vcpu *s, const struct vevent *e)
{
	u64 ev = EVT_V | (u64)evt_types[e->type] << 8;

	ev |= e->type == VEVENT_NMI ? 2u : e->vector;
	/* Real mode pushes no error code (APM Vol. 2 8.2). */
	if (e->type == VEVENT_EXCEPTION && e->has_error && (s->vmcb->save.cr0 & CR0_PE))
		ev |= EVT_EV | (u64)e->error << 32;
	return ev;
}

static void evt_park(struct vcpu *v, const struct vevent *e)
{
	if (v->pending.type != VEVENT_NONE) {
		pr_err("svm: vcpu %u: event type %u vector %u dropped: two events already wait",
		       v->id, e->type, e->vector);
		return;
	}
	v->pending = *e;
}

static bool evt_soft(u64 ev)
{
	return EVT_TYPE(ev) == EVT_TYPE_SOFT ||
	       (EVT_TYPE(ev) == EVT_TYPE_EXC && (EVT_VECTOR(ev) == EXC_BP || EVT_VECTOR(ev) == EXC_OF));
}

static void evt_write(struct vcpu *v, const struct vevent *e)
{
	struct svm_vcpu *s = svm_of(v);

	s->vmcb->ctl.eventinj = evt_encode(s, e);
	s->soft_len = evt_soft(s->vmcb->ctl.eventinj) ? e->insn_len : 0;
	if (e->has_cr2)
		s->vmcb->save.cr2 = e->cr2;
	if (e->type == VEVENT_NMI)
		s->nmi_blocked = true;
}

/* A second exception while one waits: #DF or shutdown per APM Vol. 2 8.2.9, else the
 * new one goes first and an interrupted extint/NMI waits its turn. */
static void evt_combine(struct vcpu *v, const struct vevent *e)
{
	struct svm_vcpu *s = svm_of(v);
	u64 old = s->vmcb->ctl.eventinj;
	u8 ov = EVT_VECTOR(old), nv = e->vector;

	if (EVT_TYPE(old) == EVT_TYPE_EXC) {
		if (ov == EXC_DF && (exc_contributory(nv) || nv == EXC_PF)) {
			s->shutdown = true;
			return;
		}
		if ((exc_contributory(ov) && exc_contributory(nv)) ||
		    (ov == EXC_PF && (nv == EXC_PF || exc_contributory(nv)))) {
			struct vevent df = { .type = VEVENT_EXCEPTION, .vector = EXC_DF,
					     .has_error = true, .error = 0 };
			evt_write(v, &df);
			return;
		}
	} else if (EVT_TYPE(old) == EVT_TYPE_INTR || EVT_TYPE(old) == EVT_TYPE_NMI) {
		struct vevent first = { .type = EVT_TYPE(old) == EVT_TYPE_NMI ? VEVENT_NMI
									   : VEVENT_EXTINT,
					.vector = ov };
		evt_park(v, &first);
	}
	evt_write(v, e);
}

void svm_inject(struct vcpu *v, const struct vevent *e)
{
	struct svm_vcpu *s = svm_of(v);

	if (e->type == VEVENT_NONE)
		return;
	svm_work(s);
	if (!evt_valid(e)) {
		pr_err("svm: vcpu %u: refusing to inject event type %u vector %u", v->id, e->type,
		       e->vector);
		return;
	}
	if (!(s->vmcb->ctl.eventinj & EVT_V))
		evt_write(v, e);
	else if (e->type == VEVENT_EXCEPTION)
		evt_combine(v, e);
	else
		evt_park(v, e);
}

void svm_window(struct vcpu *v, bool intr, bool nmi)
{
	struct svm_vcpu *s = svm_of(v);

	s->want_intr = intr;
	s->want_nmi = nmi;
	svm_work(s);
}

bool svm_can_take_intr(struct vcpu *v)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;

	return (v->regs.rflags & RFLAGS_IF) && !(vmcb->ctl.int_state & 1) &&
	       !(vmcb->ctl.eventinj & EVT_V) && v->pending.type == VEVENT_NONE;
}

void svm_clear_shadow(struct vcpu *v) { svm_of(v)->vmcb->ctl.int_state &= ~1ull; }

static bool nmi_window_open(const struct svm_vcpu *s)
{
	return !s->nmi_blocked && !(s->vmcb->ctl.int_state & 1) && !(s->vmcb->ctl.eventinj & EVT_V);
}

static void deliver_pending(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vevent e = v->pending;

	if (e.type == VEVENT_NONE || (s->vmcb->ctl.eventinj & EVT_V))
		return;
	if (e.type == VEVENT_NMI && !nmi_window_open(s))
		return;
	if (e.type == VEVENT_EXTINT && !((v->regs.rflags & RFLAGS_IF) && !(s->vmcb->ctl.int_state & 1)))
		return;
	v->pending.type = VEVENT_NONE;
	evt_write(v, &e);
}

/* A virtual interrupt (V_IRQ, any TPR) makes the CPU exit when the guest could take one
 * (APM 15.21.4). */
static void arm_intr_window(struct vcpu *v, bool on)
{
	struct vmcb_control *c = &svm_of(v)->vmcb->ctl;

	if (on) {
		c->vintr |= VINTR_V_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
		c->icpt1 |= ICPT1_VINTR;
	} else {
		c->vintr &= ~(VINTR_V_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT));
		c->icpt1 &= ~ICPT1_VINTR;
	}
}

static void arm_nmi_window(struct vcpu *v, bool need)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb *vmcb = s->vmcb;

	/* The end of an NMI handler is its IRET (APM Vol. 2 8.2.3). */
	if (s->nmi_blocked && !s->iret_seen)
		vmcb->ctl.icpt1 |= ICPT1_IRET;
	else
		vmcb->ctl.icpt1 &= ~ICPT1_IRET;
	/* Never step into an event delivery: the pushed RFLAGS would carry Keel's TF. */
	if (!need || s->stepping || (vmcb->ctl.eventinj & EVT_V))
		return;
	if (!s->iret_seen && (s->nmi_blocked || !(vmcb->ctl.int_state & 1)))
		return;
	/* Past the IRET or the shadow after one instruction: a #DB trap exits right there. */
	s->stepping = true;
	s->step_guest_tf = vmcb->save.rflags & RFLAGS_TF;
	vmcb->save.rflags |= RFLAGS_TF;
	svm_exc_update(s);
}

/* An injected INTn/INT3/INTO returns past the instruction: the CPU pushes NextRIP with NRIPS
 * and the VMCB's RIP without (QEMU, Bochs), so both point there (APM 15.20, 15.7.1). */
static void soft_return(struct svm_vcpu *s)
{
	if (!(s->vmcb->ctl.eventinj & EVT_V) || !evt_soft(s->vmcb->ctl.eventinj))
		return;
	s->vmcb->save.rip += s->soft_len;
	s->vmcb->ctl.nrip = s->vmcb->save.rip;
	s->soft_len = 0;
}

/* Returns false when an exit was made up without entering the guest. */
bool svm_event_before_entry(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);

	if (s->shutdown) {
		s->shutdown = false;
		v->exit.kind = VEXIT_SHUTDOWN;
		return false;
	}
	deliver_pending(v);
	if (s->want_nmi && nmi_window_open(s)) {
		s->want_nmi = false;
		v->exit.kind = VEXIT_NMI_WINDOW;
		return false;
	}
	arm_intr_window(v, s->want_intr || v->pending.type == VEVENT_EXTINT);
	arm_nmi_window(v, s->want_nmi || v->pending.type == VEVENT_NMI);
	s->injected = s->vmcb->ctl.eventinj;
	soft_return(s);
	return true;
}

/* An event whose delivery was cut short goes back into EVENTINJ (APM 15.7.2). A guest's own
 * INTn/INT3/INTO is not: RIP still points at the instruction, which raises it again. */
static void reinject(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	u64 ii = s->vmcb->ctl.exitintinfo;

	s->vmcb->ctl.eventinj = 0;
	if (!(ii & EVT_V))
		return;
	v->exit.vectoring = true;
	bool ours = (s->injected & EVT_V) && (u32)s->injected == (u32)ii;
	if (!evt_soft(ii) || ours)
		s->vmcb->ctl.eventinj = ii & (EVT_V | EVT_EV | 0x7ffull | 0xffffffff00000000ull);
}

void svm_event_after_exit(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_save *st = &s->vmcb->save;

	svm_work(s);
	reinject(v);
	s->injected = 0;
	s->stepped = s->stepping;
	if (s->stepping) {
		s->stepping = false;
		svm_exc_update(s);
		if (!s->step_guest_tf) {
			st->rflags &= ~RFLAGS_TF;
			v->regs.rflags &= ~RFLAGS_TF;
		}
	}
	if (s->iret_seen && st->rip != s->iret_rip) {
		s->iret_seen = false;
		s->nmi_blocked = false;
	}
}

void svm_event_on_iret(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);

	s->iret_seen = true;
	s->iret_rip = s->vmcb->save.rip;
	svm_work(s);
}

/* A #DB that ended Keel's single step is Keel's, unless the guest was stepping too or one of
 * its breakpoints (DR6.B0-B3) hit: then it is reported, or reflected when not intercepted. */
bool svm_event_on_db(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_save *st = &s->vmcb->save;

	if (!s->stepped)
		return false;
	if (!s->step_guest_tf)
		st->dr6 &= ~DR6_BS;
	if (!s->step_guest_tf && !(st->dr6 & 0xf))
		return true;
	if (s->exc_user & BIT(EXC_DB))
		return false;
	struct vevent db = { .type = VEVENT_EXCEPTION, .vector = EXC_DB };
	svm_inject(v, &db);
	return true;
}

/* Returns the exit kind for a consumed internal exit: a window Keel was asked for, or none. */
u32 svm_event_window_kind(struct vcpu *v, bool vintr)
{
	struct svm_vcpu *s = svm_of(v);

	svm_work(s);
	if (vintr) {
		arm_intr_window(v, false);
		if (s->want_intr) {
			s->want_intr = false;
			return VEXIT_INTR_WINDOW;
		}
	}
	if (s->want_nmi && nmi_window_open(s)) {
		s->want_nmi = false;
		return VEXIT_NMI_WINDOW;
	}
	return VEXIT_NONE;
}
