/* Shared by vmm/hypercall*.c: a hypercall's arguments and results. */
#ifndef VMM_HYPERCALL_INT_H
#define VMM_HYPERCALL_INT_H

#include <keel/types.h>

struct vcpu;

struct hc_args {
	u64 a, b, c;   /* RBX, RCX, RDX */
	u64 out[3];    /* → RBX, RCX, RDX */
};

typedef u64 (*hc_fn)(struct vcpu *v, struct hc_args *h);

/* vmm/hypercall_svc.c: the service VM's calls. */
u64 hc_ring_kick(struct vcpu *v, struct hc_args *h);
u64 hc_console_write(struct vcpu *v, struct hc_args *h);
u64 hc_console_read(struct vcpu *v, struct hc_args *h);

#endif
