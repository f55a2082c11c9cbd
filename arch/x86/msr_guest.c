/* Guest MSR accesses that exit: an allow-list of emulated MSRs (single MSRs and ranges); anything
 * else is #GP(0), as a CPU without that MSR would do. The MSRs a guest owns outright (FS/GS/KERNEL_GS base, SYSCALL
 * and SYSENTER MSRs) never exit: the backends pass them through in their MSR bitmaps. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/vlapic.h>

#define MSR_TSC         0x10u
#define MSR_PLATFORM_ID 0x17u
#define MSR_UCODE_REV   0x8bu
#define MSR_MTRRCAP     0xfeu
#define MSR_MCG_CAP     0x179u
#define MSR_MCG_STATUS  0x17au
#define MSR_MCG_CTL     0x17bu
#define MSR_MC_CTL2     0x280u /* 0x280-0x29f: MCi_CTL2 */
#define MSR_MTRR_DEF    0x2ffu
#define MSR_MC_BANKS    0x400u /* 0x400-0x47f: MCi_CTL/STATUS/ADDR/MISC */
#define MSR_APIC_BASE   0x1bu
#define MSR_MISC_ENABLE 0x1a0u
#define MSR_PAT         0x277u
#define MSR_TSC_DEADLINE 0x6e0u
#define MSR_EFER        0xc0000080u
#define MSR_K8_INT_PENDING 0xc0010055u

#define APIC_BASE_DEFAULT 0xfee00000ull
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_EXTD    (1ull << 10)
#define APIC_BASE_EN      (1ull << 11)

#define EFER_SCE 0x1ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define EFER_NXE 0x800ull
#define CR0_PG   0x80000000ull

/* MISC_ENABLE as Intel documents its reset state: fast strings, BTS/PEBS unavailable
 * (SDM Vol. 4 table 2-2). */
#define MISC_ENABLE_VALUE ((1ull << 0) | (1ull << 11) | (1ull << 12))

struct msr_handler {
	u32 msr, count;
	int (*read)(struct vcpu *v, u64 *val);
	int (*write)(struct vcpu *v, u64 val);
};

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static int msr_tsc_read(struct vcpu *v, u64 *val)
{
	*val = rdtsc() + v->part->tsc_offset;
	return 0;
}

/* A TSC write moves the partition's one offset, so its vCPUs stay in step. */
static int msr_tsc_write(struct vcpu *v, u64 val)
{
	v->part->tsc_offset = val - rdtsc();
	for (u32 i = 0; i < v->part->nr_vcpus; i++)
		v->part->vcpu[i]->tsc_dirty = true;
	return 0;
}

static int msr_apic_base_read(struct vcpu *v, u64 *val)
{
	*val = APIC_BASE_DEFAULT | APIC_BASE_EN | (v->id == 0 ? APIC_BASE_BSP : 0);
	return 0;
}

/* The xAPIC stays at its default base and enabled; x2APIC is not offered. */
static int msr_apic_base_write(struct vcpu *v, u64 val)
{
	u64 cur;
	msr_apic_base_read(v, &cur);
	return (val & ~APIC_BASE_BSP) == (cur & ~APIC_BASE_BSP) ? 0 : -1;
}

/* MISC_ENABLE exists on Intel only; AMD CPUs #GP on it. */
static int msr_misc_enable_read(struct vcpu *v, u64 *val)
{
	(void)v;
	if (virt != &vmx_ops)
		return -1;
	*val = MISC_ENABLE_VALUE;
	return 0;
}

static int msr_misc_enable_write(struct vcpu *v, u64 val)
{
	(void)v;
	(void)val;
	return virt == &vmx_ops ? 0 : -1;
}

static int msr_pat_read(struct vcpu *v, u64 *val)
{
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	*val = s.pat;
	return 0;
}

/* Each PAT entry must be a defined memory type: 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A 11.12.2). */
static int msr_pat_write(struct vcpu *v, u64 val)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(val >> (8 * i));
		if (t == 2 || t == 3 || t > 7)
			return -1;
	}
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	s.pat = val;
	virt->vcpu_set_sregs(v, &s);
	return 0;
}

static int msr_efer_read(struct vcpu *v, u64 *val)
{
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	*val = s.efer;
	return 0;
}

/* Reserved bits #GP; LME cannot change while paging is on; LMA is read-only
 * (SDM Vol. 3A 9.8.5, 2.2.1). */
static int msr_efer_write(struct vcpu *v, u64 val)
{
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return -1;
	if ((s.cr0 & CR0_PG) && ((val ^ s.efer) & EFER_LME))
		return -1;
	s.efer = (val & ~EFER_LMA) | (s.efer & EFER_LMA);
	virt->vcpu_set_sregs(v, &s);
	return 0;
}

static int msr_zero_read(struct vcpu *v, u64 *val)
{
	(void)v;
	*val = 0;
	return 0;
}

static int msr_ignore_write(struct vcpu *v, u64 val)
{
	(void)v;
	(void)val;
	return 0;
}

static int msr_readonly_write(struct vcpu *v, u64 val)
{
	(void)v;
	(void)val;
	return -1;
}

/* PLATFORM_ID is Intel's; AMD CPUs #GP on it. */
static int msr_platform_id_read(struct vcpu *v, u64 *val)
{
	return virt == &vmx_ops ? msr_zero_read(v, val) : -1;
}

/* AMD K8's interrupt-pending message register: 0 means no C1E on halt (Linux reads it on CPUs
 * with erratum 400, QEMU's qemu64 among them); other vendors #GP. */
static int msr_k8_int_pending_read(struct vcpu *v, u64 *val)
{
	return virt == &svm_ops ? msr_zero_read(v, val) : -1;
}

static int msr_k8_int_pending_write(struct vcpu *v, u64 val)
{
	(void)val;
	return virt == &svm_ops ? msr_ignore_write(v, 0) : -1;
}

/* MTRRs: no variable ranges, no fixed ranges, default type write-back with MTRRs enabled, as
 * firmware leaves them over RAM; Keel's EPT/NPT decide the memory type (SDM Vol. 3A 11.11). */
static int msr_mtrr_def_read(struct vcpu *v, u64 *val)
{
	*val = v->mtrr_def;
	return 0;
}

/* Bits 7:0 type (0, 1, 4, 5 or 6), 10 FE (no fixed ranges here), 11 E; the rest reserved. */
static int msr_mtrr_def_write(struct vcpu *v, u64 val)
{
	u8 type = (u8)val;
	if ((val & ~0x8ffull) || type == 2 || type == 3 || type > 6)
		return -1;
	v->mtrr_def = val;
	return 0;
}

/* Keel's table, sorted by nothing: it is short. Machine-check MSRs read 0 and take writes, so
 * a guest that reads them anyway never takes the #GP Linux turns into a panic
 * (docs/linux.md); CPUID hides MCE and MCA. */
static const struct msr_handler msr_table[] = {
	{ MSR_TSC, 1, msr_tsc_read, msr_tsc_write },
	{ MSR_PLATFORM_ID, 1, msr_platform_id_read, msr_ignore_write },
	{ MSR_APIC_BASE, 1, msr_apic_base_read, msr_apic_base_write },
	{ MSR_UCODE_REV, 1, msr_zero_read, msr_ignore_write },
	{ MSR_MTRRCAP, 1, msr_zero_read, msr_readonly_write },
	{ MSR_MCG_CAP, 1, msr_zero_read, msr_readonly_write },
	{ MSR_MCG_STATUS, 1, msr_zero_read, msr_ignore_write },
	{ MSR_MCG_CTL, 1, msr_zero_read, msr_ignore_write },
	{ MSR_MISC_ENABLE, 1, msr_misc_enable_read, msr_misc_enable_write },
	{ MSR_PAT, 1, msr_pat_read, msr_pat_write },
	{ MSR_MC_CTL2, 0x20, msr_zero_read, msr_ignore_write },
	{ MSR_MTRR_DEF, 1, msr_mtrr_def_read, msr_mtrr_def_write },
	{ MSR_MC_BANKS, 0x80, msr_zero_read, msr_ignore_write },
	{ MSR_TSC_DEADLINE, 1, vlapic_timer_deadline_read, vlapic_timer_deadline_write },
	{ MSR_EFER, 1, msr_efer_read, msr_efer_write },
	{ MSR_K8_INT_PENDING, 1, msr_k8_int_pending_read, msr_k8_int_pending_write },
};

static const struct msr_handler *msr_find(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr - msr_table[i].msr < msr_table[i].count)
			return &msr_table[i];
	return NULL;
}

int msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	const struct msr_handler *h = msr_find(msr);
	return h ? h->read(v, val) : -1;
}

int msr_write(struct vcpu *v, u32 msr, u64 val)
{
	const struct msr_handler *h = msr_find(msr);
	return h ? h->write(v, val) : -1;
}
