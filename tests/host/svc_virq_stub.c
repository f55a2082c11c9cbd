/* Stand-ins for the core's interrupt lines when vmm/testdev.c is built hosted: each call is
 * recorded, so the in-core test device's interrupt register can be compared with the service
 * VM's model (which makes KEEL_HC_IRQ calls instead). */
#include <keel/virq.h>
#include "svc_virq_stub.h"

struct virq_call virq_calls[VIRQ_CALLS_MAX];
unsigned virq_ncalls;

static int virq_record(enum virq_call_kind kind, u32 line, u32 level)
{
	if (virq_ncalls < VIRQ_CALLS_MAX)
		virq_calls[virq_ncalls] = (struct virq_call){ kind, line, level };
	virq_ncalls++;
	return 0;
}

int virq_set_pin(struct partition *p, u32 pin, enum virq_level level)
{
	(void)p;
	return virq_record(VIRQ_CALL_PIN, pin, level);
}

int virq_set_isa(struct partition *p, u32 irq, enum virq_level level)
{
	(void)p;
	return virq_record(VIRQ_CALL_ISA, irq, level);
}

int virq_raise(struct vcpu *v, u8 vector)
{
	(void)v;
	return virq_record(VIRQ_CALL_MSI, vector, 0);
}
