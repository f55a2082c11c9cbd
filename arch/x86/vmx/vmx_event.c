/* Event injection, interrupt/NMI windows, re-injection of events whose delivery was cut short
 * by an exit, and dispatch of host interrupts and NMIs taken on exit. */
#include <keel/printk.h>
#include "vmx.h"

enum { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PF, EXC_DF };

/* Exception classes for double-fault detection (SDM Vol. 3A 6.15, Tables 6-4 and 6-5). */
static int vmx_exc_class(u8 vector)
{
	switch (vector) {
	case 0: case 10: case 11: case 12: case 13: return EXC_CONTRIBUTORY;
	case 14: return EXC_PF;
	case 8: return EXC_DF;
	default: return EXC_BENIGN;
	}
}

/* A second exception while the first is still to be delivered: #DF, triple fault, or the
 * second one alone (the first is raised again when the instruction re-executes). */
static void vmx_exc_merge(struct vmx_vcpu *x, const struct vevent *e)
{
	int first = vmx_exc_class(x->exc.vector), second = vmx_exc_class(e->vector);

	if (x->exc.type != VEVENT_EXCEPTION || second == EXC_BENIGN || first == EXC_BENIGN ||
	    (first == EXC_CONTRIBUTORY && second == EXC_PF)) {
		x->exc = *e;
	} else if (first == EXC_DF) {
		x->exc.type = VEVENT_NONE;
		x->triple = true;
	} else {
		x->exc = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = 8, .has_error = true };
	}
}

/* An exception raised while an event whose delivery was cut short waits for re-injection:
 * a hardware exception merges with it; an interrupt or NMI is delivered after it; a software
 * interrupt or exception is dropped because RIP still points at its instruction. */
static void vmx_reinject_merge(struct vmx_vcpu *x)
{
	u32 info = x->reinject_info, type = (info >> INTR_TYPE_SHIFT) & 7;

	if (!(info & INTR_INFO_VALID))
		return;
	x->reinject_info = 0;
	if (type == INTR_HWEXC)
		x->exc = (struct vevent){ .type = VEVENT_EXCEPTION, .vector = (u8)info,
					  .has_error = info & INTR_INFO_ERR, .error = x->reinject_err };
	else if (type == INTR_EXTINT && !x->intr)
		x->intr = true, x->intr_vector = (u8)info;
	else if (type == INTR_NMI)
		x->nmi = true;
}

void vmx_inject(struct vcpu *v, const struct vevent *e)
{
	struct vmx_vcpu *x = vmx_of(v);

	switch (e->type) {
	case VEVENT_EXTINT:
		if (x->intr && x->intr_vector != e->vector)
			pr_err("vmx: vCPU %u: interrupt %u injected while %u still waits; %u dropped",
			       v->id, e->vector, x->intr_vector, e->vector);
		else
			x->intr = true, x->intr_vector = e->vector;
		break;
	case VEVENT_NMI:
		x->nmi = true;
		break;
	case VEVENT_EXCEPTION:
		vmx_reinject_merge(x);
		if (e->has_cr2) {
			x->cr2 = e->cr2;
			x->cr2_load = true;
		}
		vmx_exc_merge(x, e);
		break;
	case VEVENT_SOFTINT:
		vmx_reinject_merge(x);
		x->exc = *e;
		break;
	default:
		break;
	}
}

void vmx_inject_gp(struct vcpu *v)
{
	struct vevent gp = { .type = VEVENT_EXCEPTION, .vector = 13, .has_error = true };
	vmx_inject(v, &gp);
}

/* VM-entry interruption information (SDM Vol. 3C 24.8.3). An error code is delivered exactly
 * for #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP in protected mode (26.2.1.3). */
static void vmx_entry_event(const struct vevent *e)
{
	static const u32 with_error = BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) |
				      BIT(17) | BIT(21);
	u32 type = INTR_HWEXC, len = e->insn_len;

	if (e->type == VEVENT_SOFTINT) {
		type = INTR_SOFTINT;
		len = len ? len : 2;
	} else if (e->vector == 3 || e->vector == 4) {
		type = INTR_SWEXC; /* INT3, INTO */
		len = len ? len : 1;
	}
	u32 info = INTR_INFO_VALID | type << INTR_TYPE_SHIFT | e->vector;
	if (type == INTR_HWEXC && e->vector < 32 && (with_error & BIT(e->vector)) &&
	    (vmcs_read(GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_ERR;
		vmcs_write(ENTRY_EXC_ERR, e->error);
	}
	if (type != INTR_HWEXC)
		vmcs_write(ENTRY_INSN_LEN, len);
	vmcs_write(ENTRY_INTR_INFO, info);
}

static void vmx_arm_windows(struct vmx_vcpu *x)
{
	vmx_set_proc(x, PROC_INTR_WINDOW, x->req_intr_window || x->intr);
	vmx_set_proc(x, PROC_NMI_WINDOW, x->req_nmi_window || x->nmi);
}

/* One event per entry, in priority order (SDM Vol. 3A 6.9): a re-injection, an exception,
 * an NMI, an external interrupt. What cannot go in now waits behind a window exit. */
void vmx_events_entry(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);

	if (v->pending.type != VEVENT_NONE) {
		vmx_inject(v, &v->pending);
		v->pending.type = VEVENT_NONE;
	}
	if (!x->reinject_info && x->exc.type == VEVENT_NONE && !x->nmi && !x->intr)
		return;
	if (vmcs_read(GUEST_ACTIVITY) == ACTIVITY_WAIT_SIPI)
		return; /* no injection into wait-for-SIPI (SDM Vol. 3C 26.3.1.5) */
	u32 block = (u32)vmcs_read(GUEST_INTERRUPTIBILITY);
	if (x->reinject_info) {
		vmcs_write(ENTRY_INTR_INFO, x->reinject_info);
		vmcs_write(ENTRY_EXC_ERR, x->reinject_err);
		vmcs_write(ENTRY_INSN_LEN, x->reinject_len);
		x->reinject_info = 0;
	} else if (x->exc.type != VEVENT_NONE) {
		vmx_entry_event(&x->exc);
		x->exc.type = VEVENT_NONE;
	} else if (x->nmi && !(block & (BLOCK_NMI | BLOCK_STI | BLOCK_MOVSS))) {
		vmcs_write(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_NMI << INTR_TYPE_SHIFT | 2);
		x->nmi = false;
	} else if (x->intr && (v->regs.rflags & RFLAGS_IF) && !(block & (BLOCK_STI | BLOCK_MOVSS))) {
		vmcs_write(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_EXTINT << INTR_TYPE_SHIFT |
						    x->intr_vector);
		x->intr = false;
	}
	vmx_arm_windows(x);
}

/* IDT-vectoring information (SDM Vol. 3C 27.2.3): an event whose delivery caused the exit is
 * injected again at the next entry, unless a task switch through a task gate consumed it. */
void vmx_events_exit(struct vcpu *v, u32 reason, u64 qual)
{
	struct vmx_vcpu *x = vmx_of(v);
	u32 info = (u32)vmcs_read(IDT_VEC_INFO), type = (info >> INTR_TYPE_SHIFT) & 7;

	v->exit.vectoring = info & INTR_INFO_VALID;
	if (!v->exit.vectoring || (reason == 9 && (qual >> 30) == 3))
		return;
	x->reinject_info = info & ~INTR_INFO_NMI_UNBLOCK; /* bit 12 is undefined here */
	x->reinject_err = (info & INTR_INFO_ERR) ? (u32)vmcs_read(IDT_VEC_ERR) : 0;
	x->reinject_len = (type >= INTR_SOFTINT) ? (u32)vmcs_read(EXIT_INSN_LEN) : 0;
	/* The aborted NMI delivery left virtual-NMI blocking set; injecting an NMI with it set
	 * fails the entry (SDM Vol. 3C 26.3.1.5, 27.1). */
	if (type == INTR_NMI)
		vmcs_write(GUEST_INTERRUPTIBILITY, vmcs_read(GUEST_INTERRUPTIBILITY) & ~BLOCK_NMI);
}

/* An exit inside an IRET that unblocked NMIs: the IRET runs again, so blocking must be back
 * in force (SDM Vol. 3C 27.2.2, 31.7.1.2). */
void vmx_nmi_unblock_fixup(struct vcpu *v, bool iret_unblocked)
{
	if (iret_unblocked && !v->exit.vectoring)
		vmcs_write(GUEST_INTERRUPTIBILITY, vmcs_read(GUEST_INTERRUPTIBILITY) | BLOCK_NMI);
}

void vmx_window(struct vcpu *v, bool intr, bool nmi)
{
	struct vmx_vcpu *x = vmx_of(v);

	vmx_load(x);
	x->req_intr_window = intr;
	x->req_nmi_window = nmi;
	vmx_arm_windows(x);
}

/* CR8-load exiting is always on (vmx.c): every MOV to CR8 exits already. */
void vmx_tpr_watch(struct vcpu *v, bool on)
{
	(void)v;
	(void)on;
}

/* The window exit fired: it is the common code's only if it asked for it. */
u32 vmx_window_exit(struct vcpu *v, bool nmi)
{
	struct vmx_vcpu *x = vmx_of(v);
	bool asked = nmi ? x->req_nmi_window : x->req_intr_window;

	if (nmi)
		x->req_nmi_window = false;
	else
		x->req_intr_window = false;
	vmx_arm_windows(x);
	return asked ? (nmi ? VEXIT_NMI_WINDOW : VEXIT_INTR_WINDOW) : VEXIT_NONE;
}

bool vmx_can_take_intr(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);

	vmx_load(x);
	if (x->intr || x->reinject_info || x->exc.type != VEVENT_NONE ||
	    v->pending.type != VEVENT_NONE || !(v->regs.rflags & RFLAGS_IF))
		return false;
	return !(vmcs_read(GUEST_INTERRUPTIBILITY) & (BLOCK_STI | BLOCK_MOVSS)) &&
	       vmcs_read(GUEST_ACTIVITY) != ACTIVITY_WAIT_SIPI;
}

void vmx_clear_shadow(struct vcpu *v)
{
	vmx_load(vmx_of(v));
	u64 block = vmcs_read(GUEST_INTERRUPTIBILITY);
	if (block & (BLOCK_STI | BLOCK_MOVSS))
		vmcs_write(GUEST_INTERRUPTIBILITY, block & ~(u64)(BLOCK_STI | BLOCK_MOVSS));
}

/* A host interrupt or NMI acknowledged on exit goes to the host's own IDT handler through a
 * software INT n (the frame is the same for vectors without an error code). */
void vmx_host_vector(u8 vector)
{
	static unsigned warned;
	struct vmx_dtr idt;

	__asm__ volatile("sidt %0" : "=m"(idt));
	const u8 *gate = (const u8 *)(uintptr_t)idt.base + (u32)vector * 16;
	bool ok = (vector == 2 || vector >= 32) && (u32)vector * 16 + 15 <= idt.limit &&
		  (gate[5] & 0x80);
	if (!ok) {
		if (warned++ < 4)
			pr_warn("vmx: host vector %u taken on exit has no usable host IDT gate; dropped",
				vector);
		return;
	}
	((void (*)(void))(uintptr_t)(vmx_vector_stubs + (u32)vector * 4))();
}
