/* Running a vCPU on the physical CPU it is pinned to (vmm/vcpu.c). */
#ifndef KEEL_VCPU_RUN_H
#define KEEL_VCPU_RUN_H

#include <arch/vcpu.h>

/* Runs v until it stops; returns after recording why in its partition. */
void vcpu_loop(struct vcpu *v);
/* For vCPUs after the first: waits for vcpu_sipi or a stop; true when started. */
bool vcpu_wait_start(struct vcpu *v);
/* Starts a waiting vCPU at a start-up vector (the hook an emulated INIT-SIPI-SIPI calls). */
void vcpu_sipi(struct vcpu *v, u8 vector);
/* Makes v leave the guest soon (an IPI to its CPU) and wakes it from vcpu_block. */
void vcpu_kick(struct vcpu *v);

#endif
