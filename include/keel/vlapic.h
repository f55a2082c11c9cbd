/* The virtual local APIC of a vCPU: xAPIC registers behind the trapped page at 0xfee00000 (SDM
 * Vol. 3A ch. 10), its timer, inter-processor interrupts confined to the partition and the
 * INIT/SIPI start-up of its vCPUs. docs/interrupts.md describes the model. */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include <keel/types.h>
#include <keel/region.h>
#include <keel/spinlock.h>

struct vcpu;
struct partition;

#define VLAPIC_BASE    0xfee00000ull
/* Integrated APIC (version 1xH), Max LVT Entry 5 (six entries, no CMCI), no EOI-broadcast
 * suppression (SDM Vol. 3A 10.4.8). */
#define VLAPIC_VERSION 0x00050014u
/* The timer's input clock, as CPUID 0x15 (crystal, Intel) and 0x40000010 EBX tell the guest. */
#define VLAPIC_BUS_KHZ 25000u

enum vlapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };
#define LVT_MASKED     BIT(16)
#define LVT_MODE(lvt)  (((lvt) >> 17) & 3) /* timer: 0 one-shot, 1 periodic, 2 TSC-deadline */
#define TIMER_ONESHOT  0u
#define TIMER_PERIODIC 1u
#define TIMER_TSCDL    2u

/* Delivery modes of the ICR, the LVT entries and IOAPIC redirection entries (10.6.1). */
enum apic_dm { DM_FIXED = 0, DM_LOWPRI = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_SIPI = 6,
	       DM_EXTINT = 7 };

/* Error Status Register bits (10.5.3). */
#define ESR_SEND_ILLEGAL   BIT(5)
#define ESR_RECV_ILLEGAL   BIT(6)
#define ESR_ILLEGAL_REG    BIT(7)

/* Where a vCPU stands in its start-up (SDM Vol. 3A 8.4; illumos bug 12991): an AP starts
 * PARKED; only INIT makes it wait for a start-up IPI; only a SIPI in WAIT_SIPI starts it. */
enum vlapic_lc { LC_RUNNING, LC_PARKED, LC_WAIT_SIPI };

struct vlapic {
	struct vcpu *v;
	/* Written by any CPU (senders): atomics only. */
	u32 irr[8], tmr[8];
	u32 esr_pending;
	u32 nmi_pending;
	struct spinlock lc_lock;  /* guards the four start-up fields */
	u8 lc_state, lc_vector;
	bool lc_reset, lc_start;  /* INIT / SIPI work for the owner's loop */
	/* The owning vCPU's alone. */
	u32 isr[8];
	u32 id, tpr, ldr, dfr, svr, esr, icr_lo, icr_hi, tmict, tdcr;
	u32 lvt[LVT_COUNT];
	u64 timer_deadline;       /* host TSC of the next expiry, 0 = disarmed */
	u64 timer_period;         /* host TSC ticks per period (one-shot: the whole count) */
	u64 tsc_deadline;         /* IA32_TSC_DEADLINE as written (guest TSC), 0 = disarmed */
	u64 next;                 /* the vCPU's next timer deadline (host TSC), 0 = none */
	u64 armed;                /* deadline the physical timer is set for, 0 = none */
	bool window;              /* an interrupt or NMI window is requested */
	bool tpr_set;             /* Keel wrote the TPR (register, reset): SVM's V_TPR is stale */
	/* The entry passes' short cut (vmm/virq.c, docs/performance.md). */
	u32 touched;              /* any CPU: what those passes read may have changed */
	u32 posting;              /* any CPU: changes under way (vlapic_change_begin/end) */
	bool quiet;               /* the last full pass found nothing to do */
	bool tpr_watch;           /* the backend watches MOV to CR8 (vcpu_tpr_watch) */
	const volatile u8 *timer_flag; /* this CPU's "physical timer fired" flag */
};

/* Every change to what the entry passes read (IRR, ISR, TPR, LVTs, timers, the 8259 and 8254,
 * NMI and start-up work) is bracketed by these on the vCPU whose passes read it: its next entry
 * then runs them. The end marks it touched; the count of changes under way lets irqcheck tell
 * a change in flight from a missed one. */
static inline void vlapic_change_begin(struct vlapic *l)
{
	__atomic_fetch_add(&l->posting, 1, __ATOMIC_ACQ_REL);
}

static inline void vlapic_change_end(struct vlapic *l)
{
	__atomic_store_n(&l->touched, 1, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&l->posting, 1, __ATOMIC_RELEASE);
}

/* A change by the vCPU itself (its own exit), which its next entry sees. */
static inline void vlapic_touch(struct vlapic *l) { __atomic_store_n(&l->touched, 1, __ATOMIC_RELEASE); }

/* A message from the ICR or an IOAPIC redirection entry. */
struct apic_msg {
	u8 vector;
	u8 mode;       /* enum apic_dm */
	u8 dest;       /* APIC ID or logical mask */
	u8 shorthand;  /* 0 none, 1 self, 2 all including self, 3 all excluding self */
	bool logical;
	bool level;    /* level-triggered: sets the TMR bit, so EOI is broadcast to the IOAPIC */
};

/* vmm/vlapic.c: state and registers. */
int vlapic_create(struct vcpu *v);
void vlapic_reset(struct vlapic *l);     /* power-up / INIT state (10.4.7.1, 10.4.7.3) */
extern const struct region_ops vlapic_ops;
bool vlapic_sw_enabled(const struct vlapic *l);
void vlapic_set_irr(struct vlapic *l, u8 vector, bool level);
/* The highest vector in IRR above the processor priority, or -1. */
int vlapic_pending(const struct vlapic *l);
/* An IRR vector waits for the TPR alone: lowering it (not an EOI) would let it through. */
bool vlapic_tpr_holds(const struct vlapic *l);
/* No vector requested at all (vlapic_pending would say -1), in four loads without the call. */
static inline bool vlapic_irr_empty(const struct vlapic *l)
{
	u64 w0, w1, w2, w3;
	__builtin_memcpy(&w0, l->irr, 8);
	__builtin_memcpy(&w1, l->irr + 2, 8);
	__builtin_memcpy(&w2, l->irr + 4, 8);
	__builtin_memcpy(&w3, l->irr + 6, 8);
	return !(w0 | w1 | w2 | w3);
}
/* IRR → ISR for the vector about to be injected. */
void vlapic_ack(struct vlapic *l, u8 vector);
void vlapic_error(struct vlapic *l, u32 esr_bit);
/* CR8 is TPR[7:4] (SDM Vol. 3A 10.8.6.1); read before every SVM entry, hence inline. */
static inline u8 vlapic_get_cr8(const struct vlapic *l) { return (u8)(l->tpr >> 4); }
void vlapic_set_cr8(struct vlapic *l, u8 val);
bool vlapic_accepts_extint(const struct vlapic *l);

/* vmm/vlapic_ipi.c: delivery inside a partition. `from` is the sending vCPU (ICR) or NULL
 * (IOAPIC); `what` and `idx` name the source in the log line of a dropped message. */
void vlapic_send(struct partition *p, struct vcpu *from, const struct apic_msg *m, const char *what,
		 int idx);
void vlapic_icr_write(struct vlapic *l, u32 lo);
void vlapic_kick(struct vcpu *t);
/* A restarted BSP runs at once: no INIT or SIPI work is left for it. */
void vlapic_lc_running(struct vlapic *t);

/* vmm/vlapic_timer.c. */
void vlapic_timer_lvt_write(struct vlapic *l, u32 val);
void vlapic_timer_tmict_write(struct vlapic *l, u32 val);
u32 vlapic_timer_tmcct(const struct vlapic *l);
int vlapic_timer_deadline_read(struct vcpu *v, u64 *val);
int vlapic_timer_deadline_write(struct vcpu *v, u64 val);
/* Fires the timer if its deadline has passed; returns the next deadline (0 = none). */
u64 vlapic_timer_check(struct vlapic *l, u64 now);

#endif
