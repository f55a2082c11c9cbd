/* Interrupt messages inside a partition: the ICR's IPIs and the IOAPIC's redirection entries go
 * to the vCPUs whose APIC matches the destination (SDM Vol. 3A 10.6); a message that matches no
 * vCPU of the partition is dropped and logged. INIT and SIPI follow the start-up rules of
 * illumos bug 12991 (docs/interrupts.md). */
#include <keel/vlapic.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <keel/vcpu_run.h>
#include <arch/vcpu.h>

#define ICR_DEST_LOGICAL BIT(11)
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define DROP_LOG_MAX 16

static const char *const dm_names[8] = { "fixed", "lowest-priority", "SMI", "mode 3", "NMI",
					 "INIT", "SIPI", "ExtINT" };

/* Wakes the CPU the vCPU runs on, unless that is this CPU (it looks before its next entry). */
void vlapic_kick(struct vcpu *t) { vcpu_kick(t); }

/* Flat model: a bit of the logical ID in the mask; cluster model: the cluster in bits 7:4 and
 * a member bit in 3:0; 0xff is everyone (10.6.2.2). */
static bool vlapic_match_logical(const struct vlapic *t, u8 dest)
{
	u32 ldr = READ_ONCE(t->ldr) >> 24;
	if (dest == 0xff)
		return true;
	if ((READ_ONCE(t->dfr) >> 28) == 0xf)
		return ldr & dest;
	return (ldr >> 4) == (u32)(dest >> 4) && (ldr & dest & 0xf);
}

static bool vlapic_match(const struct vlapic *t, const struct apic_msg *m)
{
	if (m->logical)
		return vlapic_match_logical(t, m->dest);
	return m->dest == 0xff || (READ_ONCE(t->id) >> 24) == m->dest;
}

/* The set of vCPUs a message goes to, as a bit mask of vCPU indices. */
static u32 vlapic_targets(struct partition *p, struct vcpu *from, const struct apic_msg *m)
{
	u32 set = 0;
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		struct vcpu *t = p->vcpu[i];
		bool hit;
		switch (m->shorthand) {
		case 1: hit = t == from; break;
		case 2: hit = true; break;
		case 3: hit = t != from; break;
		default: hit = vlapic_match(t->lapic, m); break;
		}
		if (hit)
			set |= 1u << i;
	}
	return set;
}

/* Lowest priority: the target with the lowest TPR, the first such in index order (10.6.2.4
 * leaves the choice to the platform). */
static u32 vlapic_lowest(struct partition *p, u32 set)
{
	u32 best = 0, best_tpr = 0x100;
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		u32 tpr = READ_ONCE(p->vcpu[i]->lapic->tpr) & 0xf0;
		if ((set & (1u << i)) && tpr < best_tpr) {
			best = 1u << i;
			best_tpr = tpr;
		}
	}
	return best;
}

static void vlapic_log_drop(struct partition *p, const struct apic_msg *m, const char *what,
			    int idx)
{
	static u32 dropped[32];
	u32 n = __atomic_fetch_add(&dropped[p->id & 31], 1, __ATOMIC_RELAXED);
	if (n < DROP_LOG_MAX)
		pr_warn("%s: %s %d: %s vector %#x to %s APIC ID %u dropped: no vCPU of the partition "
			"has it", p->name, what, idx, dm_names[m->mode & 7], m->vector,
			m->logical ? "logical" : "physical", m->dest);
	else if (n == DROP_LOG_MAX)
		pr_warn("%s: further dropped interrupt messages are not logged", p->name);
}

/* INIT makes the vCPU wait for a start-up IPI whatever it was doing (SDM Vol. 3A 8.4.1). */
static void vlapic_lc_init(struct vlapic *t)
{
	vlapic_change_begin(t);
	spin_lock(&t->lc_lock);
	t->lc_reset = true;
	t->lc_start = false;
	__atomic_store_n(&t->lc_state, LC_WAIT_SIPI, __ATOMIC_RELEASE);
	spin_unlock(&t->lc_lock);
	vlapic_change_end(t);
}

void vlapic_lc_running(struct vlapic *t)
{
	spin_lock(&t->lc_lock);
	t->lc_reset = t->lc_start = false;
	__atomic_store_n(&t->lc_state, LC_RUNNING, __ATOMIC_RELEASE);
	spin_unlock(&t->lc_lock);
}

/* A SIPI counts only while the vCPU waits for one: a second SIPI, or one without INIT, is
 * ignored (SDM Vol. 3A 8.4.4.1 sends two for CPUs that miss the first). */
static bool vlapic_lc_sipi(struct vlapic *t, u8 vector)
{
	bool taken = false;
	vlapic_change_begin(t);
	spin_lock(&t->lc_lock);
	if (t->lc_state == LC_WAIT_SIPI) {
		t->lc_start = true;
		t->lc_vector = vector;
		/* flags before state: the owner reads the state first (vmm/virq.c) */
		__atomic_store_n(&t->lc_state, LC_RUNNING, __ATOMIC_RELEASE);
		taken = true;
	}
	spin_unlock(&t->lc_lock);
	vlapic_change_end(t);
	return taken;
}

static void vlapic_accept(struct vcpu *t, const struct apic_msg *m)
{
	struct vlapic *l = t->lapic;
	switch (m->mode) {
	case DM_FIXED:
	case DM_LOWPRI:
		if (!vlapic_sw_enabled(l))
			return; /* a software-disabled APIC takes no fixed interrupts (10.4.7.2) */
		vlapic_set_irr(l, m->vector, m->level);
		break;
	case DM_NMI:
		vlapic_change_begin(l);
		__atomic_store_n(&l->nmi_pending, 1, __ATOMIC_RELEASE);
		vlapic_change_end(l);
		break;
	case DM_INIT:
		vlapic_lc_init(l);
		break;
	case DM_SIPI:
		if (!vlapic_lc_sipi(l, m->vector)) {
			pr_debug("%s: vcpu %u: SIPI %#x ignored (not waiting for one)", t->part->name,
				 t->id, m->vector);
			return;
		}
		break;
	default:
		pr_debug("%s: vcpu %u: %s message ignored", t->part->name, t->id, dm_names[m->mode & 7]);
		return;
	}
	vlapic_kick(t);
}

void vlapic_send(struct partition *p, struct vcpu *from, const struct apic_msg *m, const char *what,
		 int idx)
{
	u32 set = vlapic_targets(p, from, m);
	if (!set) {
		vlapic_log_drop(p, m, what, idx);
		return;
	}
	if (m->mode == DM_LOWPRI)
		set = vlapic_lowest(p, set);
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (set & (1u << i))
			vlapic_accept(p->vcpu[i], m);
}

/* A write to ICR[31:0] sends the IPI (10.6.1); it is delivered at once, so the delivery
 * status bit always reads idle. An INIT level de-assert only synchronises arbitration IDs on
 * old processors: nothing to do. */
void vlapic_icr_write(struct vlapic *l, u32 lo)
{
	struct apic_msg m = {
		.vector = (u8)lo, .mode = (lo >> 8) & 7, .dest = (u8)(l->icr_hi >> 24),
		.shorthand = (lo >> 18) & 3, .logical = lo & ICR_DEST_LOGICAL,
		.level = false,
	};
	l->icr_lo = lo;
	if (m.mode == DM_INIT && !(lo & ICR_LEVEL_ASSERT) && (lo & ICR_TRIGGER_LEVEL))
		return;
	if ((m.mode == DM_FIXED || m.mode == DM_LOWPRI) && m.vector < 16) {
		vlapic_error(l, ESR_SEND_ILLEGAL);
		return;
	}
	vlapic_send(l->v->part, l->v, &m, "IPI from vcpu", (int)l->v->id);
}
