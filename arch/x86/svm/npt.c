/* Nested page table entries and activation (APM Vol. 2 15.25). NPT entries use the long-mode
 * page-table format of the host; every nested walk is a user access, so U/S=1 at every level
 * (15.25.5). Memory type: the nested entry selects a host PAT entry through PWT/PCD/PAT and
 * the result combines with the guest's type from gPAT (15.25.8); RAM is mapped write-back so
 * the guest's own type (gPAT and its page tables) decides, as on bare metal. */
#include <keel/printk.h>
#include "svm.h"

#define PTE_P   BIT(0)
#define PTE_RW  BIT(1)
#define PTE_US  BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A   BIT(5)
#define PTE_D   BIT(6)
#define PTE_PS  BIT(7)
#define PTE_PAT_4K    BIT(7)
#define PTE_PAT_LARGE BIT(12)
#define PTE_NX  BIT(63)
#define PTE_ADDR 0x000ffffffffff000ull

static const char *const mt_names[8] = { "UC", "WC", "?", "?", "WT", "WP", "WB", "UC-" };

/* Map each memory type to the first host PAT entry holding it; a type the host PAT lacks
 * falls back to UC, the strictest (the default PAT has no WC or WP). */
void svm_npt_pat_setup(u64 host_pat)
{
	static const u8 types[] = { NPT_MT_UC, NPT_MT_WC, NPT_MT_WT, NPT_MT_WP, NPT_MT_WB };
	u8 uc = 3;

	for (unsigned i = 0; i < 8; i++)
		if (((host_pat >> (8 * i)) & 7) == NPT_MT_UC) {
			uc = (u8)i;
			break;
		}
	for (unsigned i = 0; i < 8; i++)
		svm_feat.pat_index[i] = uc;
	for (unsigned t = 0; t < ARRAY_SIZE(types); t++) {
		unsigned i = 0;
		while (i < 8 && ((host_pat >> (8 * i)) & 7) != types[t])
			i++;
		if (i < 8)
			svm_feat.pat_index[types[t]] = (u8)i;
		else
			pr_info("svm: host PAT %#llx has no %s entry; %s mappings use UC",
				(unsigned long long)host_pat, mt_names[types[t]], mt_names[types[t]]);
	}
}

static const u64 level_mask[] = { 0, 0x000ffffffffff000ull, 0x000fffffffe00000ull,
				  0x000fffffc0000000ull };

/* level: 1 = 4 KiB page (PTE), 2 = 2 MiB (PDE), 3 = 1 GiB (PDPTE). Returns 0 (not present)
 * for what NPT cannot express: no read permission, another level, 1 GiB without the CPU's
 * support. Without EFER.NXE support every mapping is executable. */
u64 svm_npt_leaf(u64 hpa, unsigned prot, enum npt_memtype mt, unsigned level)
{
	if (!(prot & NPT_R) || level < 1 || level > 3 || (level == 3 && !svm_feat.gbpages))
		return 0;
	u8 idx = svm_feat.pat_index[(unsigned)mt & 7];
	u64 e = (hpa & level_mask[level]) | PTE_P | PTE_US | PTE_A;

	if (prot & NPT_W)
		e |= PTE_RW | PTE_D;
	if (idx & 1)
		e |= PTE_PWT;
	if (idx & 2)
		e |= PTE_PCD;
	if (idx & 4)
		e |= level == 1 ? PTE_PAT_4K : PTE_PAT_LARGE;
	if (level > 1)
		e |= PTE_PS;
	if (!(prot & NPT_X) && svm_feat.nx)
		e |= PTE_NX;
	return e;
}

/* Non-leaf entries grant everything; the leaf decides. */
u64 svm_npt_table(u64 hpa) { return (hpa & PTE_ADDR) | PTE_P | PTE_RW | PTE_US | PTE_A; }

void svm_npt_activate(struct vcpu *v, u64 root_hpa)
{
	struct vmcb *vmcb = svm_of(v)->vmcb;

	if (!root_hpa || (root_hpa & 0xfff)) {
		pr_err("svm: vcpu %u: nested root %#llx is not a page address", v->id,
		       (unsigned long long)root_hpa);
		return;
	}
	vmcb->ctl.ncr3 = root_hpa;
	vmcb->ctl.np_ctl |= 1; /* NP_ENABLE (APM 15.25.3) */
	svm_work(svm_of(v));
	svm_npt_flush(v);
}

/* Guest TLB entries are tagged by ASID and outlive VMRUN: changed nested entries need a flush
 * of this ASID, or of every ASID without FlushByAsid (APM 15.16.1). */
void svm_npt_flush(struct vcpu *v)
{
	svm_of(v)->tlb_flush = svm_feat.flush_asid ? TLB_FLUSH_ASID : TLB_FLUSH_ALL;
	svm_work(svm_of(v));
}
