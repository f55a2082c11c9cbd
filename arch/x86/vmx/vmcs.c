/* VMCS setup: controls, host state, I/O and MSR bitmaps, per-vCPU intercept settings. */
#include <keel/errno.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "vmx.h"

/* MSRs the guest owns outright: FS/GS base and SYSENTER_* are switched through the VMCS
 * guest/host fields; KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and TSC_AUX are not, which is
 * safe because a vCPU is pinned to its CPU and Keel's host code uses neither SYSCALL, SWAPGS
 * nor RDTSCP (docs/vmx.md). */
static const u32 vmx_guest_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_SYSENTER_CS, MSR_SYSENTER_ESP,
	MSR_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
};

void *vmx_page_alloc(void)
{
	u64 pa = pmm_alloc_page();
	void *p = pa ? phys_map(pa, PAGE_SIZE) : NULL;

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static u32 vmx_next_vpid = 1;

/* VPID 0 is the host's; when the 16-bit space runs out a vCPU goes without (flush on entry). */
static u16 vmx_vpid_alloc(void)
{
	if (!vmx_caps.vpid)
		return 0;
	u32 id = __atomic_fetch_add(&vmx_next_vpid, 1, __ATOMIC_RELAXED);
	return id <= 0xffff ? (u16)id : 0;
}

static u16 vmx_read_sel(int which)
{
	u16 s = 0;
	switch (which) {
	case 0: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
	case 1: __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
	case 2: __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
	case 3: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
	case 4: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
	case 5: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
	default: __asm__ volatile("str %0" : "=r"(s)); break;
	}
	return s;
}

/* The TSS base comes from its 16-byte GDT descriptor (SDM Vol. 3A 7.2.3). */
static u64 vmx_tr_base(const struct vmx_dtr *gdt, u16 tr)
{
	if (!tr || (u32)(tr & ~7u) + 15 > gdt->limit)
		return 0;
	const u8 *d = (const u8 *)(uintptr_t)gdt->base + (tr & ~7u);
	u64 base = d[2] | (u64)d[3] << 8 | (u64)d[4] << 16 | (u64)d[7] << 24;
	return base | (u64)(d[8] | d[9] << 8 | d[10] << 16 | (u32)d[11] << 24) << 32;
}

/* Host state reloaded by every VM exit (SDM Vol. 3C 24.5, 27.5); written whenever this CPU
 * makes the VMCS current. HOST_RSP is written by the entry stub. */
void vmx_host_state(void)
{
	static const u32 sel_field[] = { HOST_ES_SEL, HOST_CS_SEL, HOST_SS_SEL, HOST_DS_SEL,
					 HOST_FS_SEL, HOST_GS_SEL, HOST_TR_SEL };
	struct vmx_dtr gdt, idt;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt), "=m"(idt));
	/* Host selectors must have RPL = TI = 0 (SDM Vol. 3C 26.2.3). */
	for (int i = 0; i < 7; i++)
		vmcs_write(sel_field[i], vmx_read_sel(i) & 0xfff8);
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, read_cr3());
	vmcs_write(HOST_CR4, read_cr4());
	vmcs_write(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_write(HOST_TR_BASE, vmx_tr_base(&gdt, vmx_read_sel(6)));
	vmcs_write(HOST_GDTR_BASE, gdt.base);
	vmcs_write(HOST_IDTR_BASE, idt.base);
	vmcs_write(HOST_SYSENTER_CS, rdmsr(MSR_SYSENTER_CS));
	vmcs_write(HOST_SYSENTER_ESP, rdmsr(MSR_SYSENTER_ESP));
	vmcs_write(HOST_SYSENTER_EIP, rdmsr(MSR_SYSENTER_EIP));
	vmcs_write(HOST_EFER, rdmsr(MSR_EFER));
	vmcs_write(HOST_PAT, rdmsr(MSR_PAT));
	vmcs_write(HOST_RIP, vmx_pa(vmx_exit_point));
	if (!vmx_read_sel(6))
		pr_err("vmx: host TR is 0: VM entry will fail (SDM Vol. 3C 26.2.3 needs a TSS)");
}

/* Make x's VMCS current on this CPU. A vCPU is pinned to one CPU, so a VMCS never has to be
 * VMCLEARed on another CPU first (SDM Vol. 3C 24.11.1). */
void vmx_load(struct vmx_vcpu *x)
{
	if (vmx_vmptrst() == x->vmcs_pa)
		return;
	if (vmx_vmptrld(x->vmcs_pa)) {
		pr_err("vmx: VMPTRLD %#llx failed", (unsigned long long)x->vmcs_pa);
		return;
	}
	vmx_host_state();
}

void vmx_set_proc(struct vmx_vcpu *x, u32 bits, bool on)
{
	u32 proc = on ? x->proc | bits : x->proc & ~bits;
	if (proc != x->proc) {
		x->proc = proc;
		vmcs_write(PROC_CTLS, proc);
	}
}

static void vmx_controls(struct vmx_vcpu *x)
{
	u32 proc2 = vmx_caps.proc2;

	if (!x->vpid)
		proc2 &= ~PROC2_VPID;
	x->proc = vmx_caps.proc;
	vmcs_write(PIN_CTLS, vmx_caps.pin);
	vmcs_write(PROC_CTLS, x->proc);
	vmcs_write(PROC2_CTLS, proc2);
	vmcs_write(EXIT_CTLS, vmx_caps.exit);
	vmcs_write(ENTRY_CTLS, vmx_caps.entry & ~ENTRY_IA32E);
	vmcs_write(EXC_BITMAP, 0);
	vmcs_write(PF_EC_MASK, 0);
	vmcs_write(PF_EC_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(IO_BITMAP_A, vmx_pa(x->io_bitmap[0]));
	vmcs_write(IO_BITMAP_B, vmx_pa(x->io_bitmap[1]));
	vmcs_write(MSR_BITMAP, vmx_pa(x->msr_bitmap));
	vmcs_write(EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(ENTRY_INTR_INFO, 0);
	vmcs_write(TSC_OFFSET, 0);
	vmx_cr_setup();
	if (x->vpid)
		vmcs_write(VMCS_VPID, x->vpid);
	if (vmx_caps.xsaves)
		vmcs_write(XSS_EXIT_BITMAP, 0); /* XSAVES/XRSTORS run natively (SDM Vol. 3C 25.3) */
	/* No shadow VMCS: the link pointer must be all ones (SDM Vol. 3C 26.3.1.5). */
	vmcs_write(VMCS_LINK, ~0ull);
}

static int vmx_pages(struct vmx_vcpu *x)
{
	x->vmcs = vmx_page_alloc();
	x->io_bitmap[0] = vmx_page_alloc();
	x->io_bitmap[1] = vmx_page_alloc();
	x->msr_bitmap = vmx_page_alloc();
	if (!x->vmcs || !x->io_bitmap[0] || !x->io_bitmap[1] || !x->msr_bitmap)
		return -ENOMEM;
	/* Every port and MSR exits until allowed (SDM Vol. 3C 24.6.4, 24.6.9). */
	memset(x->io_bitmap[0], 0xff, PAGE_SIZE);
	memset(x->io_bitmap[1], 0xff, PAGE_SIZE);
	memset(x->msr_bitmap, 0xff, PAGE_SIZE);
	*(u32 *)x->vmcs = vmx_caps.revision;
	x->vmcs_pa = vmx_pa(x->vmcs);
	return 0;
}

int vmx_vcpu_init(struct vcpu *v)
{
	if (!vmx_caps.revision)
		return -ENODEV;
	struct vmx_vcpu *x = vmx_page_alloc();
	if (!x || vmx_pages(x) < 0) {
		pr_err("vmx: no memory for vCPU %u's VMCS and bitmaps", v->id);
		return -ENOMEM;
	}
	if (vmx_vmclear(x->vmcs_pa) || vmx_vmptrld(x->vmcs_pa)) {
		pr_err("vmx: VMCLEAR/VMPTRLD of vCPU %u's VMCS failed", v->id);
		return -EIO;
	}
	x->vpid = vmx_vpid_alloc();
	v->arch = x;
	vmx_controls(x);
	vmx_host_state();
	for (unsigned i = 0; i < ARRAY_SIZE(vmx_guest_msrs); i++)
		vmx_allow_msr(v, vmx_guest_msrs[i], true, true);
	if (vmx_caps.proc2 & PROC2_RDTSCP)
		vmx_allow_msr(v, MSR_TSC_AUX, true, true);
	vmx_reset_state(v);
	return 0;
}

int vmx_allow_io(struct vcpu *v, u32 port, u32 count)
{
	struct vmx_vcpu *x = vmx_of(v);

	if (port > 0xffff || count > 0x10000 - port)
		return -ERANGE;
	/* Bitmap A covers ports 0-7FFFh, B 8000h-FFFFh; a set bit exits (SDM Vol. 3C 24.6.4). */
	for (u32 p = port; p < port + count; p++)
		x->io_bitmap[p >> 15][(p & 0x7fff) >> 3] &= (u8)~(1u << (p & 7));
	return 0;
}

/* EFER stays with the common code (it emulates it through the sregs, which keeps the
 * "IA-32e mode guest" control in step); the VMX MSRs describe the host, not the guest. */
static bool vmx_msr_owned(u32 msr)
{
	return msr == MSR_EFER || msr == MSR_FEATURE_CONTROL ||
	       (msr >= MSR_VMX_BASIC && msr <= MSR_VMX_BASIC + 0x13);
}

int vmx_allow_msr(struct vcpu *v, u32 msr, bool read, bool write)
{
	struct vmx_vcpu *x = vmx_of(v);
	u32 base, idx;

	if ((read || write) && vmx_msr_owned(msr))
		return -EPERM;
	/* Read bitmaps at 0 (low MSRs) and 400h (C0000000h-C0001FFFh), write bitmaps 800h
	 * further (SDM Vol. 3C 24.6.9). */
	if (msr <= 0x1fff) {
		base = 0;
		idx = msr;
	} else if (msr - 0xc0000000u <= 0x1fff) {
		base = 0x400;
		idx = msr - 0xc0000000u;
	} else {
		return -ERANGE;
	}
	u8 *rd = &x->msr_bitmap[base + idx / 8], *wr = rd + 0x800, bit = (u8)(1u << (idx & 7));
	*rd = read ? *rd & (u8)~bit : *rd | bit;
	*wr = write ? *wr & (u8)~bit : *wr | bit;
	return 0;
}

void vmx_set_exc_intercepts(struct vcpu *v, u32 mask)
{
	vmx_load(vmx_of(v));
	vmcs_write(EXC_BITMAP, mask);
}

void vmx_set_tsc_offset(struct vcpu *v, u64 offset)
{
	vmx_load(vmx_of(v));
	vmcs_write(TSC_OFFSET, offset);
}
