/* One guest entry: register sync, guest XCR0, VMRUN through svm_entry.S, exit decoding. */
#include <keel/errno.h>
#include <keel/printk.h>
#include <keel/string.h>
#include "svm.h"

static void svm_regs_to_vmcb(struct vcpu *v, struct vmcb_save *st)
{
	if (v->dirty & VCPU_DIRTY_RIP)
		st->rip = v->regs.rip;
	if (v->dirty & VCPU_DIRTY_RSP)
		st->rsp = v->regs.gpr[VCPU_RSP];
	if (v->dirty & VCPU_DIRTY_RFLAGS)
		st->rflags = v->regs.rflags;
	if (v->dirty & VCPU_DIRTY_RAX)
		st->rax = v->regs.gpr[VCPU_RAX];
	v->dirty = 0;
}

static void svm_regs_from_vmcb(struct vcpu *v, const struct vmcb_save *st)
{
	v->regs.rip = st->rip;
	v->regs.gpr[VCPU_RSP] = st->rsp;
	v->regs.rflags = st->rflags;
	v->regs.gpr[VCPU_RAX] = st->rax;
}

static u64 svm_xgetbv(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (u64)hi << 32;
}

/* VMRUN does not switch XCR0 (APM 15.5.1): the guest's value is loaded here when Keel set it
 * and left in the CPU, which only this vCPU uses; the core itself never touches extended state.
 * XSETBV needs CR4.OSXSAVE on the host, set only once a guest moves XCR0 away from its reset
 * value 1: QEMU 7.2 TCG without xsaveopt never retires a MOV to CR4 that sets OSXSAVE
 * (docs/svm.md). */
static void svm_load_xcr0(struct svm_vcpu *s)
{
	if (!svm_feat.xsave || !s->xcr0_load)
		return;
	u64 cr4 = read_cr4();
	s->xcr0_load = false;
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
	if (!svm_feat.xsave || s->xcr0_load || !(read_cr4() & CR4_OSXSAVE))
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
	const char *why = svm_check_state(sn);

	v->exit.kind = VEXIT_ENTRY_FAIL;
	v->exit.fail.qual = s->vmcb->ctl.exitinfo1;
	s->vmcb->ctl.eventinj = s->injected; /* not delivered: keep it for the next entry */
	v->dirty |= VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS | VCPU_DIRTY_RAX;
	pr_err("svm: vcpu %u: VMRUN failed (VMEXIT_INVALID): %s", v->id,
	       why ? why : "no consistency rule Keel knows is broken");
	pr_err("svm: entered with cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx cs.attr %#x rip %#llx "
	       "eventinj %#llx", (unsigned long long)sn->cr0, (unsigned long long)sn->cr3,
	       (unsigned long long)sn->cr4, (unsigned long long)sn->efer, sn->cs_attrib,
	       (unsigned long long)v->regs.rip, (unsigned long long)sn->eventinj);
}

int svm_vcpu_run(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);

	if (!s)
		return -ENODEV;
	struct vmcb *vmcb = s->vmcb;
	v->exit = (struct vexit){ .kind = VEXIT_NONE };
	if (s->parked)
		return 0;
	/* Without nested paging the guest would address host memory directly. */
	if (!(vmcb->ctl.np_ctl & 1)) {
		pr_err("svm: vcpu %u: nested paging not activated; refusing to enter", v->id);
		return -EINVAL;
	}
	svm_regs_to_vmcb(v, &vmcb->save);
	if (!svm_event_before_entry(v))
		return 0; /* an exit was synthesised without entering (NMI window, shutdown) */
	vmcb->ctl.tlb_control = s->tlb_flush;
	vmcb->ctl.clean = 0; /* Keel does not track VMCB clean bits: everything is reloaded */
	svm_load_xcr0(s);
	svm_load_cr2(vmcb);
	svm_snap_take(vmcb, &s->snap);
	svm_vmrun(&v->regs, s->vmcb_pa, s->host_pa);
	s->tlb_flush = TLB_NOTHING;
	vmcb->ctl.tlb_control = TLB_NOTHING;
	v->exit.raw = vmcb->ctl.exitcode;
	if ((u32)vmcb->ctl.exitcode == SVM_EXIT_INVALID) {
		svm_entry_failed(v);
		return 0;
	}
	svm_regs_from_vmcb(v, &vmcb->save);
	svm_event_after_exit(v);
	svm_exit_decode(v);
	return 0;
}
