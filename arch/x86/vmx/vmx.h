/* VMX backend internals: VMCS field encodings, capability MSRs, control bits, the VMX
 * instruction wrappers and the per-vCPU state. Only arch/x86/vmx/ includes this file. */
#ifndef ARCH_VMX_VMX_H
#define ARCH_VMX_VMX_H

#include <keel/types.h>
#include <arch/cpu.h>
#include <arch/vcpu.h>
#include <arch/virt.h>

/* MSRs (SDM Vol. 4 Table 2-2; VMX capability MSRs: SDM Vol. 3D Appendix A). */
#define MSR_FEATURE_CONTROL   0x03a
#define MSR_SYSENTER_CS       0x174
#define MSR_SYSENTER_ESP      0x175
#define MSR_SYSENTER_EIP      0x176
#define MSR_DEBUGCTL          0x1d9
#define MSR_PAT               0x277
#define MSR_VMX_BASIC         0x480
#define MSR_VMX_PINBASED      0x481
#define MSR_VMX_PROCBASED     0x482
#define MSR_VMX_EXIT          0x483
#define MSR_VMX_ENTRY         0x484
#define MSR_VMX_MISC          0x485
#define MSR_VMX_CR0_FIXED0    0x486
#define MSR_VMX_CR0_FIXED1    0x487
#define MSR_VMX_CR4_FIXED0    0x488
#define MSR_VMX_CR4_FIXED1    0x489
#define MSR_VMX_PROCBASED2    0x48b
#define MSR_VMX_EPT_VPID_CAP  0x48c
#define MSR_VMX_TRUE_PINBASED 0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT     0x48f
#define MSR_VMX_TRUE_ENTRY    0x490
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SFMASK            0xc0000084
#define MSR_FS_BASE           0xc0000100
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_TSC_AUX           0xc0000103

#define FEATURE_CONTROL_LOCK      BIT(0)
#define FEATURE_CONTROL_VMX_OUT   BIT(2) /* VMXON outside SMX */

#define BASIC_TRUE_CTLS  BIT(55)
#define MISC_STORE_LMA   BIT(5)
#define MISC_WAIT_SIPI   BIT(8)

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D A.10). */
#define EPT_CAP_XONLY      BIT(0)
#define EPT_CAP_WALK4      BIT(6)
#define EPT_CAP_WB         BIT(14)
#define EPT_CAP_2M         BIT(16)
#define EPT_CAP_1G         BIT(17)
#define EPT_CAP_INVEPT     BIT(20)
#define EPT_CAP_AD         BIT(21)
#define EPT_CAP_INVEPT_CTX BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)
#define VPID_CAP_INVVPID   BIT(32)
#define VPID_CAP_CTX       BIT(41)
#define VPID_CAP_ALL       BIT(42)

#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR4_VMXE    BIT(13)
#define CR4_PCIDE   BIT(17)
#define CR4_OSXSAVE BIT(18)
#define EFER_LMA BIT(10)
#define RFLAGS_IF BIT(9)

/* Pin-based controls (SDM Vol. 3C 24.6.1). */
#define PIN_EXTINT_EXIT  BIT(0)
#define PIN_NMI_EXIT     BIT(3)
#define PIN_VIRTUAL_NMI  BIT(5)
/* Primary processor-based controls (24.6.2, Table 24-6). */
#define PROC_INTR_WINDOW BIT(2)
#define PROC_TSC_OFFSET  BIT(3)
#define PROC_HLT_EXIT    BIT(7)
#define PROC_CR3_LOAD    BIT(15)
#define PROC_CR3_STORE   BIT(16)
#define PROC_CR8_LOAD    BIT(19)
#define PROC_CR8_STORE   BIT(20)
#define PROC_NMI_WINDOW  BIT(22)
#define PROC_IO_BITMAP   BIT(25)
#define PROC_MSR_BITMAP  BIT(28)
#define PROC_SECONDARY   BIT(31)
/* Secondary processor-based controls (Table 24-7). */
#define PROC2_EPT        BIT(1)
#define PROC2_RDTSCP     BIT(3)
#define PROC2_VPID       BIT(5)
#define PROC2_UG         BIT(7)
#define PROC2_INVPCID    BIT(12)
#define PROC2_XSAVES     BIT(20)
/* VM-exit controls (24.7.1). */
#define EXIT_SAVE_DEBUG  BIT(2)
#define EXIT_HOST_64     BIT(9)
#define EXIT_ACK_INTR    BIT(15)
#define EXIT_SAVE_PAT    BIT(18)
#define EXIT_LOAD_PAT    BIT(19)
#define EXIT_SAVE_EFER   BIT(20)
#define EXIT_LOAD_EFER   BIT(21)
/* VM-entry controls (24.8.1). */
#define ENTRY_LOAD_DEBUG BIT(2)
#define ENTRY_IA32E      BIT(9)
#define ENTRY_LOAD_PAT   BIT(14)
#define ENTRY_LOAD_EFER  BIT(15)

/* Interruption information (24.8.3, 24.9.2) and interruptibility state (Table 24-3). */
#define INTR_INFO_VALID   BIT(31)
#define INTR_INFO_ERR     BIT(11)
#define INTR_INFO_NMI_UNBLOCK BIT(12)
#define INTR_TYPE_SHIFT   8
enum { INTR_EXTINT = 0, INTR_NMI = 2, INTR_HWEXC = 3, INTR_SOFTINT = 4, INTR_PRIVSW = 5,
       INTR_SWEXC = 6 };
#define BLOCK_STI   BIT(0)
#define BLOCK_MOVSS BIT(1)
#define BLOCK_NMI   BIT(3)
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_WAIT_SIPI = 3 };

/* VMCS field encodings (SDM Vol. 3D Appendix B). Segment fields are spaced by 2 in the order
 * ES, CS, SS, DS, FS, GS, LDTR, TR, which is enum emul_segreg's order. */
enum vmcs_field {
	VMCS_VPID = 0x0000,
	GUEST_SEL = 0x0800,      /* + 2 * segment */
	HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04, HOST_DS_SEL = 0x0c06,
	HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
	IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
	EXIT_MSR_STORE_ADDR = 0x2006, EXIT_MSR_LOAD_ADDR = 0x2008, ENTRY_MSR_LOAD_ADDR = 0x200a,
	TSC_OFFSET = 0x2010, EPT_POINTER = 0x201a, XSS_EXIT_BITMAP = 0x202c,
	GUEST_PHYS_ADDR = 0x2400,
	VMCS_LINK = 0x2800, GUEST_DEBUGCTL = 0x2802, GUEST_PAT = 0x2804, GUEST_EFER = 0x2806,
	GUEST_PDPTE0 = 0x280a,   /* + 2 * n */
	HOST_PAT = 0x2c00, HOST_EFER = 0x2c02,
	PIN_CTLS = 0x4000, PROC_CTLS = 0x4002, EXC_BITMAP = 0x4004, PF_EC_MASK = 0x4006,
	PF_EC_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a, EXIT_CTLS = 0x400c,
	EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010, ENTRY_CTLS = 0x4012,
	ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016, ENTRY_EXC_ERR = 0x4018,
	ENTRY_INSN_LEN = 0x401a, PROC2_CTLS = 0x401e,
	VM_INSN_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERR = 0x4406, IDT_VEC_INFO = 0x4408, IDT_VEC_ERR = 0x440a,
	EXIT_INSN_LEN = 0x440c, EXIT_INSN_INFO = 0x440e,
	GUEST_LIMIT = 0x4800,    /* + 2 * segment */
	GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
	GUEST_AR = 0x4814,       /* + 2 * segment */
	GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826, GUEST_SYSENTER_CS = 0x482a,
	HOST_SYSENTER_CS = 0x4c00,
	CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_SHADOW = 0x6004, CR4_SHADOW = 0x6006,
	EXIT_QUAL = 0x6400, GUEST_LINEAR_ADDR = 0x640a,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
	GUEST_BASE = 0x6806,     /* + 2 * segment */
	GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c, GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

enum { VMX_SEG_LDTR = 6, VMX_SEG_TR = 7 };

/* What probe found and the control values every VMCS starts from. */
struct vmx_caps {
	u64 basic, misc, ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 pin, proc, proc2, exit, entry;   /* adjusted through the (TRUE) capability MSRs */
	u32 proc_allowed1, entry_allowed1;   /* for the bits toggled at run time */
	u32 revision;
	bool vpid, wait_sipi, xsaves;
	u64 xcr0_mask;                       /* XCR0 bits the CPU supports (CPUID.0DH:0) */
};
extern struct vmx_caps vmx_caps;

/* Per-vCPU backend state (v->arch). */
struct vmx_vcpu {
	void *vmcs;
	u8 *io_bitmap[2];
	u8 *msr_bitmap;
	u64 vmcs_pa;
	u64 eptp;
	u32 proc;               /* current primary controls (windows toggle) */
	u16 vpid;
	bool launched;
	bool req_intr_window;   /* windows the common code asked for (vcpu_window) */
	bool req_nmi_window;
	bool triple;            /* exceptions merged into a triple fault: shut down */
	bool pdpte_load;        /* reload the PAE PDPTEs from guest CR3 before the next entry */
	/* Events queued for injection, highest priority first (SDM Vol. 3A 6.9). */
	u32 reinject_info, reinject_err, reinject_len;
	struct vevent exc;      /* exception or software interrupt (type != NONE when queued) */
	bool nmi;
	bool intr;
	u8 intr_vector;
	bool cr2_load;
	u64 cr2;
	bool xcr0_load;
	u64 xcr0;
};

static inline struct vmx_vcpu *vmx_of(struct vcpu *v) { return v->arch; }

/* VMX instructions. Each reports VMfailInvalid (CF) or VMfailValid (ZF) as a non-zero return
 * (SDM Vol. 3C 30.2). */
static inline int vmx_vmxon(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline int vmx_vmclear(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline int vmx_vmptrld(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline u64 vmx_vmptrst(void)
{
	u64 pa;
	__asm__ volatile("vmptrst %0" : "=m"(pa) : : "memory");
	return pa;
}

void vmx_field_error(u32 field, bool write);

static inline u64 vmcs_read(u32 field)
{
	u64 val;
	u8 fail;
	__asm__ volatile("vmread %2, %0; setna %1" : "=r"(val), "=qm"(fail) : "r"((u64)field) : "cc");
	if (__builtin_expect(fail, 0))
		vmx_field_error(field, false);
	return val;
}

static inline void vmcs_write(u32 field, u64 val)
{
	u8 fail;
	__asm__ volatile("vmwrite %1, %2; setna %0" : "=qm"(fail) : "r"(val), "r"((u64)field) : "cc");
	if (__builtin_expect(fail, 0))
		vmx_field_error(field, true);
}

struct vmx_dtr {
	u16 limit;
	u64 base;
} __packed;

/* vmx.c */
const char *vmx_insn_error_str(u32 err);

/* vmcs.c: a zeroed page from the page allocator, or NULL. Keel maps memory identically, so
 * its address is also its physical address (docs/boot.md). */
void *vmx_page_alloc(void);
static inline u64 vmx_pa(const void *p) { return (u64)(uintptr_t)p; }

/* vmcs.c */
int vmx_vcpu_init(struct vcpu *v);
void vmx_load(struct vmx_vcpu *x);
void vmx_host_state(void);
int vmx_allow_io(struct vcpu *v, u32 port, u32 count);
int vmx_allow_msr(struct vcpu *v, u32 msr, bool read, bool write);
void vmx_set_exc_intercepts(struct vcpu *v, u32 mask);
void vmx_set_tsc_offset(struct vcpu *v, u64 offset);
void vmx_set_proc(struct vmx_vcpu *x, u32 bits, bool on);

/* vmx_state.c */
void vmx_set_sregs(struct vcpu *v, const struct vcpu_sregs *s);
void vmx_get_sregs(struct vcpu *v, struct vcpu_sregs *s);
void vmx_get_emul_state(struct vcpu *v);
u64 vmx_get_cr4(struct vcpu *v);
u32 vmx_get_cpl(struct vcpu *v);
u32 vmx_get_mode(struct vcpu *v);
bool vmx_code_key(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS]);
void vmx_reset_state(struct vcpu *v);
void vmx_wait_sipi(struct vcpu *v);
void vmx_start_at(struct vcpu *v, u8 vector);
void vmx_dump_guest(void);

/* vmx_cr.c */
u32 vmx_cr_access(struct vcpu *v, u64 qual);
void vmx_cr_masks(void);
void vmx_cr_setup(void);
u64 vmx_cr0_real(u64 guest);
u64 vmx_cr4_real(u64 guest);

/* vmx_event.c */
void vmx_inject(struct vcpu *v, const struct vevent *e);
void vmx_window(struct vcpu *v, bool intr, bool nmi);
void vmx_tpr_watch(struct vcpu *v, bool on);
bool vmx_can_take_intr(struct vcpu *v);
void vmx_clear_shadow(struct vcpu *v);
void vmx_events_entry(struct vcpu *v);
void vmx_events_exit(struct vcpu *v, u32 reason, u64 qual);
void vmx_nmi_unblock_fixup(struct vcpu *v, bool iret_unblocked);
u32 vmx_window_exit(struct vcpu *v, bool nmi);
void vmx_inject_gp(struct vcpu *v);
void vmx_host_vector(u8 vector);

/* vmx_exit.c */
int vmx_vcpu_run(struct vcpu *v);

/* ept.c */
u64 vmx_npt_leaf(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level);
u64 vmx_npt_table(u64 hpa);
void vmx_npt_activate(struct vcpu *v, u64 root_hpa);
void vmx_npt_flush(struct vcpu *v);
void vmx_vpid_flush(struct vmx_vcpu *x);
int vmx_gpa_read(struct vmx_vcpu *x, u64 gpa, void *buf, u32 len);

/* vmx_entry.S: returns 0 after a VM exit, 1 on VMfailInvalid, 2 on VMfailValid. */
int vmx_enter(struct vcpu_regs *regs, u32 launched);
void vmx_exit_point(void);
extern const u8 vmx_vector_stubs[];

#endif
