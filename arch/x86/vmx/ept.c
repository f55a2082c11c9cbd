/* EPT entry encodings, EPTP activation, INVEPT/INVVPID, and a small EPT walker the backend
 * uses to read guest memory (PAE PDPTEs). */
#include <keel/errno.h>
#include <keel/phys.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "vmx.h"

#define EPT_ADDR_MASK 0x000ffffffffff000ull
#define EPT_IPAT      BIT(6)
#define EPT_LARGE     BIT(7)

/* Leaf entries (SDM Vol. 3C 28.2.2, Tables 28-1 to 28-6): R/W/X in bits 2:0, the EPT memory
 * type in 5:3, ignore-PAT in 6, page size in 7. RAM is write-back with ignore-PAT so a guest
 * PAT cannot make it uncacheable; other types leave the guest's PAT in the combination
 * (28.2.6.2) so it can still ask for write-combining on device memory. */
u64 vmx_npt_leaf(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level)
{
	static const u64 level_cap[] = { 0, ~0ull, EPT_CAP_2M, EPT_CAP_1G };

	if (level < 1 || level > 3 || !(vmx_caps.ept_vpid & level_cap[level]))
		return 0;
	if (hpa & ((1ull << (12 + 9 * (level - 1))) - 1) & EPT_ADDR_MASK)
		return 0;
	if (mt != NPT_MT_UC && mt != NPT_MT_WC && mt != NPT_MT_WT && mt != NPT_MT_WP &&
	    mt != NPT_MT_WB)
		return 0;
	prot &= NPT_RWX;
	if (!prot)
		return 0;
	/* Write without read is a misconfiguration; execute-only needs EPT_CAP_XONLY (28.2.3.1). */
	if ((prot & NPT_W) || (prot == NPT_X && !(vmx_caps.ept_vpid & EPT_CAP_XONLY)))
		prot |= NPT_R;
	u64 e = (hpa & EPT_ADDR_MASK) | prot | (u64)mt << 3;
	if (mt == NPT_MT_WB)
		e |= EPT_IPAT;
	if (level > 1)
		e |= EPT_LARGE;
	return e;
}

u64 vmx_npt_table(u64 hpa) { return (hpa & EPT_ADDR_MASK) | NPT_RWX; }

static void vmx_invept(u64 type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	__asm__ volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

void vmx_npt_flush(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);

	/* Single-context INVEPT drops the guest-physical and combined mappings of this EPTP for
	 * every VPID (SDM Vol. 3C 28.3.3.1). */
	if (vmx_caps.ept_vpid & EPT_CAP_INVEPT_CTX)
		vmx_invept(1, x->eptp);
	else
		vmx_invept(2, 0);
}

/* EPTP: memory type WB (2:0), page-walk length 4 - 1 (5:3), A/D enable 6 (SDM 24.6.11). */
void vmx_npt_activate(struct vcpu *v, u64 root_hpa)
{
	struct vmx_vcpu *x = vmx_of(v);

	x->eptp = (root_hpa & EPT_ADDR_MASK) | 3 << 3 | NPT_MT_WB;
	if (vmx_caps.ept_vpid & EPT_CAP_AD)
		x->eptp |= BIT(6);
	vmx_load(x);
	vmcs_write(EPT_POINTER, x->eptp);
	vmx_npt_flush(v);
}

void vmx_vpid_flush(struct vmx_vcpu *x)
{
	struct { u64 vpid, addr; } desc = { x->vpid, 0 };
	u64 type = (vmx_caps.ept_vpid & VPID_CAP_CTX) ? 1 : 2;

	if (!x->vpid)
		return; /* without VPID every entry flushes already (SDM Vol. 3C 28.3.3.1) */
	__asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

/* Guest-physical → host-physical through x's EPT; returns 0 with *hpa set or -EFAULT when
 * nothing readable is mapped there. */
static int vmx_ept_translate(struct vmx_vcpu *x, u64 gpa, u64 *hpa)
{
	u64 table = x->eptp & EPT_ADDR_MASK;

	if (!table)
		return -EFAULT;
	for (int level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		const u64 *t = phys_map(table, PAGE_SIZE);
		if (!t)
			return -EFAULT;
		u64 e = t[(gpa >> shift) & 511];
		if (!(e & NPT_R))
			return -EFAULT;
		if (level == 1 || (level <= 3 && (e & EPT_LARGE))) {
			u64 size = 1ull << shift;
			*hpa = (e & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
			return 0;
		}
		table = e & EPT_ADDR_MASK;
	}
	return -EFAULT;
}

int vmx_gpa_read(struct vmx_vcpu *x, u64 gpa, void *buf, u32 len)
{
	u8 *out = buf;

	while (len) {
		u64 hpa;
		u32 chunk = (u32)MIN((u64)len, PAGE_SIZE - (gpa & 0xfff));
		const void *src;
		if (vmx_ept_translate(x, gpa, &hpa) < 0 || !(src = phys_map(hpa, chunk)))
			return -EFAULT;
		memcpy(out, src, chunk);
		out += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}
