/* AMD SVM backend: feature probe, per-CPU enable, ASIDs and the ops table (APM Vol. 2 ch. 15). */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "svm.h"

struct svm_features svm_feat;
static bool svm_probed;
static u32 svm_asid_next = 1;

/* Scaffolding until the physical page allocator lands on main: a static, never-freed pool.
 * The core is identity-mapped, so these addresses are also physical. */
#define SVM_POOL_PAGES 256
static u8 svm_pool[SVM_POOL_PAGES][PAGE_SIZE] __aligned(PAGE_SIZE);
static u32 svm_pool_used;

void *svm_page_alloc(u32 pages)
{
	u32 old = __atomic_load_n(&svm_pool_used, __ATOMIC_RELAXED);
	do {
		if (pages == 0 || pages > SVM_POOL_PAGES - old) {
			pr_err("svm: out of backend pages (%u of %u used, %u wanted)", old,
			       SVM_POOL_PAGES, pages);
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&svm_pool_used, &old, old + pages, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return svm_pool[old];
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
	u32 r[4];

	svm_cpuid(0x80000001, 0, r);
	svm_feat.nx = r[3] & BIT(20);
	svm_feat.gbpages = r[3] & BIT(26);
	svm_feat.rdtscp = r[3] & BIT(27);
	svm_cpuid(1, 0, r);
	svm_feat.xsave = r[2] & BIT(26);
	svm_feat.xcr0_mask = 1;
	if (svm_feat.xsave) {
		svm_cpuid(0xd, 0, r);
		svm_feat.xcr0_mask = r[0] | (u64)r[3] << 32;
	}
	svm_feat.host_pat = svm_rdmsr(MSR_PAT);
	svm_npt_pat_setup(svm_feat.host_pat);
}

/* CPUID 8000_0001h ECX.SVM, VM_CR.SVMDIS, 8000_000Ah EDX.NP (APM 15.4, 15.30.1). */
static int svm_probe(void)
{
	u32 r[4];
	int missing = 0;

	svm_cpuid(0x80000000, 0, r);
	u32 max_ext = r[0];
	svm_cpuid(0x80000001, 0, r);
	if (max_ext < 0x8000000a || !(r[2] & BIT(2))) {
		pr_err("svm: this CPU has no SVM (CPUID 8000_0001h ECX.SVM=0)");
		return -ENODEV;
	}
	u64 vm_cr = svm_rdmsr(MSR_VM_CR);
	if (vm_cr & VM_CR_SVMDIS) {
		pr_err("svm: SVM disabled by firmware (VM_CR.SVMDIS=1%s)",
		       (vm_cr & VM_CR_LOCK) ? ", locked: enable it in the BIOS setup" : "");
		missing++;
	}
	svm_cpuid(0x8000000a, 0, r);
	svm_feat.rev = r[0] & 0xff;
	svm_feat.nasid = r[1];
	svm_feat.nrips = r[3] & BIT(3);
	svm_feat.vmcb_clean = r[3] & BIT(5);
	svm_feat.flush_asid = r[3] & BIT(6);
	svm_feat.decode_assists = r[3] & BIT(7);
	svm_feat.pause_filter = r[3] & BIT(10);
	if (!(r[3] & BIT(0))) {
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
	if (svm_rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: SVM disabled by firmware on this CPU (VM_CR.SVMDIS=1)");
		return -ENODEV;
	}
	u64 pat = svm_rdmsr(MSR_PAT);
	if (pat != svm_feat.host_pat) {
		pr_err("svm: this CPU's IA32_PAT %#llx differs from the boot CPU's %#llx",
		       (unsigned long long)pat, (unsigned long long)svm_feat.host_pat);
		return -EINVAL;
	}
	u64 efer = svm_rdmsr(MSR_EFER);
	if ((efer & EFER_SVME) && svm_rdmsr(MSR_VM_HSAVE_PA))
		return 0;
	void *hsave = svm_page_alloc(1);
	if (!hsave)
		return -ENOMEM;
	/* NX in nested entries is honoured only with the host's EFER.NXE (APM 15.25.5). */
	svm_wrmsr(MSR_EFER, efer | EFER_SVME | (svm_feat.nx ? EFER_NXE : 0));
	svm_wrmsr(MSR_VM_HSAVE_PA, svm_pa(hsave));
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
				.iopm = iopm, .msrpm = msrpm, .asid = (u32)asid, .xcr0 = 1 };
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
	.vcpu_run = svm_vcpu_run,
	.vcpu_inject = svm_inject,
	.vcpu_window = svm_window,
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
