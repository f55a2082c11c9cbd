/* Running a vCPU on the physical CPU it is pinned to (vmm/vcpu.c). */
#ifndef KEEL_VCPU_RUN_H
#define KEEL_VCPU_RUN_H

#include <arch/vcpu.h>

/* Runs v until it stops; returns after recording why in its partition. */
void vcpu_loop(struct vcpu *v);

#endif
