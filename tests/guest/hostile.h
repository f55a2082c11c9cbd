/* The hostile payload (suite `hostile`, long mode only): a partition that attacks Keel and the
 * other partitions and reports, for every attempt, what it received. docs/isolation.md
 * says what each attempt must meet and why. */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "lib/apic.h"

#define S "hostile"

/* One attempt: fn(arg) run under exception capture, and what came of it. */
struct attempt {
	struct guest_exc x;
	char got[96]; /* "no exception" or "vector V error 0xE cr2 0xC" */
};
void attempt_run(struct attempt *a, void (*fn)(void *), void *arg);
/* The attempt raised exactly this vector (-1: nothing was raised). */
bool attempt_is(const struct attempt *a, int vector);
/* An attempt that must raise `vector` (-1: none): one verdict naming what came. */
void attempt_expect(const char *name, int vector, void (*fn)(void *), void *arg);

/* Counters for this vCPU (KEEL_HC_STAT). */
uint64_t stat(enum keel_stat s);
/* A number from the partition's command line (`key=0x...` or decimal), or dflt. */
uint64_t arg_u64(const struct keel_start_info *si, const char *key, uint64_t dflt);

/* hostile_mem.c: its own RAM where Keel's image lies in host memory, every page beyond its RAM,
 * sparse addresses up to 4 GiB and far above through its own page tables, string and
 * read-modify-write instructions, an instruction fetch. */
void hostile_memory(const struct keel_start_info *si);
/* hostile_cpu.c: VMX and SVM instructions, bad and privileged hypercalls, CR4.VMXE, the
 * virtualization MSRs, x2APIC and the APIC base. */
void hostile_cpu(void);
/* hostile_user.c: hypercalls from CPL 3 (refused with KEEL_EPERM), then one from CPL 0. */
void hostile_user(void);
/* hostile_io.c: IPIs to APIC IDs outside the partition; ports it was not given, including the
 * ones that reset or power off a PC; a sweep over every port. */
void hostile_ipis(void);
void hostile_ports(const struct keel_start_info *si);

#endif
