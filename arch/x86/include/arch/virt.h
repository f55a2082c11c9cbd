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
	/* Enter the guest until the next exit; v->exit and v->regs are filled on return.
	 * Returns 0, or a negative errno when the entry itself failed in a way Keel caused. */
	int (*vcpu_run)(struct vcpu *v);

	/* Event delivery: inject at the next entry; ask for an exit as soon as the guest can
	 * take an external interrupt (or NMI); whether it can take one now. */
	void (*vcpu_inject)(struct vcpu *v, const struct vevent *e);
	void (*vcpu_window)(struct vcpu *v, bool intr, bool nmi);
	bool (*vcpu_can_take_intr)(struct vcpu *v);
	void (*vcpu_clear_shadow)(struct vcpu *v);

	/* The guest-physical address space: entry encodings and activation. */
	u64 (*npt_leaf)(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level);
	u64 (*npt_table)(u64 hpa);
	void (*npt_activate)(struct vcpu *v, u64 root_hpa);
	void (*npt_flush)(struct vcpu *v);

	void (*vcpu_set_tsc_offset)(struct vcpu *v, u64 offset);
	/* The hypercall instruction's bytes for this vendor (guests are told through CPUID). */
	u8 hypercall_insn[3];
};

extern const struct virt_ops vmx_ops;
extern const struct virt_ops svm_ops;

/* The backend chosen at boot (NULL before virt_select or when none is usable). */
extern const struct virt_ops *virt;

/* Pick the backend from CPUID (GenuineIntel → VMX, AuthenticAMD → SVM) and probe it. */
int virt_select(void);

#endif
