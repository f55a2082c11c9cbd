/* Interrupt dispatch for payloads: the stubs in entry*.S call intr_dispatch with the vector. */
#include "guest.h"

static intr_fn intr_handlers[256];

void intr_set(unsigned vector, intr_fn fn) { intr_handlers[vector & 255] = fn; }

void intr_dispatch(ureg vector);
void intr_dispatch(ureg vector)
{
	intr_fn fn = intr_handlers[vector & 255];
	if (fn)
		fn((unsigned)vector);
	else
		verdict_fail("guest", "unexpected-interrupt", "vector %u", (unsigned)vector);
}
