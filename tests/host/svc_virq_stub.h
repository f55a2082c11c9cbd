/* Recorded calls of the core's interrupt-line functions (tests/host/svc_virq_stub.c). */
#ifndef TESTS_SVC_VIRQ_STUB_H
#define TESTS_SVC_VIRQ_STUB_H

#include <keel/types.h>

#define VIRQ_CALLS_MAX 4096

enum virq_call_kind { VIRQ_CALL_PIN, VIRQ_CALL_ISA, VIRQ_CALL_MSI };

struct virq_call {
	enum virq_call_kind kind;
	u32 line, level;
};

extern struct virq_call virq_calls[VIRQ_CALLS_MAX];
extern unsigned virq_ncalls;

#endif
