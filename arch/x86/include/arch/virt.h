/* The interface between Keel's common vCPU code and a virtualization backend. Each backend
 * (arch/x86/vmx, arch/x86/svm) exports one const struct virt_ops; virt_select() picks one at
 * boot from CPUID. Common code never includes a vendor header. */
#ifndef ARCH_VIRT_H
#define ARCH_VIRT_H

#include <arch/vcpu.h>

/* Nested-paging permissions and memory types (translated to EPT or NPT entry bits). */
#define NPT_R 0x1u
#define NPT_W 0x2u
#define NPT_X 0x4u
#define NPT_RWX (NPT_R | NPT_W | NPT_X)

enum npt_memtype { NPT_MT_UC = 0, NPT_MT_WC = 1, NPT_MT_WT = 4, NPT_MT_WP = 5, NPT_MT_WB = 6 };

struct virt_ops {
	const char *name; /* "vmx" or "svm" */

	/* Once, on the bootstrap CPU: check every feature Keel needs; print one clear line per
	 * missing feature; return 0 or -ENODEV. */
	int (*probe)(void);
	/* On every CPU: VMXON or EFER.SVME + host save area. */
	int (*cpu_enable)(void);

	/* Allocate and initialise the VMCS/VMCB for v (controls, intercepts, host state). */
	int (*vcpu_init)(struct vcpu *v);
	/* Set the whole architectural state (loaders, reset, INIT/SIPI). */
	void (*vcpu_set_sregs)(struct vcpu *v, const struct vcpu_sregs *s);
	void (*vcpu_get_sregs)(struct vcpu *v, struct vcpu_sregs *s);
	/* The small reads exit handlers need, without the whole vcpu_get_sregs: the control state
	 * the emulator reads beyond v->regs (CR0, CR3, CR4, EFER with LMA, CPL and the six
	 * segment caches) into v->eregs (its CR2 and XCR0 are left alone: the emulator reads
	 * neither); CR4; the CPL; the CPU mode (enum emul_mode); and
	 * the code key (VCPU_CODE_KEY_WORDS words: CS, CR0, CR3, CR4, EFER, CPL, RFLAGS.VM/AC,
	 * everything besides RIP and memory that fetching and decoding at RIP depends on, in a
	 * backend-defined encoding that only ever compares with itself): vcpu_code_key stores
	 * the current one in key[] and says whether key[] held it already. */
	void (*vcpu_get_emul_state)(struct vcpu *v);
	u64 (*vcpu_get_cr4)(struct vcpu *v);
	u32 (*vcpu_get_cpl)(struct vcpu *v);
	u32 (*vcpu_get_mode)(struct vcpu *v);
	bool (*vcpu_code_key)(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS]);
	/* Application processors: park the vCPU until a start-up IPI (exit VEXIT_SIPI), and start
	 * it at a vector: real mode, CS = vector << 8, IP = 0, the rest as after INIT (SDM Vol. 3A
	 * 8.4.4). Both reset the vCPU to the INIT state first. */
	void (*vcpu_wait_sipi)(struct vcpu *v);
	void (*vcpu_start_at)(struct vcpu *v, u8 vector);
	/* Enter the guest until the next exit; v->exit and v->regs are filled on return.
	 * Returns 0, or a negative errno when the entry itself failed in a way Keel caused. */
	int (*vcpu_run)(struct vcpu *v);

	/* Event delivery: inject at the next entry; ask for an exit as soon as the guest can
	 * take an external interrupt (or NMI); whether it can take one now. */
	void (*vcpu_inject)(struct vcpu *v, const struct vevent *e);
	void (*vcpu_window)(struct vcpu *v, bool intr, bool nmi);
	/* While `on`, an interrupt waits in the IRR for the TPR to drop: the guest's MOV to CR8
	 * must exit (VEXIT_CR_ACCESS) so that it is delivered right after the MOV. */
	void (*vcpu_tpr_watch)(struct vcpu *v, bool on);
	bool (*vcpu_can_take_intr)(struct vcpu *v);
	void (*vcpu_clear_shadow)(struct vcpu *v);

	/* The guest-physical address space: entry encodings and activation. level: 1 = 4 KiB page
	 * (PTE), 2 = 2 MiB page (PDE), 3 = 1 GiB page (PDPTE). npt_leaf returns 0 (not present)
	 * when the CPU cannot map a page of that level: the caller then uses smaller pages. */
	u64 (*npt_leaf)(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level);
	u64 (*npt_table)(u64 hpa);
	void (*npt_activate)(struct vcpu *v, u64 root_hpa);
	void (*npt_flush)(struct vcpu *v);

	void (*vcpu_set_tsc_offset)(struct vcpu *v, u64 offset);

	/* Intercept control the common code decides (all ports and MSRs exit by default):
	 * let the guest use ports [port, port + count) directly (-ERANGE past 0xffff); let it read
	 * and/or write an MSR directly (-EPERM for MSRs the backend owns, such as EFER; -ERANGE
	 * for MSRs the bitmap cannot express); which exception vectors exit as VEXIT_EXCEPTION
	 * (bit n = vector n). */
	int (*vcpu_allow_io)(struct vcpu *v, u32 port, u32 count);
	int (*vcpu_allow_msr)(struct vcpu *v, u32 msr, bool read, bool write);
	void (*vcpu_set_exc_intercepts)(struct vcpu *v, u32 mask);
	/* The hypercall instruction's bytes for this vendor (guests are told through CPUID). */
	u8 hypercall_insn[3];
};

extern const struct virt_ops vmx_ops;
extern const struct virt_ops svm_ops;

/* SVM backend self-test (arch/x86/svm/svm_selftest.c), run by kmain after SMP bring-up when
 * the command line holds virt_selftest=1: on an AMD CPU small guests in real, 32-bit and 64-bit
 * mode print VERDICT lines (suite virt/...) through the verdict API; elsewhere it returns at once. */
void svm_selftest(void);

/* The backend chosen at boot (NULL before virt_select or when none is usable). */
extern const struct virt_ops *virt;

/* Pick the backend from CPUID (GenuineIntel → VMX, AuthenticAMD → SVM) and probe it. */
int virt_select(void);

/* VMX backend self-test (arch/x86/vmx/vmx_selftest.c), run by kmain after SMP bring-up when
 * the command line holds virt_selftest=1: on an Intel CPU it prints VERDICT lines (suite
 * virt/...) through the verdict API; elsewhere it returns at once. */
void vmx_selftest(void);

#endif
