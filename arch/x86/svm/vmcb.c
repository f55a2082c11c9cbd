/* VMCB set-up: intercepts, the I/O and MSR permission maps, the reset state (APM 15.9-15.11). */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "svm.h"

/* What always exits. VMRUN must be intercepted or VMRUN fails (APM 15.5.1); INIT is Keel's to
 * handle (15.19); INTR/NMI exit so host interrupts are taken on the host (15.21); the
 * SVM instructions exit so the guest gets #UD (15.5.2, 15.14). */
#define SVM_ICPT1 (ICPT1_INTR | ICPT1_NMI | ICPT1_INIT | ICPT1_CPUID | ICPT1_INVD | ICPT1_HLT | \
		   ICPT1_INVLPGA | ICPT1_IOIO | ICPT1_MSR | ICPT1_TASKSW | ICPT1_SHUTDOWN)
#define SVM_ICPT2 (ICPT2_VMRUN | ICPT2_VMMCALL | ICPT2_VMLOAD | ICPT2_VMSAVE | ICPT2_STGI | \
		   ICPT2_CLGI | ICPT2_SKINIT | ICPT2_XSETBV)

#define GPAT_DEFAULT 0x0007040600070406ull /* the PAT's power-on value (APM Vol. 2 7.8.2) */

/* MSRs the guest reaches directly: VMLOAD/VMSAVE switch them with the VMCB (APM 15.5.2),
 * so the host never sees the guest's values. TSC_AUX is added when RDTSCP exists. */
static const u32 svm_owned_by_guest[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
};

/* The MSR permission map covers three ranges of 8192 MSRs, two bits each (APM 15.11). */
static const struct {
	u32 first;
	u32 byte;
} msrpm_ranges[] = { { 0x00000000, 0x0000 }, { 0xc0000000, 0x0800 }, { 0xc0010000, 0x1000 } };

static int msrpm_bit(u32 msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msrpm_ranges); i++) {
		u32 off = msr - msrpm_ranges[i].first;
		if (off < 0x2000)
			return (int)(msrpm_ranges[i].byte * 8 + off * 2);
	}
	return -1;
}

static void msrpm_set(u8 *map, int bit, bool intercept)
{
	if (intercept)
		map[bit / 8] |= (u8)(1u << (bit % 8));
	else
		map[bit / 8] &= (u8)~(1u << (bit % 8));
}

/* EFER stays intercepted so the guest never sees or clears SVME; the SVM MSRs are Keel's. */
static bool msr_backend_owned(u32 msr)
{
	return msr == MSR_EFER || (msr >= MSR_VM_CR && msr <= 0xc001011fu);
}

int svm_allow_msr(struct vcpu *v, u32 msr, bool read, bool write)
{
	struct svm_vcpu *s = svm_of(v);
	int bit = msrpm_bit(msr);

	if (msr_backend_owned(msr)) {
		pr_err("svm: MSR %#x stays intercepted (the backend owns it)", msr);
		return -EPERM;
	}
	if (bit < 0) {
		pr_err("svm: MSR %#x lies outside the MSR permission map; it always exits", msr);
		return -ERANGE;
	}
	msrpm_set(s->msrpm, bit, !read);
	msrpm_set(s->msrpm, bit + 1, !write);
	return 0;
}

/* One bit per port; a multi-byte access exits if any of its bits is set (APM 15.10.1). */
int svm_allow_io(struct vcpu *v, u32 port, u32 count)
{
	struct svm_vcpu *s = svm_of(v);

	if (count == 0 || port > 0xffff || count > 0x10000 - port) {
		pr_err("svm: port range %#x+%#x is outside 0..0xffff", port, count);
		return -ERANGE;
	}
	for (u32 p = port; p < port + count; p++)
		s->iopm[p / 8] &= (u8)~(1u << (p % 8));
	return 0;
}

/* #DB is also used internally while single-stepping to find the NMI window. */
void svm_exc_update(struct svm_vcpu *s)
{
	s->vmcb->ctl.exc_icpt = s->exc_user | (s->stepping ? BIT(1) : 0);
}

void svm_set_exc_intercepts(struct vcpu *v, u32 mask)
{
	struct svm_vcpu *s = svm_of(v);

	s->exc_user = mask;
	svm_exc_update(s);
}

static void vmcb_seg_reset(struct vmcb_seg *sg, u16 sel, u64 base, u16 attrib)
{
	*sg = (struct vmcb_seg){ .sel = sel, .attrib = attrib, .limit = 0xffff, .base = base };
}

/* The processor's state after RESET or INIT (APM Vol. 2 14.1.3), so a fresh VMCB is always
 * enterable; pending events, windows and the NMI bookkeeping start over too. */
void svm_reset_state(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_save *st = &s->vmcb->save;
	struct vmcb_seg *data[] = { &st->es, &st->ss, &st->ds, &st->fs, &st->gs };

	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		vmcb_seg_reset(data[i], 0, 0, 0x93);
	vmcb_seg_reset(&st->cs, 0xf000, 0xffff0000, 0x9b);
	vmcb_seg_reset(&st->gdtr, 0, 0, 0);
	vmcb_seg_reset(&st->idtr, 0, 0, 0);
	vmcb_seg_reset(&st->ldtr, 0, 0, 0x82);
	vmcb_seg_reset(&st->tr, 0, 0, 0x8b);
	st->cpl = 0;
	st->efer = EFER_SVME; /* VMRUN needs it (APM 15.5.1); the guest is shown EFER without it */
	st->cr0 = 0x60000010;
	st->cr2 = st->cr3 = st->cr4 = 0;
	st->dr6 = 0xffff0ff0;
	st->dr7 = 0x400;
	st->rflags = 2;
	st->rip = 0xfff0;
	st->rsp = st->rax = 0;
	st->g_pat = GPAT_DEFAULT;
	s->vmcb->ctl.eventinj = 0;
	s->vmcb->ctl.int_state = 0;
	s->want_intr = s->want_nmi = s->nmi_blocked = s->iret_seen = s->stepping = false;
	s->shutdown = s->parked = false;
	svm_work(s);
	svm_exc_update(s);
	svm_npt_flush(v);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.gpr[VCPU_RDX] = cpuid(1, 0).a; /* processor signature in EDX */
	v->regs.rip = st->rip;
	v->regs.rflags = st->rflags;
	v->dirty = 0;
	v->pending.type = VEVENT_NONE;
}

/* Parked until the common code delivers a start-up IPI with vcpu_start_at: SVM has no
 * wait-for-SIPI state, and a SIPI sent to a running AMD CPU is ignored (docs/svm.md). */
void svm_wait_sipi(struct vcpu *v)
{
	svm_reset_state(v);
	svm_of(v)->parked = true;
	svm_work(svm_of(v));
}

/* A start-up IPI starts real mode at CS = vector << 8, IP = 0 (SDM Vol. 3A 10.6.1, 8.4.4). */
void svm_start_at(struct vcpu *v, u8 vector)
{
	struct vmcb_save *st = &svm_of(v)->vmcb->save;

	svm_reset_state(v);
	st->cs.sel = (u16)(vector << 8);
	st->cs.base = (u64)vector << 12;
	st->rip = 0;
	v->regs.rip = 0;
}

void vmcb_init(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_control *c = &s->vmcb->ctl;

	memset(s->vmcb, 0, sizeof(*s->vmcb));
	memset(s->iopm, 0xff, SVM_IOPM_PAGES * PAGE_SIZE);
	memset(s->msrpm, 0xff, SVM_MSRPM_PAGES * PAGE_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(svm_owned_by_guest); i++)
		svm_allow_msr(v, svm_owned_by_guest[i], true, true);
	if (svm_feat.rdtscp)
		svm_allow_msr(v, MSR_TSC_AUX, true, true);
	c->cr_icpt = CR_ICPT_WRITE(4); /* svm_cr.c */
	c->icpt1 = SVM_ICPT1;
	c->icpt2 = SVM_ICPT2;
	c->iopm_pa = svm_pa(s->iopm);
	c->msrpm_pa = svm_pa(s->msrpm);
	c->asid = s->asid;
	/* Guest RFLAGS.IF masks only virtual interrupts; the host's IF governs physical ones,
	 * which then exit through the INTR intercept (APM 15.21.1). */
	c->vintr = VINTR_MASKING;
	svm_reset_state(v);
}
