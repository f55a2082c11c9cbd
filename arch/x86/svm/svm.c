/* AMD SVM backend: feature probe, per-CPU enable, ASIDs and the ops table (APM Vol. 2 ch. 15). */
#include <keel/errno.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "svm.h"

struct svm_features svm_feat;
static bool svm_probed;
static u32 svm_asid_next = 1;

/* Zeroed, physically contiguous pages from the page allocator (never freed: vCPUs live as
 * long as Keel). */
void *svm_page_alloc(u32 pages)
{
	u64 pa = pages ? pmm_alloc(pages, PAGE_SIZE) : 0;
	void *p = pa ? phys_map(pa, pages * PAGE_SIZE) : NULL;

	if (!p) {
		pr_err("svm: no memory for %u contiguous pages", pages);
		return NULL;
	}
	memset(p, 0, pages * PAGE_SIZE);
	return p;
}

/* One ASID per vCPU for its whole life: vCPUs are pinned, so no cross-CPU TLB shootdown is
 * needed (APM 15.16). ASID 0 belongs to the host. */
int svm_asid_alloc(void)
{
	u32 old = __atomic_load_n(&svm_asid_next, __ATOMIC_RELAXED);
	do {
		if (old >= svm_feat.nasid)
			return -ENOSPC;
	} while (!__atomic_compare_exchange_n(&svm_asid_next, &old, old + 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return (int)old;
}

static void svm_probe_optional(void)
{
	struct cpuid_regs r = cpuid(0x80000001, 0);

	svm_feat.nx = r.d & BIT(20);
	svm_feat.gbpages = r.d & BIT(26);
	svm_feat.rdtscp = r.d & BIT(27);
	svm_feat.xsave = cpuid(1, 0).c & BIT(26);
	svm_feat.xcr0_mask = 1;
	if (svm_feat.xsave) {
		r = cpuid(0xd, 0);
		svm_feat.xcr0_mask = r.a | (u64)r.d << 32;
	}
	svm_feat.host_pat = rdmsr(MSR_PAT);
	svm_npt_pat_setup(svm_feat.host_pat);
	svm_cr_setup();
}

/* CPUID 8000_0001h ECX.SVM, VM_CR.SVMDIS, 8000_000Ah EDX.NP (APM 15.4, 15.30.1). */
static int svm_probe(void)
{
	int missing = 0;

	if (cpuid(0x80000000, 0).a < 0x8000000a || !(cpuid(0x80000001, 0).c & BIT(2))) {
		pr_err("svm: this CPU has no SVM (CPUID 8000_0001h ECX.SVM=0)");
		return -ENODEV;
	}
	u64 vm_cr = rdmsr(MSR_VM_CR);
	if (vm_cr & VM_CR_SVMDIS) {
		pr_err("svm: SVM disabled by firmware (VM_CR.SVMDIS=1%s)",
		       (vm_cr & VM_CR_LOCK) ? ", locked: enable it in the BIOS setup" : "");
		missing++;
	}
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	svm_feat.rev = r.a & 0xff;
	svm_feat.nasid = r.b;
	svm_feat.nrips = r.d & BIT(3);
	svm_feat.vmcb_clean = r.d & BIT(5);
	svm_feat.flush_asid = r.d & BIT(6);
	svm_feat.decode_assists = r.d & BIT(7);
	svm_feat.pause_filter = r.d & BIT(10);
	if (!(r.d & BIT(0))) {
		pr_err("svm: no nested paging (CPUID 8000_000Ah EDX.NP=0); Keel needs NPT");
		missing++;
	}
	if (svm_feat.nasid < 2) {
		pr_err("svm: the CPU offers %u ASIDs (CPUID 8000_000Ah EBX); Keel needs at least 2",
		       svm_feat.nasid);
		missing++;
	}
	if (missing)
		return -ENODEV;
	svm_probe_optional();
	pr_info("svm: revision %u, %u ASIDs, NRIPS %s, FlushByAsid %s, VmcbClean %s, "
		"DecodeAssists %s, PauseFilter %s", svm_feat.rev, svm_feat.nasid,
		svm_feat.nrips ? "yes" : "no", svm_feat.flush_asid ? "yes" : "no",
		svm_feat.vmcb_clean ? "yes" : "no", svm_feat.decode_assists ? "yes" : "no",
		svm_feat.pause_filter ? "yes" : "no");
	svm_probed = true;
	return 0;
}

/* On every CPU: EFER.SVME and a host save area (APM 15.4, 15.30.4). */
static int svm_cpu_enable(void)
{
	if (!svm_probed)
		return -ENODEV;
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: SVM disabled by firmware on this CPU (VM_CR.SVMDIS=1)");
		return -ENODEV;
	}
	u64 pat = rdmsr(MSR_PAT);
	if (pat != svm_feat.host_pat) {
		pr_err("svm: this CPU's IA32_PAT %#llx differs from the boot CPU's %#llx",
		       (unsigned long long)pat, (unsigned long long)svm_feat.host_pat);
		return -EINVAL;
	}
	u64 efer = rdmsr(MSR_EFER);
	if ((efer & EFER_SVME) && rdmsr(MSR_VM_HSAVE_PA))
		return 0;
	void *hsave = svm_page_alloc(1);
	if (!hsave)
		return -ENOMEM;
	/* NX in nested entries is honoured only with the host's EFER.NXE (APM 15.25.5). */
	wrmsr(MSR_EFER, efer | EFER_SVME | (svm_feat.nx ? EFER_NXE : 0));
	wrmsr(MSR_VM_HSAVE_PA, svm_pa(hsave));
	return 0;
}

static int svm_vcpu_init(struct vcpu *v)
{
	if (!svm_probed)
		return -ENODEV;
	_Static_assert(sizeof(struct svm_vcpu) <= PAGE_SIZE, "svm_vcpu fits a page");
	struct svm_vcpu *s = svm_page_alloc(1);
	void *vmcb = svm_page_alloc(1), *host = svm_page_alloc(1);
	u8 *iopm = svm_page_alloc(SVM_IOPM_PAGES), *msrpm = svm_page_alloc(SVM_MSRPM_PAGES);
	if (!s || !vmcb || !host || !iopm || !msrpm)
		return -ENOMEM;
	int asid = svm_asid_alloc();
	if (asid < 0) {
		pr_err("svm: out of ASIDs (%u)", svm_feat.nasid);
		return asid;
	}
	*s = (struct svm_vcpu){ .vmcb = vmcb, .vmcb_pa = svm_pa(vmcb), .host_pa = svm_pa(host),
				.iopm = iopm, .msrpm = msrpm, .asid = (u32)asid, .xcr0 = 1,
				.xcr0_cpu = ~0ull, .work = true };
	v->arch = s;
	vmcb_init(v);
	return 0;
}

static void svm_set_tsc_offset(struct vcpu *v, u64 offset)
{
	svm_of(v)->vmcb->ctl.tsc_offset = offset;
}

const struct virt_ops svm_ops = {
	.name = "svm",
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_init = svm_vcpu_init,
	.vcpu_set_sregs = svm_set_sregs,
	.vcpu_get_sregs = svm_get_sregs,
	.vcpu_get_emul_state = svm_get_emul_state,
	.vcpu_get_cr4 = svm_get_cr4,
	.vcpu_get_cpl = svm_get_cpl,
	.vcpu_get_mode = svm_get_mode,
	.vcpu_code_key = svm_code_key,
	.vcpu_wait_sipi = svm_wait_sipi,
	.vcpu_start_at = svm_start_at,
	.vcpu_run = svm_vcpu_run,
	.vcpu_inject = svm_inject,
	.vcpu_window = svm_window,
	.vcpu_tpr_watch = svm_tpr_watch,
	.vcpu_can_take_intr = svm_can_take_intr,
	.vcpu_clear_shadow = svm_clear_shadow,
	.npt_leaf = svm_npt_leaf,
	.npt_table = svm_npt_table,
	.npt_activate = svm_npt_activate,
	.npt_flush = svm_npt_flush,
	.vcpu_set_tsc_offset = svm_set_tsc_offset,
	.vcpu_allow_io = svm_allow_io,
	.vcpu_allow_msr = svm_allow_msr,
	.vcpu_set_exc_intercepts = svm_set_exc_intercepts,
	.hypercall_insn = { 0x0f, 0x01, 0xd9 }, /* VMMCALL */
};
