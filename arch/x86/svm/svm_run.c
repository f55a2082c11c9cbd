/* One guest entry: register sync, guest XCR0, VMRUN through svm_entry.S, exit decoding; and
 * the CPUID exits answered without leaving (svm_run_fast). */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vcpu_run.h>
#include <keel/vlapic.h>
#include "../cpuid_kept.h"
#include "svm.h"

/* v->regs mirrors these four VMCB fields (read back at every exit and reset, and the event
 * code changes both copies), so when any is dirty all four are written. */
static inline void svm_regs_to_vmcb(struct vcpu *v, struct vmcb_save *st)
{
	if (!v->dirty)
		return;
	st->rip = v->regs.rip;
	st->rsp = v->regs.gpr[VCPU_RSP];
	st->rflags = v->regs.rflags;
	st->rax = v->regs.gpr[VCPU_RAX];
	v->dirty = 0;
}

static inline void svm_regs_from_vmcb(struct vcpu *v, const struct vmcb_save *st)
{
	v->regs.rip = st->rip;
	v->regs.gpr[VCPU_RSP] = st->rsp;
	v->regs.rflags = st->rflags;
	v->regs.gpr[VCPU_RAX] = st->rax;
}

/* With V_INTR_MASKING the guest's MOV to/from CR8 reads and writes V_TPR (APM Vol. 2 15.21.1),
 * which stands for the virtual LAPIC's TPR[7:4] (SDM Vol. 3A 10.8.6.1): it is copied in before
 * VMRUN when Keel set the TPR (vlapic.tpr_set; nothing else writes V_TPR but the guest) and
 * back after the exit, so both views agree at every exit. A lowered CR8 lets a masked
 * interrupt in at the next exit, not at the MOV itself (docs/interrupts.md). */
static inline void svm_tpr_to_vmcb(struct vlapic *l, struct vmcb_control *c)
{
	if (__builtin_expect(l->tpr_set, 0)) {
		c->vintr = (c->vintr & ~VINTR_V_TPR) | vlapic_get_cr8(l);
		l->tpr_set = false;
	}
}

static inline void svm_tpr_from_vmcb(struct vlapic *l, const struct vmcb_control *c)
{
	u8 now = (u8)(c->vintr & VINTR_V_TPR);
	if (now != vlapic_get_cr8(l))
		vlapic_set_cr8(l, now);
}

static u64 svm_xgetbv(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (u64)hi << 32;
}

/* VMRUN does not switch XCR0 (APM 15.5.1): the guest's value is loaded here and left in the
 * CPU, which only this vCPU uses; the core itself never touches extended state. XSETBV needs
 * CR4.OSXSAVE on the host, set only once a guest moves XCR0 away from its reset value 1:
 * QEMU 7.2 TCG without xsaveopt never retires a MOV to CR4 that sets OSXSAVE (docs/svm.md).
 * xcr0_cpu remembers what this vCPU left in its CPU, so most entries compare two fields. */
static void svm_load_xcr0(struct svm_vcpu *s)
{
	s->xcr0_cpu = s->xcr0;
	if (!svm_feat.xsave)
		return;
	u64 cr4 = read_cr4();
	if (!(cr4 & CR4_OSXSAVE)) {
		if (s->xcr0 == 1)
			return;
		write_cr4(cr4 | CR4_OSXSAVE);
	}
	if (svm_xgetbv() != s->xcr0)
		__asm__ volatile("xsetbv" : : "c"(0), "a"((u32)s->xcr0), "d"((u32)(s->xcr0 >> 32)));
}

/* The guest's XCR0 as the CPU holds it. QEMU 7.2 does not intercept XSETBV, so a guest can
 * change it without an exit: the CPU's value, not a copy, is the truth once the host can read
 * it (CR4.OSXSAVE); before that it is still the reset value or Keel's pending one. */
u64 svm_xcr0_live(const struct svm_vcpu *s)
{
	if (!svm_feat.xsave || s->xcr0 != s->xcr0_cpu || !(read_cr4() & CR4_OSXSAVE))
		return s->xcr0;
	return svm_xgetbv();
}

/* VMRUN loads CR2 from the VMCB on hardware (APM 15.5.1) and #VMEXIT leaves the guest's value
 * in the CPU; Bochs 2.7 does not load it, so it is put there first (docs/svm.md). */
static void svm_load_cr2(const struct vmcb *vmcb)
{
	if (read_cr2() != vmcb->save.cr2)
		write_cr2(vmcb->save.cr2);
}

/* The guest state in the VMCB is undefined now (QEMU writes host state into it): v->regs
 * keeps what was entered, the caller sets the rest again with vcpu_set_sregs. */
static void svm_entry_failed(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	const struct svm_snap *sn = &s->snap;
	const char *why = s->snap_fresh ? svm_check_state(sn) : NULL;
	bool fresh = s->snap_fresh;

	v->exit.kind = VEXIT_ENTRY_FAIL;
	v->exit.fail.qual = s->vmcb->ctl.exitinfo1;
	s->vmcb->ctl.eventinj = s->injected; /* not delivered: keep it for the next entry */
	svm_work(s);
	v->dirty |= VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	s->snap_fresh = false;
	if (!fresh) {
		/* QEMU TCG ends a guest's MOV to CR3 with bits above MAXPHYADDR this way (docs/svm.md). */
		pr_err("svm: vcpu %u: VMEXIT_INVALID after guest code ran, from state Keel did not "
		       "change: the CPU refused an instruction of the guest", v->id);
		return;
	}
	pr_err("svm: vcpu %u: VMRUN failed (VMEXIT_INVALID): %s", v->id,
	       why ? why : "no consistency rule Keel knows is broken");
	pr_err("svm: entered with cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx cs.attr %#x rip %#llx "
	       "eventinj %#llx", (unsigned long long)sn->cr0, (unsigned long long)sn->cr3,
	       (unsigned long long)sn->cr4, (unsigned long long)sn->efer, sn->cs_attrib,
	       (unsigned long long)v->regs.rip, (unsigned long long)sn->eventinj);
}

/* Entry checks a VMRUN never needs on the common path: a parked vCPU, nested paging off. */
static int svm_run_refused(struct vcpu *v, struct svm_vcpu *s)
{
	v->exit.kind = VEXIT_NONE;
	if (s->parked)
		return 0;
	/* Without nested paging the guest would address host memory directly. */
	pr_err("svm: vcpu %u: nested paging not activated; refusing to enter", v->id);
	return -EINVAL;
}

/* The entry steps that are rare, run while s->work is set or an event is pending: 1 to enter,
 * 0 when the guest is not entered (parked, an exit was synthesised), or an error. */
static inline __attribute__((always_inline)) int
svm_entry_rare(struct vcpu *v, struct svm_vcpu *s, struct vmcb *vmcb, bool *quiet)
{
	if (s->parked || !(vmcb->ctl.np_ctl & 1))
		return svm_run_refused(v, s);
	*quiet = svm_entry_quiet(v, s);
	if (*quiet)
		s->injected = 0;
	else if (!svm_event_before_entry(v))
		return 0; /* an exit was synthesised without entering (NMI window, shutdown) */
	/* The consistency checks can only fail on state Keel wrote (the CPU keeps the guest's own
	 * changes valid): such writes come with a TLB flush request (APM 15.16.1) or an event. */
	if (s->tlb_flush != TLB_NOTHING || (vmcb->ctl.eventinj & EVT_V)) {
		svm_snap_take(vmcb, &s->snap);
		s->snap_fresh = true;
		vmcb->ctl.tlb_control = s->tlb_flush;
	}
	if (s->xcr0 != s->xcr0_cpu)
		svm_load_xcr0(s);
	svm_load_cr2(vmcb);
	/* What is left for the next entry: the refusal and XCR0 are settled, the TLB flush and an
	 * event in EVENTINJ are this VMRUN's (its exit resets the one and, through the event pass,
	 * marks for the other when it stays undelivered); a window or an NMI's bookkeeping stays. */
	s->work = s->ev_entry || (vmcb->ctl.icpt1 & (ICPT1_VINTR | ICPT1_IRET));
	return 1;
}

/* Everything before VMRUN (see svm_entry_rare for the return value); *quiet says no event
 * pass ran (nothing to inject, no window or step armed). Without work (s->work, a pending
 * event), nothing of svm_entry_rare would change anything: the VMCB's CR2 is still the CPU's
 * (#VMEXIT leaves the guest's in the CPU, and Keel writes the VMCB's only with svm_work). */
static inline __attribute__((always_inline)) int svm_entry(struct vcpu *v, struct svm_vcpu *s,
							   struct vmcb *vmcb, bool *quiet)
{
	/* Each decoder fills its own union member: zeroing the whole struct would cost more. */
	v->exit.kind = VEXIT_NONE;
	v->exit.insn_len = 0;
	v->exit.vectoring = false;
	svm_regs_to_vmcb(v, &vmcb->save);
	if (__builtin_expect(s->work || v->pending.type != VEVENT_NONE, 0)) {
		int rc = svm_entry_rare(v, s, vmcb, quiet);
		if (rc <= 0)
			return rc;
	} else {
		*quiet = true;
		s->injected = 0;
	}
	if (v->lapic)
		svm_tpr_to_vmcb(v->lapic, &vmcb->ctl);
	return 1;
}

/* Everything after #VMEXIT: the register sync, the event pass, the decoding. */
static inline __attribute__((always_inline)) void svm_exit(struct vcpu *v, struct svm_vcpu *s,
							   struct vmcb *vmcb)
{
	if (__builtin_expect((u32)vmcb->ctl.exitcode == SVM_EXIT_INVALID, 0)) {
		svm_entry_failed(v);
		return;
	}
	/* snap_fresh is set only from a snapshot-taking entry to its exit (or its failure) */
	if (__builtin_expect(s->snap_fresh, 0)) {
		s->snap_fresh = false;
		s->tlb_flush = TLB_NOTHING;
		vmcb->ctl.tlb_control = TLB_NOTHING;
	}
	svm_regs_from_vmcb(v, &vmcb->save);
	if (v->lapic)
		svm_tpr_from_vmcb(v->lapic, &vmcb->ctl);
	if (__builtin_expect(svm_exit_quiet(s), 1))
		s->injected = 0;
	else
		svm_event_after_exit(v);
	svm_exit_decode(v);
}

/* A CPUID exit answered here (the answer is cpuid.c's): nothing to re-inject, V_TPR unchanged;
 * false leaves it to svm_exit. The interrupt shadow (VMCB 068h bit 0, APM Vol. 2 Table B-1)
 * ends as exit_skip_insn would end it. */
static inline bool svm_exit_fast(struct vcpu *v, struct vmcb *vmcb)
{
	if ((u32)vmcb->ctl.exitcode != SVM_EXIT_CPUID || (vmcb->ctl.exitintinfo & EVT_V) ||
	    (v->lapic && (u8)(vmcb->ctl.vintr & VINTR_V_TPR) != vlapic_get_cr8(v->lapic)))
		return false;
	v->regs.rip = vmcb->save.rip;
	v->regs.gpr[VCPU_RAX] = vmcb->save.rax;
	if (!exit_cpuid_fast(v, svm_feat.nrips ? svm_nrip_len(vmcb) : 0, svm_code_key_in))
		return false;
	vmcb->ctl.int_state &= ~1ull;
	return true;
}

/* After a quiet entry without a snapshot that ended in a CPUID exit with no event bookkeeping
 * to do (ev_exit): the exits svm_exit_fast answers enter again at once while vcpu_resume_fast
 * allows (what vcpu_loop would check before its next entry). Such an entry needs only RIP and
 * RAX in the VMCB: nothing else svm_entry reads can have changed since the quiet entry before.
 * The event state (ev_entry, ev_exit, EVENTINJ, the window intercepts), the TLB flush request,
 * XCR0 and the VMCB's CR2 change only in event passes, exit decoding and exit handlers, none of
 * which runs here; the TPR changes with a mark vcpu_resume_fast sees; the CPU's CR2 is the
 * guest's since that entry. Out of line: the other exits pay only the test that leads here. */
static __attribute__((noinline)) int svm_run_fast(struct vcpu *v, struct svm_vcpu *s,
						  struct vmcb *vmcb)
{
	while (svm_exit_fast(v, vmcb)) {
		if (!vcpu_resume_fast(v)) {
			/* VEXIT_NONE: vcpu_loop counts it and enters with v->dirty (RIP, RAX) */
			v->exit.raw = SVM_EXIT_CPUID;
			v->regs.gpr[VCPU_RSP] = vmcb->save.rsp;
			v->regs.rflags = vmcb->save.rflags;
			return 0;
		}
		vmcb->save.rip = v->regs.rip;
		vmcb->save.rax = v->regs.gpr[VCPU_RAX];
		v->dirty = 0;
		svm_vmrun(&v->regs, s->vmcb_pa, s->host_pa, v->host_intr);
	}
	v->exit.raw = vmcb->ctl.exitcode;
	svm_exit(v, s, vmcb);
	return 0;
}

int svm_vcpu_run(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	bool quiet;

	if (!s)
		return -ENODEV;
	struct vmcb *vmcb = s->vmcb;
	int rc = svm_entry(v, s, vmcb, &quiet);
	if (rc <= 0)
		return rc;
	svm_vmrun(&v->regs, s->vmcb_pa, s->host_pa, v->host_intr);
	if ((u32)vmcb->ctl.exitcode == SVM_EXIT_CPUID && quiet && !s->snap_fresh && !s->ev_exit)
		return svm_run_fast(v, s, vmcb);
	v->exit.raw = vmcb->ctl.exitcode;
	svm_exit(v, s, vmcb);
	return 0;
}
