/* VMX backend: feature probe, per-CPU VMXON, VM-instruction error names and the ops table. */
#include <keel/errno.h>
#include <keel/printk.h>
#include "vmx.h"

struct vmx_caps vmx_caps;

/* One control bit Keel asks for; required ones make probe fail when the CPU lacks them. */
struct vmx_ctl_bit {
	u32 bit;
	bool required;
	bool set;      /* false: only checked (toggled at run time) */
	const char *name;
};

struct vmx_ctl_set {
	const char *what;
	u32 msr, true_msr;  /* true_msr 0: no TRUE variant (secondary controls) */
	const struct vmx_ctl_bit *bits;
	unsigned nbits;
	u32 *value, *allowed1;
};

static const struct vmx_ctl_bit pin_bits[] = {
	{ PIN_EXTINT_EXIT, true, true, "external-interrupt exiting" },
	{ PIN_NMI_EXIT, true, true, "NMI exiting" },
	{ PIN_VIRTUAL_NMI, true, true, "virtual NMIs" },
};

static const struct vmx_ctl_bit proc_bits[] = {
	{ PROC_TSC_OFFSET, true, true, "use TSC offsetting" },
	{ PROC_HLT_EXIT, true, true, "HLT exiting" },
	{ PROC_CR8_LOAD, true, true, "CR8-load exiting" },
	{ PROC_CR8_STORE, true, true, "CR8-store exiting" },
	{ PROC_IO_BITMAP, true, true, "use I/O bitmaps" },
	{ PROC_MSR_BITMAP, true, true, "use MSR bitmaps" },
	{ PROC_SECONDARY, true, true, "activate secondary controls" },
	{ PROC_INTR_WINDOW, true, false, "interrupt-window exiting" },
	{ PROC_NMI_WINDOW, true, false, "NMI-window exiting" },
};

static const struct vmx_ctl_bit proc2_bits[] = {
	{ PROC2_EPT, true, true, "enable EPT" },
	{ PROC2_UG, true, true, "unrestricted guest (real-mode and paging-off guests)" },
	{ PROC2_VPID, false, true, "enable VPID" },
	{ PROC2_RDTSCP, false, true, "enable RDTSCP" },
	{ PROC2_INVPCID, false, true, "enable INVPCID" },
	{ PROC2_XSAVES, false, true, "enable XSAVES/XRSTORS" },
};

static const struct vmx_ctl_bit exit_bits[] = {
	{ EXIT_SAVE_DEBUG, false, true, "save debug controls" },
	{ EXIT_HOST_64, true, true, "host address-space size" },
	{ EXIT_ACK_INTR, true, true, "acknowledge interrupt on exit" },
	{ EXIT_SAVE_PAT, true, true, "save IA32_PAT" },
	{ EXIT_LOAD_PAT, true, true, "load IA32_PAT" },
	{ EXIT_SAVE_EFER, true, true, "save IA32_EFER" },
	{ EXIT_LOAD_EFER, true, true, "load IA32_EFER" },
};

static const struct vmx_ctl_bit entry_bits[] = {
	{ ENTRY_LOAD_DEBUG, false, true, "load debug controls" },
	{ ENTRY_IA32E, true, false, "IA-32e mode guest" },
	{ ENTRY_LOAD_PAT, true, true, "load IA32_PAT" },
	{ ENTRY_LOAD_EFER, true, true, "load IA32_EFER" },
};

static u32 proc2_allowed1, pin_allowed1, exit_allowed1;

static const struct vmx_ctl_set vmx_ctl_sets[] = {
	{ "pin-based", MSR_VMX_PINBASED, MSR_VMX_TRUE_PINBASED, pin_bits, ARRAY_SIZE(pin_bits),
	  &vmx_caps.pin, &pin_allowed1 },
	{ "processor-based", MSR_VMX_PROCBASED, MSR_VMX_TRUE_PROCBASED, proc_bits,
	  ARRAY_SIZE(proc_bits), &vmx_caps.proc, &vmx_caps.proc_allowed1 },
	{ "secondary processor-based", MSR_VMX_PROCBASED2, 0, proc2_bits, ARRAY_SIZE(proc2_bits),
	  &vmx_caps.proc2, &proc2_allowed1 },
	{ "VM-exit", MSR_VMX_EXIT, MSR_VMX_TRUE_EXIT, exit_bits, ARRAY_SIZE(exit_bits),
	  &vmx_caps.exit, &exit_allowed1 },
	{ "VM-entry", MSR_VMX_ENTRY, MSR_VMX_TRUE_ENTRY, entry_bits, ARRAY_SIZE(entry_bits),
	  &vmx_caps.entry, &vmx_caps.entry_allowed1 },
};

/* Allowed-0 settings in the low half, allowed-1 in the high half (SDM Vol. 3D A.3-A.5); the
 * TRUE MSRs, when IA32_VMX_BASIC[55] says they exist, allow the default1 bits to be 0. */
static int vmx_ctl_adjust(const struct vmx_ctl_set *cs)
{
	bool use_true = cs->true_msr && (vmx_caps.basic & BASIC_TRUE_CTLS);
	u64 cap = rdmsr(use_true ? cs->true_msr : cs->msr);
	u32 must1 = (u32)cap, may1 = (u32)(cap >> 32), want = 0;
	int missing = 0;

	for (unsigned i = 0; i < cs->nbits; i++) {
		const struct vmx_ctl_bit *b = &cs->bits[i];
		if (b->set)
			want |= b->bit;
		if (b->required && !(may1 & b->bit)) {
			pr_err("vmx: missing feature: %s (%s control bit %d)", b->name, cs->what,
			       __builtin_ctz(b->bit));
			missing++;
		}
	}
	*cs->value = (want & may1) | must1;
	*cs->allowed1 = may1;
	return missing;
}

/* IA32_FEATURE_CONTROL (SDM Vol. 3C 23.7): locked without VMX-outside-SMX means the firmware
 * disabled VMX; unlocked, Keel enables VMX and locks it (a locked MSR cannot change until reset). */
static int vmx_feature_control(void)
{
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);

	if (fc & FEATURE_CONTROL_LOCK) {
		if (fc & FEATURE_CONTROL_VMX_OUT)
			return 0;
		pr_err("vmx: VMX disabled by firmware (IA32_FEATURE_CONTROL %#llx is locked without "
		       "VMX outside SMX)", (unsigned long long)fc);
		return -ENODEV;
	}
	wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_VMX_OUT | FEATURE_CONTROL_LOCK);
	return 0;
}

static int vmx_probe_ept(void)
{
	static const struct { u64 bit; const char *name; } need[] = {
		{ EPT_CAP_WALK4, "EPT 4-level page walk" },
		{ EPT_CAP_WB, "EPT write-back paging-structure memory type" },
		{ EPT_CAP_INVEPT, "INVEPT" },
	};
	u64 cap = vmx_caps.ept_vpid;
	int missing = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(need); i++) {
		if (!(cap & need[i].bit)) {
			pr_err("vmx: missing feature: %s (IA32_VMX_EPT_VPID_CAP %#llx)", need[i].name,
			       (unsigned long long)cap);
			missing++;
		}
	}
	if (!(cap & (EPT_CAP_INVEPT_CTX | EPT_CAP_INVEPT_ALL))) {
		pr_err("vmx: missing feature: INVEPT single-context or all-context type");
		missing++;
	}
	return missing;
}

/* VPID needs INVVPID with a usable type to be worth enabling (SDM Vol. 3C 28.3.3.1). */
static void vmx_probe_vpid(void)
{
	u64 cap = vmx_caps.ept_vpid;

	vmx_caps.vpid = (vmx_caps.proc2 & PROC2_VPID) && (cap & VPID_CAP_INVVPID) &&
			(cap & (VPID_CAP_CTX | VPID_CAP_ALL));
	if (!vmx_caps.vpid) {
		vmx_caps.proc2 &= ~PROC2_VPID;
		pr_info("vmx: VPID not usable: every VM entry and exit flushes the guest TLB");
	}
}

static void vmx_probe_xsave(void)
{
	if (!(cpuid(1, 0).c & BIT(26)))
		return;
	struct cpuid_regs r = cpuid(0xd, 0);
	vmx_caps.xcr0_mask = (u64)r.d << 32 | r.a;
}

static int vmx_probe(void)
{
	int missing = 0;

	if (!(cpuid(1, 0).c & BIT(5))) {
		pr_err("vmx: CPU has no VMX (CPUID.1:ECX.VMX[bit 5] = 0)");
		return -ENODEV;
	}
	if (vmx_feature_control() < 0)
		return -ENODEV;
	vmx_caps.basic = rdmsr(MSR_VMX_BASIC);
	vmx_caps.misc = rdmsr(MSR_VMX_MISC);
	vmx_caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	vmx_caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	vmx_caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	vmx_caps.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	if (!(vmx_caps.basic & BASIC_TRUE_CTLS))
		pr_info("vmx: no TRUE capability MSRs: default1 controls stay set");
	for (unsigned i = 0; i < ARRAY_SIZE(vmx_ctl_sets); i++)
		missing += vmx_ctl_adjust(&vmx_ctl_sets[i]);
	vmx_caps.ept_vpid = (vmx_caps.proc2 & PROC2_EPT) ? rdmsr(MSR_VMX_EPT_VPID_CAP) : 0;
	if (vmx_caps.proc2 & PROC2_EPT)
		missing += vmx_probe_ept();
	/* VMCS and VMXON regions live in write-back memory (SDM Vol. 3D A.1, bits 53:50). */
	if (((vmx_caps.basic >> 50) & 0xf) != 6) {
		pr_err("vmx: missing feature: write-back VMCS memory type (IA32_VMX_BASIC %#llx)",
		       (unsigned long long)vmx_caps.basic);
		missing++;
	}
	if (missing)
		return -ENODEV;
	vmx_probe_vpid();
	vmx_probe_xsave();
	vmx_caps.wait_sipi = vmx_caps.misc & MISC_WAIT_SIPI;
	vmx_caps.xsaves = vmx_caps.proc2 & PROC2_XSAVES;
	vmx_caps.revision = (u32)vmx_caps.basic & 0x7fffffff;
	vmx_cr_masks();
	pr_info("vmx: revision %#x, EPT%s%s%s, VPID %s, wait-for-SIPI %s, controls pin %#x proc %#x "
		"proc2 %#x exit %#x entry %#x", vmx_caps.revision,
		(vmx_caps.ept_vpid & EPT_CAP_2M) ? " 2M" : "", (vmx_caps.ept_vpid & EPT_CAP_1G) ? " 1G" : "",
		(vmx_caps.ept_vpid & EPT_CAP_AD) ? " A/D" : "", vmx_caps.vpid ? "yes" : "no",
		vmx_caps.wait_sipi ? "yes" : "no", vmx_caps.pin, vmx_caps.proc, vmx_caps.proc2,
		vmx_caps.exit, vmx_caps.entry);
	return 0;
}

/* CR0/CR4 must respect IA32_VMX_CRx_FIXED0/1 before VMXON (SDM Vol. 3C 23.8). */
static int vmx_host_crs(void)
{
	u64 cr0 = read_cr0() | vmx_caps.cr0_fixed0;
	u64 cr4 = read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE;

	if (vmx_caps.xcr0_mask)
		cr4 |= CR4_OSXSAVE; /* guests' XCR0 is loaded with XSETBV from the host */
	if ((cr0 & ~vmx_caps.cr0_fixed1) || (cr4 & ~vmx_caps.cr4_fixed1)) {
		pr_err("vmx: host CR0 %#llx / CR4 %#llx have bits VMX operation forbids",
		       (unsigned long long)cr0, (unsigned long long)cr4);
		return -EIO;
	}
	write_cr0(cr0);
	write_cr4(cr4);
	return 0;
}

static int vmx_cpu_enable(void)
{
	if (!vmx_caps.revision)
		return -ENODEV;
	if (vmx_feature_control() < 0 || vmx_host_crs() < 0)
		return -ENODEV;
	u32 *region = vmx_page_alloc();
	if (!region) {
		pr_err("vmx: no memory for the VMXON region");
		return -ENOMEM;
	}
	region[0] = vmx_caps.revision;
	if (vmx_vmxon(vmx_pa(region))) {
		pr_err("vmx: VMXON failed on this CPU (already in VMX operation, or a bad region)");
		return -EIO;
	}
	return 0;
}

/* VM-instruction error numbers (SDM Vol. 3C 30.4, Table 30-1; 31.4 in later editions). */
static const char *const vmx_insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE of an unsupported VMCS component",
	[13] = "VMWRITE to a read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_str(u32 err)
{
	if (err < ARRAY_SIZE(vmx_insn_errors) && vmx_insn_errors[err])
		return vmx_insn_errors[err];
	return "unknown VM-instruction error";
}

void vmx_field_error(u32 field, bool write)
{
	u64 err = 0;

	__asm__ volatile("vmread %1, %0" : "=r"(err) : "r"((u64)VM_INSN_ERROR) : "cc");
	pr_err("vmx: %s of VMCS field %#x failed: error %llu (%s)", write ? "VMWRITE" : "VMREAD",
	       field, (unsigned long long)err, vmx_insn_error_str((u32)err));
}

const struct virt_ops vmx_ops = {
	.name = "vmx",
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_set_sregs = vmx_set_sregs,
	.vcpu_get_sregs = vmx_get_sregs,
	.vcpu_get_emul_state = vmx_get_emul_state,
	.vcpu_get_cr4 = vmx_get_cr4,
	.vcpu_get_cpl = vmx_get_cpl,
	.vcpu_get_mode = vmx_get_mode,
	.vcpu_code_key = vmx_code_key,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_inject = vmx_inject,
	.vcpu_window = vmx_window,
	.vcpu_tpr_watch = vmx_tpr_watch,
	.vcpu_can_take_intr = vmx_can_take_intr,
	.vcpu_clear_shadow = vmx_clear_shadow,
	.npt_leaf = vmx_npt_leaf,
	.npt_table = vmx_npt_table,
	.npt_activate = vmx_npt_activate,
	.npt_flush = vmx_npt_flush,
	.vcpu_set_tsc_offset = vmx_set_tsc_offset,
	.vcpu_allow_io = vmx_allow_io,
	.vcpu_allow_msr = vmx_allow_msr,
	.vcpu_set_exc_intercepts = vmx_set_exc_intercepts,
	.vcpu_wait_sipi = vmx_wait_sipi,
	.vcpu_start_at = vmx_start_at,
	.hypercall_insn = { 0x0f, 0x01, 0xc1 }, /* VMCALL */
};
