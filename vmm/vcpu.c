/* The vCPU loop: deliver what is pending, enter the guest, handle the exit. */
#include <keel/vcpu_run.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include <arch/exit.h>
#include <arch/io.h>
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

/* Nothing raises interrupts in a partition yet, so a vCPU halted with interrupts enabled waits
 * for a kick (a stop request) and PAUSEs meanwhile (QEMU -icount round-robin, pitfall 11). */
enum exit_action vcpu_block(struct vcpu *v)
{
	while (!READ_ONCE(v->kick))
		cpu_relax();
	WRITE_ONCE(v->kick, false);
	return v->stopped ? EXIT_STOP : EXIT_RESUME;
}

void vcpu_loop(struct vcpu *v)
{
	while (!v->stopped) {
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
