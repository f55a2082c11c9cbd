/* #VMEXIT decoding into struct vexit (APM Vol. 2 15.7-15.12, 15.25.6, Appendix C). */
#include "svm.h"

#define X_KNOWN 0x1u /* the code is handled here */
#define X_INSN  0x2u /* an instruction intercept: nRIP holds the next RIP (APM 15.7.1) */

struct exit_map {
	u8 kind;
	u8 flags;
	void (*decode)(struct vcpu *v);
};

/* Exceptions that push an error code (APM Vol. 2 8.2): EXITINFO1 holds it (15.12.15). */
#define EXC_WITH_ERROR (BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(17) | \
			BIT(21) | BIT(29) | BIT(30))

/* IOIO EXITINFO1 (APM 15.10.2): TYPE (1 = IN), STR, REP, SZ8/16/32, port in 31:16. */
static void io_decode(struct vcpu *v)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;
	u64 info = vmcb->ctl.exitinfo1, next = vmcb->ctl.exitinfo2;
	struct vexit *x = &v->exit;

	x->io.port = (u16)(info >> 16);
	x->io.size = (info & BIT(4)) ? 1 : (info & BIT(5)) ? 2 : 4;
	x->io.in = info & 1;
	x->io.string = info & BIT(2);
	x->io.rep = info & BIT(3);
	/* EXITINFO2 is the next RIP whether or not the CPU has NRIPS. */
	x->io.next_rip = next;
	if (next - vmcb->save.rip >= 1 && next - vmcb->save.rip <= 15)
		x->insn_len = (u32)(next - vmcb->save.rip);
}

/* MSR EXITINFO1: 0 = RDMSR, 1 = WRMSR (APM 15.11). */
static void msr_decode(struct vcpu *v)
{
	v->exit.kind = svm_of(v)->vmcb->ctl.exitinfo1 ? VEXIT_WRMSR : VEXIT_RDMSR;
}

/* Task switch (APM 15.14.5): EXITINFO1 = the new TSS selector; EXITINFO2 bit 36 IRET, 38 JMP,
 * 44 an error code in bits 31:0. A switch through a task gate has the event in EXITINTINFO: the
 * common code's switch delivers it, so it is not re-injected. */
static void task_decode(struct vcpu *v)
{
	struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
	struct vexit *x = &v->exit;
	u64 info2 = c->exitinfo2, ii = c->exitintinfo;

	x->task.sel = (u16)c->exitinfo1;
	x->task.source = (info2 & BIT(36)) ? VTASK_IRET : (info2 & BIT(38)) ? VTASK_JMP
					     : (ii & EVT_V) ? VTASK_IDT : VTASK_CALL;
	x->task.has_error = info2 & BIT(44);
	x->task.error = x->task.has_error ? (u32)info2 : 0;
	if (x->task.source == VTASK_IDT) {
		x->task.idt_event = true;
		x->task.vector = EVT_VECTOR(ii);
		c->eventinj = 0;
		x->vectoring = false;
	}
}

static void vintr_decode(struct vcpu *v) { v->exit.kind = svm_event_window_kind(v, true); }

static void iret_decode(struct vcpu *v)
{
	svm_event_on_iret(v);
	v->exit.kind = svm_event_window_kind(v, false);
}

static void host_event_decode(struct vcpu *v) { v->exit.kind = svm_event_window_kind(v, false); }

static const struct exit_map exit_map[] = {
	[0x60 - 0x60] = { VEXIT_NONE, X_KNOWN, host_event_decode },      /* INTR */
	[0x61 - 0x60] = { VEXIT_NONE, X_KNOWN, host_event_decode },      /* NMI */
	[0x63 - 0x60] = { VEXIT_INIT, X_KNOWN, NULL },
	[0x64 - 0x60] = { VEXIT_NONE, X_KNOWN, vintr_decode },
	[0x72 - 0x60] = { VEXIT_CPUID, X_KNOWN | X_INSN, NULL },
	[0x74 - 0x60] = { VEXIT_NONE, X_KNOWN, iret_decode },
	[0x76 - 0x60] = { VEXIT_INVD, X_KNOWN | X_INSN, NULL },
	[0x78 - 0x60] = { VEXIT_HLT, X_KNOWN | X_INSN, NULL },
	[0x7a - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* INVLPGA */
	[0x7b - 0x60] = { VEXIT_IO, X_KNOWN, io_decode },
	[0x7c - 0x60] = { VEXIT_RDMSR, X_KNOWN | X_INSN, msr_decode },
	[0x7d - 0x60] = { VEXIT_TASK_SWITCH, X_KNOWN, task_decode },
	[0x7f - 0x60] = { VEXIT_SHUTDOWN, X_KNOWN, NULL },
	[0x80 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* VMRUN */
	[0x81 - 0x60] = { VEXIT_HYPERCALL, X_KNOWN | X_INSN, NULL },      /* VMMCALL */
	[0x82 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* VMLOAD */
	[0x83 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* VMSAVE */
	[0x84 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* STGI */
	[0x85 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* CLGI */
	[0x86 - 0x60] = { VEXIT_VIRT_INSN, X_KNOWN | X_INSN, NULL },      /* SKINIT */
	[0x8d - 0x60] = { VEXIT_XSETBV, X_KNOWN | X_INSN, NULL },
};

static void exc_decode(struct vcpu *v, u8 vec)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;
	struct vexit *x = &v->exit;

	if (vec == 1 && svm_event_on_db(v)) {
		x->kind = svm_event_window_kind(v, false);
		return;
	}
	x->kind = VEXIT_EXCEPTION;
	x->exc.vector = vec;
	x->exc.has_error = EXC_WITH_ERROR & BIT(vec);
	x->exc.error = x->exc.has_error ? (u32)vmcb->ctl.exitinfo1 : 0;
	/* #PF: EXITINFO2 = faulting address, CR2 not yet written (15.12.15); #DB: DR6. */
	x->exc.info = vec == 14 ? vmcb->ctl.exitinfo2 : vec == 1 ? vmcb->save.dr6 : 0;
}

/* NPF: EXITINFO1 = #PF-style error code (P, RW, US, RSV, ID) with bit 32 for a fault on the
 * final guest-physical address and 33 for one in the guest's page tables, EXITINFO2 = GPA
 * (15.25.6). SVM reports no guest-linear address. */
static void npf_decode(struct vcpu *v)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;
	u64 err = vmcb->ctl.exitinfo1;
	struct vexit *x = &v->exit;

	x->kind = VEXIT_NPF;
	x->npf.gpa = vmcb->ctl.exitinfo2;
	x->npf.present = err & BIT(0);
	x->npf.write = err & BIT(1);
	x->npf.fetch = err & BIT(4);
	x->npf.final = err & BIT(32);
	x->npf.gla_valid = false;
}

void svm_exit_decode(struct vcpu *v)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;
	u64 code = vmcb->ctl.exitcode, i = code - 0x60;

	/* MMIO first, then the intercepts of 60h-8Dh: instructions, I/O, MSRs, host interrupts. */
	if (code == SVM_EXIT_NPF) {
		npf_decode(v);
	} else if (__builtin_expect(i < ARRAY_SIZE(exit_map) && (exit_map[i].flags & X_KNOWN), 1)) {
		const struct exit_map *m = &exit_map[i];
		v->exit.kind = m->kind;
		if ((m->flags & X_INSN) && svm_feat.nrips)
			v->exit.insn_len = svm_nrip_len(vmcb);
		if (m->decode)
			m->decode(v);
	} else if (code == SVM_EXIT_WRITE_CR4) {
		v->exit.kind = svm_cr4_write(v);
	} else if (code == SVM_EXIT_WRITE_CR8) {
		v->exit.kind = svm_cr8_write(v);
	} else if (code >= SVM_EXIT_EXC_BASE && code < SVM_EXIT_EXC_BASE + 32) {
		exc_decode(v, (u8)(code - SVM_EXIT_EXC_BASE));
	} else {
		v->exit.kind = VEXIT_UNKNOWN;
	}
}
