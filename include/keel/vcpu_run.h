/* Running a vCPU on the physical CPU it is pinned to (vmm/vcpu.c). */
#ifndef KEEL_VCPU_RUN_H
#define KEEL_VCPU_RUN_H

#include <arch/vcpu.h>

/* Runs v until it stops; returns after recording why in its partition. */
void vcpu_loop(struct vcpu *v);
/* Before the loop, on the vCPU's CPU: the BSP goes on at once; another vCPU waits parked for
 * INIT and a start-up IPI from its partition (docs/interrupts.md) or a stop; true when started. */
bool vcpu_wait_start(struct vcpu *v);
/* Makes v leave the guest soon (an IPI to its CPU) and wakes it from vcpu_block. */
void vcpu_kick(struct vcpu *v);
/* vcpu_kick for a stop: also gets a vCPU out of a guest spinning with interrupts disabled. */
void vcpu_kick_stop(struct vcpu *v);

#endif
