/* Starting the partitions once every CPU is online (vmm/run.c). */
#ifndef KEEL_VMM_H
#define KEEL_VMM_H

#include <keel/types.h>

struct keel_config;
struct bi_module;

/* Enables the backend on every CPU, creates the partitions of `cfg` (the configuration loaded at
 * boot; NULL: the command line's guest= mode, or nothing), sets up the ring to the service VM
 * and starts every vCPU on its CPU. The calling CPU (the BSP) runs its own vCPU, if it has one,
 * then waits until every partition has stopped. Returns the number of failed guest verdicts
 * plus partitions that could not start; 0 when nothing was asked for. */
unsigned vmm_run(const struct keel_config *cfg);

/* The configuration guest= stands for: guest<i> on CPU i for each of `ncpu` CPUs, running
 * module m (vmm/run_cmdline.c). */
void cmdline_config(struct keel_config *c, unsigned ncpu, const struct bi_module *m);

#endif
