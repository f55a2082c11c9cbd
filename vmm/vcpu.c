/* The vCPU loop: deliver what is pending, enter the guest, handle the exit. */
#include <keel/vcpu_run.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/exit.h>
#include <arch/io.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <arch/virt.h>

static void vcpu_deliver(struct vcpu *v)
{
	if (v->pending.type == VEVENT_NONE)
		return;
	if (v->pending.type == VEVENT_EXCEPTION && v->pending.vector == 14)
		v->stat[KEEL_STAT_INJECTED_PF]++;
	virt->vcpu_inject(v, &v->pending);
	v->pending.type = VEVENT_NONE;
}

void vcpu_kick(struct vcpu *v)
{
	WRITE_ONCE(v->kick, true);
	struct percpu *c = percpu_get(v->pcpu);
	/* a fixed IPI makes a CPU in guest mode exit (external-interrupt exiting, SVM INTR) */
	if (c && c != this_cpu() && c->online)
		lapic_send_ipi(c->apic_id, ICR_FIXED | ICR_ASSERT | VEC_WAKE);
}

/* Nothing raises interrupts in a partition yet, so a vCPU halted with interrupts enabled waits
 * for a kick (a stop request) and PAUSEs meanwhile (QEMU -icount round-robin, pitfall 11). */
enum exit_action vcpu_block(struct vcpu *v)
{
	while (!READ_ONCE(v->kick))
		cpu_relax();
	WRITE_ONCE(v->kick, false);
	return READ_ONCE(v->stopped) ? EXIT_STOP : EXIT_RESUME;
}

void vcpu_sipi(struct vcpu *v, u8 vector)
{
	struct partition *p = v->part;
	p->sipi_vector[v->id] = vector;
	__atomic_or_fetch(&p->sipi_pending, 1u << v->id, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

/* A vCPU other than the first waits for a start-up IPI (vcpu_sipi) like an AP after INIT
 * (SDM Vol. 3A 8.4.4), or for its partition to stop. Returns true when it was started. */
bool vcpu_wait_start(struct vcpu *v)
{
	struct partition *p = v->part;
	u32 bit = 1u << v->id;
	if (!v->id)
		return true;
	while (!(__atomic_load_n(&p->sipi_pending, __ATOMIC_ACQUIRE) & bit)) {
		if (READ_ONCE(v->stopped))
			return false;
		cpu_relax();
	}
	__atomic_and_fetch(&p->sipi_pending, ~bit, __ATOMIC_RELAXED);
	virt->vcpu_start_at(v, p->sipi_vector[v->id]);
	return true;
}

void vcpu_loop(struct vcpu *v)
{
	struct partition *p = v->part;
	__atomic_add_fetch(&p->started, 1, __ATOMIC_ACQ_REL);
	__atomic_or_fetch(&p->entered, 1u << v->id, __ATOMIC_RELEASE);
	while (!READ_ONCE(v->stopped)) {
		vcpu_deliver(v);
		if (v->tsc_dirty) {
			virt->vcpu_set_tsc_offset(v, v->part->tsc_offset);
			v->tsc_dirty = false;
		}
		int rc = virt->vcpu_run(v);
		if (rc) {
			exit_stop(v, "could not enter the guest (error %d)", rc);
			break;
		}
		exit_handle(v);
	}
}
