/* The virtual local APIC: registers, priorities, acceptance, acknowledge and EOI (SDM Vol. 3A
 * ch. 10). IRR and TMR are set by any CPU with atomics; everything else belongs to the vCPU that
 * owns the APIC and changes only on that vCPU's CPU. */
#include <keel/vlapic.h>
#include <keel/errno.h>
#include <keel/partition.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/virq.h>
#include <arch/vcpu.h>

enum {
	APIC_ID = 0x02, APIC_VER = 0x03, APIC_TPR = 0x08, APIC_APR = 0x09, APIC_PPR = 0x0a,
	APIC_EOI = 0x0b, APIC_RRD = 0x0c, APIC_LDR = 0x0d, APIC_DFR = 0x0e, APIC_SVR = 0x0f,
	APIC_ISR = 0x10, APIC_TMR = 0x18, APIC_IRR = 0x20, APIC_ESR = 0x28, APIC_CMCI = 0x2f,
	APIC_ICR_LO = 0x30, APIC_ICR_HI = 0x31, APIC_LVT0 = 0x32, APIC_TMICT = 0x38,
	APIC_TMCCT = 0x39, APIC_TDCR = 0x3e,
};

#define SVR_ENABLE BIT(8)
#define ICR_LO_MASK 0x000ccfffu /* vector, mode, dest mode, level, trigger, shorthand (Fig. 10-12) */

/* Writable bits of each LVT entry (SDM Vol. 3A Figure 10-8); TSC-deadline mode is offered. */
static const u32 lvt_mask[LVT_COUNT] = {
	[LVT_TIMER] = 0x000700ff, [LVT_THERMAL] = 0x000107ff, [LVT_PERF] = 0x000107ff,
	[LVT_LINT0] = 0x0001a7ff, [LVT_LINT1] = 0x0001a7ff, [LVT_ERROR] = 0x000100ff,
};

static bool bit_test(const u32 *a, unsigned v) { return __atomic_load_n(&a[v >> 5], __ATOMIC_RELAXED) >> (v & 31) & 1; }

/* The highest set bit of a 256-bit register, or -1. */
static int bits_highest(const u32 *a)
{
	u64 w0, w1, w2, w3; /* usually empty: one pass of loads, no branch per word */
	__builtin_memcpy(&w0, a, 8);
	__builtin_memcpy(&w1, a + 2, 8);
	__builtin_memcpy(&w2, a + 4, 8);
	__builtin_memcpy(&w3, a + 6, 8);
	if (!(w0 | w1 | w2 | w3))
		return -1;
	for (int i = 7; i >= 0; i--) {
		u32 w = __atomic_load_n(&a[i], __ATOMIC_ACQUIRE);
		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* PPR: the TPR, or the class of the highest in-service vector if that is higher (10.8.3.1). */
static u32 vlapic_ppr(const struct vlapic *l)
{
	int isrv = bits_highest(l->isr);
	u32 tpr = l->tpr & 0xff, isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

bool vlapic_sw_enabled(const struct vlapic *l) { return READ_ONCE(l->svr) & SVR_ENABLE; }

/* Power-up and INIT leave IRR, ISR, TMR, ICR, LDR, TPR, the timer and ESR at 0, DFR all ones,
 * SVR 0xff and every LVT masked; the APIC ID survives (10.4.7.1, 10.4.7.3). The BSP's LINT0
 * is left in ExtINT mode, where firmware puts it for the 8259 (virtual wire, MP spec 3.6.2.2). */
void vlapic_reset(struct vlapic *l)
{
	for (int i = 0; i < 8; i++) {
		__atomic_store_n(&l->irr[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&l->tmr[i], 0, __ATOMIC_RELAXED);
		l->isr[i] = 0;
	}
	__atomic_store_n(&l->esr_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->nmi_pending, 0, __ATOMIC_RELAXED);
	l->tpr = l->ldr = l->esr = l->icr_lo = l->icr_hi = l->tmict = l->tdcr = 0;
	l->tpr_set = true;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	for (int i = 0; i < LVT_COUNT; i++)
		l->lvt[i] = LVT_MASKED;
	if (l->v->id == 0)
		l->lvt[LVT_LINT0] = (u32)DM_EXTINT << 8;
	l->timer_deadline = l->timer_period = l->tsc_deadline = 0;
	vlapic_touch(l);
}

int vlapic_create(struct vcpu *v)
{
	u64 pa = pmm_alloc(1, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	struct vlapic *l = (struct vlapic *)(uintptr_t)pa;
	_Static_assert(sizeof(*l) <= PAGE_SIZE, "vlapic fits a page");
	memset(l, 0, sizeof(*l));
	l->v = v;
	l->id = v->id << 24;
	l->lc_state = v->id == 0 ? LC_RUNNING : LC_PARKED;
	vlapic_reset(l);
	v->lapic = l;
	return 0;
}

/* Acceptance of a fixed interrupt: TMR records the trigger mode (10.8.4). Vectors 0-15 are
 * illegal (10.5.3). */
void vlapic_set_irr(struct vlapic *l, u8 vector, bool level)
{
	if (vector < 16) {
		vlapic_error(l, ESR_RECV_ILLEGAL);
		return;
	}
	u32 w = vector >> 5, b = 1u << (vector & 31);
	vlapic_change_begin(l);
	if (level)
		__atomic_fetch_or(&l->tmr[w], b, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&l->tmr[w], ~b, __ATOMIC_RELAXED);
	__atomic_fetch_or(&l->irr[w], b, __ATOMIC_RELEASE);
	vlapic_change_end(l);
}

int vlapic_pending(const struct vlapic *l)
{
	int irrv = bits_highest(l->irr);
	if (irrv < 0 || ((u32)irrv & 0xf0) <= (vlapic_ppr(l) & 0xf0))
		return -1;
	return irrv;
}

bool vlapic_tpr_holds(const struct vlapic *l)
{
	int irrv = bits_highest(l->irr), isrv = bits_highest(l->isr);
	u32 cls = (u32)irrv & 0xf0;
	return irrv >= 0 && cls <= (l->tpr & 0xf0) && (isrv < 0 || cls > ((u32)isrv & 0xf0));
}

void vlapic_ack(struct vlapic *l, u8 vector)
{
	u32 w = vector >> 5, b = 1u << (vector & 31);
	__atomic_fetch_and(&l->irr[w], ~b, __ATOMIC_ACQ_REL);
	l->isr[w] |= b;
}

/* EOI retires the highest in-service vector; a level-triggered one is broadcast to the
 * IOAPIC, which clears its remote IRR (10.8.5). */
static void vlapic_eoi(struct vlapic *l)
{
	int v = bits_highest(l->isr);
	if (v < 0)
		return;
	l->isr[v >> 5] &= ~(1u << (v & 31));
	if (bit_test(l->tmr, (unsigned)v))
		virq_ioapic_eoi(l->v->part, (u8)v);
}

/* An error sets its ESR bit (seen after the next ESR write) and raises the LVT error entry. */
void vlapic_error(struct vlapic *l, u32 esr_bit)
{
	u32 old = __atomic_fetch_or(&l->esr_pending, esr_bit, __ATOMIC_RELAXED);
	u32 lvt = READ_ONCE(l->lvt[LVT_ERROR]);
	if (!(old & esr_bit) && !(lvt & LVT_MASKED) && (lvt & 0xff) >= 16) {
		vlapic_set_irr(l, (u8)lvt, false);
		vlapic_kick(l->v);
	}
}


/* MOV to CR8 writes TPR[7:4] and clears TPR[3:0] (SDM Vol. 3A 10.8.6.1). */
void vlapic_set_cr8(struct vlapic *l, u8 val)
{
	l->tpr = (u32)(val & 0xf) << 4;
	vlapic_touch(l);
}

/* The 8259's INTR reaches the CPU through LINT0 in ExtINT mode (10.5.1). */
bool vlapic_accepts_extint(const struct vlapic *l)
{
	u32 lvt = READ_ONCE(l->lvt[LVT_LINT0]);
	return !(lvt & LVT_MASKED) && ((lvt >> 8) & 7) == DM_EXTINT;
}

static u32 vlapic_read_reg(struct vlapic *l, u32 reg)
{
	switch (reg) {
	case APIC_ID: return l->id;
	case APIC_VER: return VLAPIC_VERSION;
	case APIC_TPR: return l->tpr;
	case APIC_APR: return 0;
	case APIC_PPR: return vlapic_ppr(l);
	case APIC_LDR: return l->ldr;
	case APIC_DFR: return l->dfr;
	case APIC_SVR: return l->svr;
	case APIC_ESR: return l->esr;
	case APIC_ICR_LO: return l->icr_lo;
	case APIC_ICR_HI: return l->icr_hi;
	case APIC_TMICT: return l->tmict;
	case APIC_TMCCT: return vlapic_timer_tmcct(l);
	case APIC_TDCR: return l->tdcr;
	case APIC_EOI: case APIC_RRD: case APIC_CMCI: return 0;
	}
	if (reg >= APIC_ISR && reg < APIC_ISR + 8)
		return l->isr[reg - APIC_ISR];
	if (reg >= APIC_TMR && reg < APIC_TMR + 8)
		return __atomic_load_n(&l->tmr[reg - APIC_TMR], __ATOMIC_RELAXED);
	if (reg >= APIC_IRR && reg < APIC_IRR + 8)
		return __atomic_load_n(&l->irr[reg - APIC_IRR], __ATOMIC_ACQUIRE);
	if (reg >= APIC_LVT0 && reg < APIC_LVT0 + LVT_COUNT)
		return l->lvt[reg - APIC_LVT0];
	vlapic_error(l, ESR_ILLEGAL_REG);
	return 0;
}

static void vlapic_write_lvt(struct vlapic *l, unsigned i, u32 val)
{
	val &= lvt_mask[i];
	if (!vlapic_sw_enabled(l))
		val |= LVT_MASKED; /* cannot be unmasked while software-disabled (10.4.7.2) */
	if (i == LVT_TIMER)
		vlapic_timer_lvt_write(l, val);
	else
		l->lvt[i] = val;
}

static void vlapic_write_svr(struct vlapic *l, u32 val)
{
	l->svr = val & 0x3ff;
	if (!(val & SVR_ENABLE))
		for (int i = 0; i < LVT_COUNT; i++)
			l->lvt[i] |= LVT_MASKED;
}

static void vlapic_write_reg(struct vlapic *l, u32 reg, u32 val)
{
	switch (reg) {
	case APIC_TPR:
		l->tpr = val & 0xff;
		l->tpr_set = true;
		return;
	case APIC_EOI: vlapic_eoi(l); return;
	case APIC_LDR: l->ldr = val & 0xff000000u; return;
	case APIC_DFR: l->dfr = val | 0x0fffffffu; return;
	case APIC_SVR: vlapic_write_svr(l, val); return;
	case APIC_ESR: l->esr = __atomic_exchange_n(&l->esr_pending, 0, __ATOMIC_RELAXED); return;
	case APIC_ICR_HI: l->icr_hi = val & 0xff000000u; return;
	case APIC_ICR_LO: vlapic_icr_write(l, val & ICR_LO_MASK); return;
	case APIC_TMICT: vlapic_timer_tmict_write(l, val); return;
	case APIC_TDCR: l->tdcr = val & 0xb; return;
	case APIC_ID: case APIC_VER: case APIC_APR: case APIC_PPR: case APIC_RRD: case APIC_TMCCT:
	case APIC_CMCI:
		return; /* read-only here: writes are ignored */
	}
	if (reg >= APIC_LVT0 && reg < APIC_LVT0 + LVT_COUNT)
		vlapic_write_lvt(l, reg - APIC_LVT0, val);
	else if (!(reg >= APIC_ISR && reg < APIC_IRR + 8))
		vlapic_error(l, ESR_ILLEGAL_REG);
}

/* Registers are 32 bits at 16-byte strides; a narrower read takes the bytes it covers, wider
 * or straddling accesses read 0, and only aligned 32-bit writes act (10.4.1). */
static u64 vlapic_mmio_read(void *dev, struct vcpu *v, u64 off, unsigned size)
{
	(void)dev;
	unsigned sub = off & 0xf;
	if (sub + size > 4)
		return 0;
	u64 val = vlapic_read_reg(v->lapic, (u32)(off >> 4));
	return (val >> (8 * sub)) & (size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1);
}

static void vlapic_mmio_write(void *dev, struct vcpu *v, u64 off, unsigned size, u64 val)
{
	(void)dev;
	if ((off & 0xf) || size != 4) {
		pr_debug("%s: vcpu %u: %u-byte APIC write at offset %#llx ignored", v->part->name,
			 v->id, size, (unsigned long long)off);
		return;
	}
	vlapic_write_reg(v->lapic, (u32)(off >> 4), (u32)val);
	vlapic_touch(v->lapic);
}

const struct region_ops vlapic_ops = { vlapic_mmio_read, vlapic_mmio_write };
