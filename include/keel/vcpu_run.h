/* Running a vCPU on the physical CPU it is pinned to (vmm/vcpu.c). */
#ifndef KEEL_VCPU_RUN_H
#define KEEL_VCPU_RUN_H

#include <arch/vcpu.h>
#include <keel/virq.h>

/* Runs v until it stops; returns after recording why in its partition. */
void vcpu_loop(struct vcpu *v);
/* Before the loop, on the vCPU's CPU: the BSP goes on at once; another vCPU waits parked for
 * INIT and a start-up IPI from its partition (docs/interrupts.md) or a stop; true when started. */
bool vcpu_wait_start(struct vcpu *v);
/* Makes v leave the guest soon (an IPI to its CPU) and wakes it from vcpu_block. */
void vcpu_kick(struct vcpu *v);
/* vcpu_kick for a stop: also gets a vCPU out of a guest spinning with interrupts disabled. */
void vcpu_kick_stop(struct vcpu *v);

/* After a backend's exit fast path handled an exit in full: whether it may enter again at once,
 * which is what vcpu_loop would do next (not stopped, nothing to deliver, the TSC offset
 * unchanged, the interrupt passes' short cut quiet; host interrupts are taken first). Counts
 * the exit then; otherwise the backend returns it as VEXIT_NONE and exit_handle counts it. */
static inline bool vcpu_resume_fast(struct vcpu *v)
{
	if (READ_ONCE(v->stopped) || v->pending.type != VEVENT_NONE || v->tsc_dirty ||
	    !virq_quiet(v))
		return false;
	v->stat[KEEL_STAT_EXITS]++;
	return true;
}

#endif
