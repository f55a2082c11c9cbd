/* AMD SVM backend internals: the VMCB layout (APM Vol. 2 Appendix B), intercept bits, exit
 * codes and the per-vCPU state. Only arch/x86/svm/ includes this header. */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include <arch/cpu.h>
#include <arch/virt.h>

/* MSRs (APM Vol. 2 15.30, Vol. 3 appendix). */
#define MSR_PAT          0x277u
#define MSR_STAR         0xc0000081u
#define MSR_LSTAR        0xc0000082u
#define MSR_CSTAR        0xc0000083u
#define MSR_SFMASK       0xc0000084u
#define MSR_FS_BASE      0xc0000100u
#define MSR_KERNEL_GS    0xc0000102u
#define MSR_TSC_AUX      0xc0000103u
#define MSR_SYSENTER_CS  0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_VM_CR        0xc0010114u
#define MSR_VM_HSAVE_PA  0xc0010117u

#define EFER_LMA  BIT(10)
#define EFER_SVME BIT(12)
#define VM_CR_LOCK   BIT(3)
#define VM_CR_SVMDIS BIT(4)

#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR4_OSXSAVE BIT(18)
#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_RF BIT(16)
#define RFLAGS_VM BIT(17)
#define RFLAGS_AC BIT(18)
#define DR6_BS    BIT(14)

/* VMCB segment: selector, packed 12-bit attributes, expanded limit, base (APM Table B-2). */
struct vmcb_seg {
	u16 sel;
	u16 attrib;
	u32 limit;
	u64 base;
};

struct vmcb_control {
	u32 cr_icpt;        /* 0x000: bits 0-15 CR reads, 16-31 CR writes */
	u32 dr_icpt;        /* 0x004 */
	u32 exc_icpt;       /* 0x008: bit n = exception vector n */
	u32 icpt1;          /* 0x00c: ICPT1_* */
	u32 icpt2;          /* 0x010: ICPT2_* */
	u32 icpt3;          /* 0x014 */
	u8 rsvd0[0x3c - 0x18];
	u16 pause_thresh;   /* 0x03c */
	u16 pause_count;    /* 0x03e */
	u64 iopm_pa;        /* 0x040 */
	u64 msrpm_pa;       /* 0x048 */
	u64 tsc_offset;     /* 0x050 */
	u32 asid;           /* 0x058 */
	u8 tlb_control;     /* 0x05c */
	u8 rsvd1[3];
	u64 vintr;          /* 0x060: VINTR_* */
	u64 int_state;      /* 0x068: bit 0 interrupt shadow */
	u64 exitcode;       /* 0x070 */
	u64 exitinfo1;      /* 0x078 */
	u64 exitinfo2;      /* 0x080 */
	u64 exitintinfo;    /* 0x088: EVENTINJ layout */
	u64 np_ctl;         /* 0x090: bit 0 NP_ENABLE */
	u64 avic_bar;       /* 0x098 */
	u64 ghcb_pa;        /* 0x0a0 */
	u64 eventinj;       /* 0x0a8: EVT_* */
	u64 ncr3;           /* 0x0b0 */
	u64 virt_ext;       /* 0x0b8 */
	u32 clean;          /* 0x0c0: VMCB clean bits */
	u32 rsvd2;
	u64 nrip;           /* 0x0c8 */
	u8 insn_len;        /* 0x0d0 (decode assists) */
	u8 insn_bytes[15];
	u8 rsvd3[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x000 */
	u8 rsvd0[0xcb - 0xa0];
	u8 cpl;             /* 0x0cb */
	u32 rsvd1;
	u64 efer;           /* 0x0d0 */
	u8 rsvd2[0x148 - 0xd8];
	u64 cr4, cr3, cr0, dr7, dr6, rflags, rip; /* 0x148 */
	u8 rsvd3[0x1d8 - 0x180];
	u64 rsp;            /* 0x1d8 */
	u64 s_cet, ssp, isst_addr;
	u64 rax;            /* 0x1f8 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base; /* 0x200 */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2;            /* 0x240 */
	u8 rsvd4[0x268 - 0x248];
	u64 g_pat;          /* 0x268 */
	u64 dbgctl, br_from, br_to, lastexcp_from, lastexcp_to;
	u8 rsvd5[0xc00 - 0x298];
};

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
};

_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_pa) == 0x40, "iopm");
_Static_assert(__builtin_offsetof(struct vmcb_control, vintr) == 0x60, "vintr");
_Static_assert(__builtin_offsetof(struct vmcb_control, exitcode) == 0x70, "exitcode");
_Static_assert(__builtin_offsetof(struct vmcb_control, eventinj) == 0xa8, "eventinj");
_Static_assert(__builtin_offsetof(struct vmcb_control, clean) == 0xc0, "clean");
_Static_assert(__builtin_offsetof(struct vmcb_control, nrip) == 0xc8, "nrip");
_Static_assert(__builtin_offsetof(struct vmcb_save, cpl) == 0xcb, "cpl");
_Static_assert(__builtin_offsetof(struct vmcb_save, efer) == 0xd0, "efer");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr4) == 0x148, "cr4");
_Static_assert(__builtin_offsetof(struct vmcb_save, rip) == 0x178, "rip");
_Static_assert(__builtin_offsetof(struct vmcb_save, rsp) == 0x1d8, "rsp");
_Static_assert(__builtin_offsetof(struct vmcb_save, rax) == 0x1f8, "rax");
_Static_assert(__builtin_offsetof(struct vmcb_save, star) == 0x200, "star");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr2) == 0x240, "cr2");
_Static_assert(__builtin_offsetof(struct vmcb_save, g_pat) == 0x268, "g_pat");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* CR intercepts at VMCB 0x000: bit 16 + n = writes of CRn (APM Table B-1). */
#define CR_ICPT_WRITE(n) BIT(16 + (n))
/* Intercept vector 3 at VMCB 0x00c (APM Table B-1). */
#define ICPT1_INTR     BIT(0)
#define ICPT1_NMI      BIT(1)
#define ICPT1_INIT     BIT(3)
#define ICPT1_VINTR    BIT(4)
#define ICPT1_IRET     BIT(20)
#define ICPT1_CPUID    BIT(18)
#define ICPT1_INVD     BIT(22)
#define ICPT1_HLT      BIT(24)
#define ICPT1_INVLPGA  BIT(26)
#define ICPT1_IOIO     BIT(27)
#define ICPT1_MSR      BIT(28)
#define ICPT1_TASKSW   BIT(29)
#define ICPT1_SHUTDOWN BIT(31)
/* Intercept vector 4 at VMCB 0x010. */
#define ICPT2_VMRUN    BIT(0)
#define ICPT2_VMMCALL  BIT(1)
#define ICPT2_VMLOAD   BIT(2)
#define ICPT2_VMSAVE   BIT(3)
#define ICPT2_STGI     BIT(4)
#define ICPT2_CLGI     BIT(5)
#define ICPT2_SKINIT   BIT(6)
#define ICPT2_XSETBV   BIT(13)

/* VMCB 0x060 virtual interrupt control (APM 15.21.1). */
#define VINTR_V_TPR       0xfull
#define VINTR_V_IRQ       BIT(8)
#define VINTR_PRIO_SHIFT  16
#define VINTR_IGN_TPR     BIT(20)
#define VINTR_MASKING     BIT(24)

/* EVENTINJ / EXITINTINFO (APM 15.20). */
#define EVT_VECTOR(e)   ((u8)(e))
#define EVT_TYPE(e)     (((e) >> 8) & 7u)
#define EVT_EV          BIT(11)
#define EVT_V           BIT(31)
#define EVT_TYPE_INTR   0u
#define EVT_TYPE_NMI    2u
#define EVT_TYPE_EXC    3u
#define EVT_TYPE_SOFT   4u

/* TLB_CONTROL values (APM 15.16.1). */
#define TLB_NOTHING    0
#define TLB_FLUSH_ALL  1
#define TLB_FLUSH_ASID 3

/* Exit codes (APM Appendix C). */
#define SVM_EXIT_WRITE_CR4 0x14u
#define SVM_EXIT_WRITE_CR8 0x18u
#define SVM_EXIT_EXC_BASE 0x40u
#define SVM_EXIT_INTR     0x60u
#define SVM_EXIT_NMI      0x61u
#define SVM_EXIT_VINTR    0x64u
#define SVM_EXIT_IRET     0x74u
#define SVM_EXIT_CPUID    0x72u
#define SVM_EXIT_IOIO     0x7bu
#define SVM_EXIT_MSR      0x7cu
#define SVM_EXIT_NPF      0x400u
#define SVM_EXIT_INVALID  0xffffffffu /* -1; QEMU stores it zero-extended */

#define SVM_IOPM_PAGES  3
#define SVM_MSRPM_PAGES 2

/* What probe found (CPUID 8000_000Ah and friends). */
struct svm_features {
	u32 rev, nasid;
	bool nrips, flush_asid, vmcb_clean, decode_assists, pause_filter;
	bool nx, gbpages, rdtscp, xsave;
	u64 xcr0_mask;      /* XCR0 bits the CPU supports (CPUID 0Dh) */
	u64 host_pat;
	u8 pat_index[8];    /* enum npt_memtype → host PAT index */
};

extern struct svm_features svm_feat;

/* The VMCB fields VMRUN's consistency checks read, copied before a VMRUN after Keel changed
 * them: after a failed VMRUN QEMU has already overwritten the save area (docs/svm.md). */
struct svm_snap {
	u64 efer, cr0, cr3, cr4, dr6, dr7, g_pat, eventinj, np_ctl, iopm_pa, msrpm_pa;
	u32 asid, icpt2;
	u16 cs_attrib;
};

/* Backend-private state of one vCPU (v->arch). */
struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u64 host_pa;        /* VMSAVE area for the host's FS/GS/TR/LDTR/syscall MSRs */
	u8 *iopm, *msrpm;
	u32 asid;
	u32 exc_user;       /* exceptions the common code asked to see */
	u8 tlb_flush;       /* TLB_CONTROL for the next entry */
	/* Grouped so that the entry and exit paths test each group with one load. */
	union {
		struct {
			bool want_intr, want_nmi;
			bool nmi_blocked; /* an injected NMI's handler has not returned (IRET) yet */
			bool shutdown;    /* a triple fault was formed while combining events */
		};
		u32 ev_entry;
	};
	union {
		struct {
			bool iret_seen;   /* the IRET that ends it was intercepted at iret_rip */
			bool stepping;    /* single-stepping to find the NMI window */
			bool stepped;     /* ... and this exit ended such a step */
			bool ev_pad;
		};
		u32 ev_exit;
	};
	/* svm_entry's rare steps have work (set by every writer of what they read, svm_work;
	 * recomputed after they ran): parked, nested paging off, events (ev_entry, windows,
	 * EVENTINJ), a TLB flush or snapshot, XCR0, the CPU's CR2 behind the VMCB's. */
	bool work;
	bool step_guest_tf; /* the guest had TF set itself */
	bool parked;        /* waiting for a start-up IPI: vcpu_run does not enter */
	u64 iret_rip;
	u64 injected;       /* EVENTINJ written for this entry, to recognise it in EXITINTINFO */
	u8 soft_len;        /* INTn/INT3/INTO in EVENTINJ: return address is RIP + soft_len */
	u64 xcr0;
	u64 xcr0_cpu;       /* XCR0 this vCPU last left in its CPU (~0: not known) */
	u64 seg_raw[SEG_COUNT * 2]; /* VMCB segments v->eregs.seg[] was converted from */
	bool seg_known;            /* ... once they have been */
	struct svm_snap snap;
	bool snap_fresh;           /* snap was taken for this entry: Keel changed the state */
};

static inline struct svm_vcpu *svm_of(struct vcpu *v) { return v->arch; }

static inline void svm_work(struct svm_vcpu *s) { s->work = true; }

/* The core runs on an identity map of all RAM (docs/boot.md), so pointers are physical. */
static inline u64 svm_pa(const void *p) { return (u64)(uintptr_t)p; }

/* svm.c */
void *svm_page_alloc(u32 pages);
int svm_asid_alloc(void);
/* vmcb.c */
void vmcb_init(struct vcpu *v);
void svm_reset_state(struct vcpu *v);
void svm_wait_sipi(struct vcpu *v);
void svm_start_at(struct vcpu *v, u8 vector);
void svm_exc_update(struct svm_vcpu *s);
void svm_set_exc_intercepts(struct vcpu *v, u32 mask);
int svm_allow_io(struct vcpu *v, u32 port, u32 count);
int svm_allow_msr(struct vcpu *v, u32 msr, bool read, bool write);
/* svm_sregs.c */
void svm_set_sregs(struct vcpu *v, const struct vcpu_sregs *sr);
void svm_get_sregs(struct vcpu *v, struct vcpu_sregs *sr);
void svm_get_emul_state(struct vcpu *v);
u64 svm_get_cr4(struct vcpu *v);
u32 svm_get_cpl(struct vcpu *v);
u32 svm_get_mode(struct vcpu *v);
bool svm_code_key(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS]);
void svm_code_key_store(const struct vmcb_save *st, u64 *key);

/* CS selector, attributes and limit are one word of the VMCB segment, its base another. */
static inline u64 svm_key_word(const struct vmcb_save *st, unsigned i)
{
	u64 w;
	switch (i) {
	case 0: __builtin_memcpy(&w, &st->cs, sizeof(w)); return w;
	case 1: return st->cs.base;
	case 2: return st->cr0;
	case 3: return st->cr3;
	case 4: return st->cr4;
	case 5: return st->efer;
	default: return st->cpl | (st->rflags & (RFLAGS_VM | RFLAGS_AC));
	}
}

/* virt_ops.vcpu_code_key, inline for the CPUID fast path (svm_run.c). */
static inline bool svm_code_key_in(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS])
{
	const struct vmcb_save *st = &svm_of(v)->vmcb->save;
	u64 d = 0;

#pragma GCC unroll 8
	for (unsigned i = 0; i < VCPU_CODE_KEY_WORDS; i++)
		d |= svm_key_word(st, i) ^ key[i];
	if (__builtin_expect(!d, 1))
		return true;
	svm_code_key_store(st, key);
	return false;
}

u32 svm_attr_to_vmx(u16 attrib);
u16 svm_attr_from_vmx(u32 attr);
/* svm_run.c */
int svm_vcpu_run(struct vcpu *v);
void svm_vmrun(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_pa, u64 host_intr); /* svm_entry.S */
/* svm_exit.c */
/* An instruction intercept's length from nRIP (APM 15.7.1), 0 when implausible. */
static inline u32 svm_nrip_len(const struct vmcb *vmcb)
{
	u64 d = vmcb->ctl.nrip - vmcb->save.rip;

	return d >= 1 && d <= 15 ? (u32)d : 0;
}

void svm_exit_decode(struct vcpu *v);
/* svm_cr.c: MOV to CR4 (exit 14h), checked and loaded by Keel */
void svm_cr_setup(void);
u32 svm_cr4_write(struct vcpu *v);
u32 svm_cr8_write(struct vcpu *v);
void svm_tpr_watch(struct vcpu *v, bool on);
/* svm_event.c: the full passes, and when they can be skipped (nothing to deliver, no window
 * wanted or armed, no NMI bookkeeping; no event cut short, no step or IRET to follow). */
static inline bool svm_entry_quiet(const struct vcpu *v, const struct svm_vcpu *s)
{
	const struct vmcb_control *c = &s->vmcb->ctl;

	return !s->ev_entry && v->pending.type == VEVENT_NONE &&
	       !((c->icpt1 & (ICPT1_VINTR | ICPT1_IRET)) | (c->eventinj & EVT_V));
}

static inline bool svm_exit_quiet(const struct svm_vcpu *s)
{
	return !s->ev_exit && !((s->vmcb->ctl.exitintinfo | s->vmcb->ctl.eventinj) & EVT_V);
}

void svm_inject(struct vcpu *v, const struct vevent *e);
void svm_window(struct vcpu *v, bool intr, bool nmi);
bool svm_can_take_intr(struct vcpu *v);
u64 svm_xcr0_live(const struct svm_vcpu *s);
void svm_clear_shadow(struct vcpu *v);
bool svm_event_before_entry(struct vcpu *v);
void svm_event_after_exit(struct vcpu *v);
void svm_event_on_iret(struct vcpu *v);
bool svm_event_on_db(struct vcpu *v);
u32 svm_event_window_kind(struct vcpu *v, bool vintr);
/* svm_check.c */
void svm_snap_take(const struct vmcb *m, struct svm_snap *s);
const char *svm_check_state(const struct svm_snap *s);
/* npt.c */
u64 svm_npt_leaf(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level);
u64 svm_npt_table(u64 hpa);
void svm_npt_activate(struct vcpu *v, u64 root_hpa);
void svm_npt_flush(struct vcpu *v);
void svm_npt_pat_setup(u64 host_pat);

#endif
