/* Control-register virtualisation: CR0/CR4 guest/host masks and read shadows, and the
 * CR-access exits the backend completes itself (SDM Vol. 3C 25.3, 27.2.1 Table 27-3). */
#include <keel/printk.h>
#include "vmx.h"

static u64 cr0_force1, cr0_force0, cr4_force1, cr4_force0;

/* Bits VMX fixes (IA32_VMX_CRx_FIXED0/1, SDM Vol. 3D A.7/A.8) are owned by Keel: the guest
 * reads its own value from the shadow. Unrestricted guest frees CR0.PE/PG (26.3.1.1). CR0.CD/NW
 * are never loaded by VM entry or exit (26.3.2.1, 27.5.1): the CPU keeps the host's, so the
 * guest's are virtual (caching follows the EPT memory type). CR4.VMXE stays masked even where
 * not fixed: guests are not offered VMX. */
void vmx_cr_masks(void)
{
	cr0_force1 = (u32)vmx_caps.cr0_fixed0 & ~(u32)(CR0_PE | CR0_PG);
	cr0_force0 = ~vmx_caps.cr0_fixed1 & 0xffffffffull;
	cr4_force1 = (u32)vmx_caps.cr4_fixed0;
	cr4_force0 = ~vmx_caps.cr4_fixed1 & 0xffffffffull;
}

static u64 vmx_cr0_mask(void) { return cr0_force1 | cr0_force0 | CR0_CD | CR0_NW; }
static u64 vmx_cr4_mask(void) { return cr4_force1 | cr4_force0 | CR4_VMXE; }

void vmx_cr_setup(void)
{
	vmcs_write(CR0_MASK, vmx_cr0_mask());
	vmcs_write(CR4_MASK, vmx_cr4_mask());
}

u64 vmx_cr0_real(u64 guest) { return ((guest & ~(CR0_CD | CR0_NW)) | cr0_force1) & ~cr0_force0; }
u64 vmx_cr4_real(u64 guest) { return (guest | cr4_force1) & ~cr4_force0; }

static u64 vmx_cr0_view(void)
{
	return (vmcs_read(GUEST_CR0) & ~vmx_cr0_mask()) | (vmcs_read(CR0_SHADOW) & vmx_cr0_mask());
}

static u64 vmx_cr4_view(void)
{
	return (vmcs_read(GUEST_CR4) & ~vmx_cr4_mask()) | (vmcs_read(CR4_SHADOW) & vmx_cr4_mask());
}

static bool vmx_cs_long(void) { return vmcs_read(GUEST_AR + 2 * SEG_CS) & SEG_ATTR_L; }

static void vmx_set_efer(u64 efer)
{
	u32 entry = (u32)vmcs_read(ENTRY_CTLS) & ~ENTRY_IA32E;

	vmcs_write(GUEST_EFER, efer);
	vmcs_write(ENTRY_CTLS, (efer & EFER_LMA) ? entry | ENTRY_IA32E : entry);
}

/* MOV to CR0 as the CPU would do it (SDM Vol. 2B MOV—Move to/from Control Registers; Vol. 3A
 * 9.8.5 for IA-32e activation): returns false for #GP(0). */
static bool vmx_cr0_write(struct vmx_vcpu *x, u64 val)
{
	u64 old = vmx_cr0_view(), efer = vmcs_read(GUEST_EFER), cr4 = vmx_cr4_view();

	if ((val >> 32) || (val & cr0_force0) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & CR4_PAE) || vmx_cs_long())
			return false;
		vmx_set_efer(efer | EFER_LMA);
	} else if (!(val & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		if (vmx_cs_long())
			return false;
		vmx_set_efer(efer & ~EFER_LMA);
	}
	vmcs_write(GUEST_CR0, vmx_cr0_real(val));
	vmcs_write(CR0_SHADOW, val);
	if ((val ^ old) & (CR0_PG | CR0_PE | CR0_WP))
		vmx_vpid_flush(x);
	x->pdpte_load = (val & CR0_PG) && (cr4 & CR4_PAE) && !(vmcs_read(GUEST_EFER) & EFER_LMA);
	return true;
}

static bool vmx_cr4_write(struct vmx_vcpu *x, u64 val)
{
	u64 old = vmx_cr4_view(), efer = vmcs_read(GUEST_EFER), cr0 = vmx_cr0_view();

	if ((val >> 32) || (val & (cr4_force0 | CR4_VMXE)))
		return false;
	if (((efer & EFER_LMA) && !(val & CR4_PAE)) ||
	    ((val & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	     (!(efer & EFER_LMA) || (vmcs_read(GUEST_CR3) & 0xfff))))
		return false;
	vmcs_write(GUEST_CR4, vmx_cr4_real(val));
	vmcs_write(CR4_SHADOW, val);
	vmx_vpid_flush(x);
	x->pdpte_load = (cr0 & CR0_PG) && (val & CR4_PAE) && !(efer & EFER_LMA);
	return true;
}

static u64 *vmx_gpr(struct vcpu *v, unsigned n) { return &v->regs.gpr[n & 15]; }

/* MOV to/from CR3 only exits when the CPU forces CR3 exiting (no TRUE controls). */
static bool vmx_cr3_access(struct vcpu *v, struct vmx_vcpu *x, bool write, unsigned gpr, u64 val)
{
	if (!write) {
		*vmx_gpr(v, gpr) = vmcs_read(GUEST_CR3);
		return true;
	}
	if (vmx_cr4_view() & CR4_PCIDE)
		val &= ~BIT(63); /* bit 63 only says "do not flush" (SDM Vol. 3A 4.10.4.1) */
	vmcs_write(GUEST_CR3, val);
	vmx_vpid_flush(x);
	x->pdpte_load = (vmx_cr0_view() & CR0_PG) && (vmx_cr4_view() & CR4_PAE) &&
			!(vmcs_read(GUEST_EFER) & EFER_LMA);
	return true;
}

static u32 vmx_cr_done(struct vcpu *v, bool ok)
{
	if (!ok) {
		vmx_inject_gp(v);
		return VEXIT_NONE;
	}
	vcpu_set_rip(v, v->regs.rip + v->exit.insn_len);
	vmx_clear_shadow(v);
	return VEXIT_NONE;
}

/* Exit qualification for CR accesses (SDM Vol. 3C Table 27-3): CR number 3:0, access type
 * 5:4 (MOV to, MOV from, CLTS, LMSW), GPR 11:8, LMSW source 31:16. */
u32 vmx_cr_access(struct vcpu *v, u64 qual)
{
	struct vmx_vcpu *x = vmx_of(v);
	unsigned cr = qual & 0xf, type = (qual >> 4) & 3, gpr = (qual >> 8) & 0xf;
	bool long64 = (vmcs_read(GUEST_EFER) & EFER_LMA) && vmx_cs_long();
	u64 val = *vmx_gpr(v, gpr);

	if (!long64)
		val = (u32)val;
	v->exit.cr.cr = (u8)cr;
	v->exit.cr.gpr = (u8)gpr;
	v->exit.cr.write = type == 0;
	switch (type) {
	case 0:
		if (cr == 0)
			return vmx_cr_done(v, vmx_cr0_write(x, val));
		if (cr == 4)
			return vmx_cr_done(v, vmx_cr4_write(x, val));
		if (cr == 3)
			return vmx_cr_done(v, vmx_cr3_access(v, x, true, gpr, val));
		return VEXIT_CR_ACCESS; /* CR8: the TPR belongs to the common code's APIC */
	case 1:
		if (cr == 3)
			return vmx_cr_done(v, vmx_cr3_access(v, x, false, gpr, 0));
		return VEXIT_CR_ACCESS;
	case 2:
		return vmx_cr_done(v, vmx_cr0_write(x, vmx_cr0_view() & ~8ull));
	default: {
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2A LMSW). */
		u64 old = vmx_cr0_view(), src = (qual >> 16) & 0xf;
		return vmx_cr_done(v, vmx_cr0_write(x, (old & ~0xeull) | src | (old & CR0_PE)));
	}
	}
}
