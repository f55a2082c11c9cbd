/* VMX backend self-test (Keel command line virt_selftest=1): shared between the driver
 * (vmx_selftest.c) and the step table (vmx_selftest_steps.c). */
#ifndef ARCH_VMX_SELFTEST_H
#define ARCH_VMX_SELFTEST_H

#include <keel/types.h>
#include <arch/vcpu.h>
#include <arch/virt.h>

/* Labelled points of each guest blob, in the order vmx_selftest_guest.S lists them. */
enum vst_mark {
	M_CPUID_AT, M_CPUID_END, M_OUT_AT, M_OUT_END, M_IN_AT, M_IN_END, M_OUTS_AT, M_OUTS_END,
	M_READ_AT, M_READ_END, M_WRITE_AT, M_WRITE_END, M_CRCALL_AT, M_CRCALL_END,
	M_VMXE_AT, M_VMXE_END, M_HLT_AT, M_HLT_END, M_WIN_AT, M_HLT2_AT, M_HLT2_END,
	M_FINAL_AT, M_FINAL_END, M_EXTRA_START, M_EXTRA_AT, M_EXTRA_END, M_HANDLER, M_HANDLER_END, M_IRET, M_BLOB_END,
	M_COUNT
};

enum vst_mode { VST_REAL, VST_PROT32, VST_LONG64, VST_MODES };

/* Guest-physical layout. */
#define VST_CODE      0x1000ull
#define VST_GDT       0x2000ull
#define VST_IDT       0x3000ull
#define VST_PML4      0x4000ull
#define VST_STACK     0xf000ull
#define VST_RAM_PAGES 16u
#define VST_LATE      0x20000ull  /* mapped after the first fault on it */
#define VST_READ_GPA  0x40120ull  /* nothing mapped */
#define VST_WRITE_GPA 0x41008ull
#define VST_SIPI_VEC  0x09
#define VST_FS_BASE   0x123456789ab0ull

struct vst {
	const struct virt_ops *ops;
	struct vcpu *v;
	enum vst_mode mode;
	const u16 *marks;
	u64 cr0, cr4;              /* what the guest was started with */
	u64 saved_rsp, saved_rflags;
	char why[160];
};

u64 vst_rip(const struct vst *t, enum vst_mark m);
void vst_verdict(const char *mode, const char *name, bool ok, const char *why);
void vst_host_tests(const struct virt_ops *ops, u64 root);
void vst_ap_tests(u64 root);
void *vst_gpa(u64 gpa);
void vst_map_late(struct vst *t);
int vst_run_steps(struct vst *t);

#endif
