/* A virtual CPU as the common exit code sees it. The backends (VMX, SVM) fill and consume it
 * through struct virt_ops (arch/virt.h); nothing here is vendor-specific. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <keel/types.h>
#include <abi/hypercall.h>
#include "emul/emul.h"

struct partition;
struct vlapic;

/* General registers in ModRM order. The backends' entry stubs save and restore them at these
 * offsets; gpr[VCPU_RSP], rip and rflags are copied from the VMCS/VMCB at every exit and back
 * at entry when marked dirty. */
enum { VCPU_RAX, VCPU_RCX, VCPU_RDX, VCPU_RBX, VCPU_RSP, VCPU_RBP, VCPU_RSI, VCPU_RDI };

struct vcpu_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
};

/* Segment, descriptor-table and control state, read and written as a whole on demand
 * (emulation, loaders, INIT), never on the fast path. */
struct vcpu_sregs {
	struct emul_seg seg[SEG_COUNT];
	struct emul_seg tr, ldtr;
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u64 cr0, cr2, cr3, cr4, efer, pat, xcr0;
	u32 cpl;
	u32 shadow; /* VCPU_SHADOW_* */
};

#define VCPU_SHADOW_STI   0x1u /* blocking by STI (SDM Vol. 3C 25.4.2) */
#define VCPU_SHADOW_MOVSS 0x2u /* blocking by MOV SS / POP SS */

/* An event to deliver at the next entry (SDM Vol. 3C 26.6; APM Vol. 2 15.20 EVENTINJ). */
enum vevent_type { VEVENT_NONE, VEVENT_EXTINT, VEVENT_NMI, VEVENT_EXCEPTION, VEVENT_SOFTINT };

struct vevent {
	u8 type;  /* enum vevent_type */
	u8 vector;
	bool has_error;
	u32 error;
	bool has_cr2; /* #PF: CR2 is set before injection */
	u64 cr2;
	u8 insn_len;  /* VEVENT_SOFTINT, #BP, #OF: length of the INT instruction at RIP */
};

/* What started a task switch (VEXIT_TASK_SWITCH). */
enum vtask_source { VTASK_CALL, VTASK_IRET, VTASK_JMP, VTASK_IDT };

/* Normalised exit reasons; each backend maps its own codes onto these. */
enum vexit_kind {
	VEXIT_NONE,         /* nothing to do (a host interrupt was taken, a preemption) */
	VEXIT_CPUID,
	VEXIT_RDMSR,
	VEXIT_WRMSR,
	VEXIT_IO,           /* port I/O, any size, string or not */
	VEXIT_NPF,          /* EPT violation / nested page fault outside RAM or with a permission miss */
	VEXIT_HLT,
	VEXIT_HYPERCALL,    /* VMCALL / VMMCALL */
	VEXIT_XSETBV,
	VEXIT_EXCEPTION,    /* an intercepted guest exception */
	VEXIT_INTR_WINDOW,
	VEXIT_NMI_WINDOW,
	VEXIT_SHUTDOWN,     /* triple fault */
	VEXIT_ENTRY_FAIL,   /* VM-entry failure / VMRUN with invalid state */
	VEXIT_INIT,
	VEXIT_SIPI,
	VEXIT_TASK_SWITCH,
	VEXIT_CR_ACCESS,    /* a guest CR write the backend could not absorb itself */
	VEXIT_VIRT_INSN,    /* VMX or SVM instruction executed by the guest: #UD */
	VEXIT_INVD,
	VEXIT_UNKNOWN,
	VEXIT_KINDS
};

struct vexit {
	u32 kind;       /* enum vexit_kind */
	u64 raw;        /* the vendor's exit code, for logs */
	u32 insn_len;   /* length the hardware reports, 0 when it reports none (QEMU SVM) */
	bool vectoring; /* the exit interrupted the delivery of an event (VMX IDT-vectoring info,
			 * SVM EXITINTINFO); the backend re-injects it at the next entry, so RIP
			 * does not point at an instruction to emulate for this exit */
	union {
		struct {
			u64 gpa;
			u64 gla;
			bool gla_valid;
			bool write, fetch, present; /* present: the EPT/NPT entry existed (permission miss) */
			bool final;     /* on the final translation of the access, not on a guest
					 * paging-structure access (VMX qualification bit 8, SVM
					 * EXITINFO1 bit 32); gpa is then the access's own address */
		} npf;
		struct {
			u16 port;
			u8 size;       /* 1, 2, 4 */
			bool in, string, rep;
			u64 next_rip;  /* SVM EXITINFO2 (always valid), VMX RIP + length; 0 if unknown */
		} io;
		struct {
			u8 vector;
			bool has_error;
			u32 error;
			u64 info;      /* #PF: faulting address; #DB: DR6 */
		} exc;
		struct {
			u8 cr;
			u8 gpr;
			bool write;
		} cr;
		struct {
			u64 qual;      /* VM-entry failure qualification / SVM EXITINFO1 */
		} fail;
		struct {
			u8 vector;     /* VEXIT_SIPI: the start-up vector (start at vector << 12) */
		} sipi;
		struct {
			u16 sel;       /* VEXIT_TASK_SWITCH: the new task's TSS selector */
			u8 source;     /* enum vtask_source */
			bool idt_event; /* through an IDT task gate: the event below caused it */
			u8 vector;
			bool has_error;
			u32 error;
		} task;
	};
};

/* The general registers, RIP and RFLAGS lead the emulator's register file in the same layout,
 * so the emulator works on the vCPU's registers in place (no copy in or out). */
_Static_assert(__builtin_offsetof(struct emul_regs, gpr) == __builtin_offsetof(struct vcpu_regs, gpr) &&
	       __builtin_offsetof(struct emul_regs, rip) == __builtin_offsetof(struct vcpu_regs, rip) &&
	       __builtin_offsetof(struct emul_regs, rflags) == __builtin_offsetof(struct vcpu_regs, rflags),
	       "struct vcpu_regs is the head of struct emul_regs");

/* Words that compare equal iff the CPU state deciding where and how an instruction at RIP is
 * fetched and decoded is equal (virt_ops.vcpu_code_key). */
#define VCPU_CODE_KEY_WORDS 7

/* A CPUID leaf's answer for this vCPU, kept for leaves whose answer depends on nothing but
 * the leaf (arch/x86/cpuid.c); `osxsave`: ECX bit 27 follows the guest's CR4.OSXSAVE. */
#define VCPU_CPUID_SLOTS 16
struct vcpu_cpuid {
	u32 leaf;
	bool valid, osxsave;
	u32 out[4];
};

/* Everything Keel knows about one virtual CPU. */
struct vcpu {
	union {
		struct vcpu_regs regs;
		/* regs, then the control state virt_ops.vcpu_get_emul_state fills for emulation */
		struct emul_regs eregs;
	};
	u32 dirty;               /* VCPU_DIRTY_*: what must be written back at entry */
	u32 id;                  /* index in the partition */
	u32 pcpu;                /* physical CPU it runs on */
	struct partition *part;
	void *arch;              /* backend-private: VMCS or VMCB and friends */
	void *emul;              /* the emulation in progress (arch/x86/mmio.c) */
	struct vexit exit;
	struct vevent pending;   /* delivered at the next entry */
	struct vcpu_sregs start; /* the state vcpu_start loads on the vCPU's own CPU */
	bool stopped;
	bool dumped;              /* its last state was printed (or it ended by KEEL_HC_EXIT) */
	bool hc_user_logged;      /* a hypercall from CPL > 0 was refused and logged */
	bool kick;                /* set by another CPU to wake a blocked vCPU */
	bool tsc_dirty;           /* the partition's TSC offset changed: reload it at entry */
	bool host_intr;           /* the caller runs with host interrupts masked and wants them to
				   * end the guest's run; they stay pending until it unmasks (SVM:
				   * host IF = 1 inside the GIF = 0 window; VMX always exits) */
	struct vlapic *lapic;     /* the virtual local APIC (vmm/vlapic.c) */
	u64 mtrr_def;             /* IA32_MTRR_DEF_TYPE as the guest wrote it (VCPU_MTRR_DEF_RESET) */
	u64 stat[KEEL_STAT_COUNT];
	struct vcpu_cpuid cpuid[VCPU_CPUID_SLOTS];
};

/* MTRRs enabled, default type write-back: what firmware leaves (SDM Vol. 3A 11.11.2.1). */
#define VCPU_MTRR_DEF_RESET 0x806ull

#define VCPU_DIRTY_RIP    0x1u
#define VCPU_DIRTY_RSP    0x2u
#define VCPU_DIRTY_RFLAGS 0x4u
#define VCPU_DIRTY_RAX    0x8u /* SVM keeps RAX in the VMCB */

static inline void vcpu_set_rip(struct vcpu *v, u64 rip)
{
	v->regs.rip = rip;
	v->dirty |= VCPU_DIRTY_RIP;
}

#endif
