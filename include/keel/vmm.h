/* Starting the partitions once every CPU is online (vmm/run.c). */
#ifndef KEEL_VMM_H
#define KEEL_VMM_H

#include <keel/types.h>

/* Enables the backend on every CPU, creates the partitions and starts their vCPUs on their
 * CPUs. The calling CPU (the BSP) runs its own vCPU, if it has one, then waits until every
 * partition has stopped. Returns the number of failed guest verdicts plus partitions that
 * could not start; 0 when nothing was asked for. */
unsigned vmm_run(void);

#endif
