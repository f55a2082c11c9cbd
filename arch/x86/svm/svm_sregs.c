/* Whole-state transfer between struct vcpu_sregs and the VMCB save area (APM 15.5, B-2). */
#include <keel/printk.h>
#include "svm.h"

/* VMCB attributes pack descriptor bits 40-47 into bits 0-7 and bits 52-55 into 8-11
 * (APM 15.5.1); the VMX layout keeps the high nibble at 12-15 and adds "unusable" at 16. */
u32 svm_attr_to_vmx(u16 attrib)
{
	u32 attr = (attrib & 0xffu) | ((attrib & 0xf00u) << 4);

	/* SVM has no "unusable" flag: a segment that is not present cannot be used. */
	if (!(attr & SEG_ATTR_P))
		attr |= SEG_ATTR_UNUSABLE;
	return attr;
}

/* An unusable segment keeps its DPL: the CPL may be derived from SS.DPL (QEMU does). */
u16 svm_attr_from_vmx(u32 attr)
{
	if (attr & SEG_ATTR_UNUSABLE)
		return (u16)(attr & 0x60u);
	return (u16)((attr & 0xffu) | ((attr >> 4) & 0xf00u));
}

static void seg_to_vmcb(struct vmcb_seg *d, const struct emul_seg *s)
{
	d->sel = s->sel;
	d->attrib = svm_attr_from_vmx(s->attr);
	d->limit = s->limit;
	d->base = s->base;
}

static void seg_from_vmcb(struct emul_seg *d, const struct vmcb_seg *s)
{
	d->sel = s->sel;
	d->attr = svm_attr_to_vmx(s->attrib);
	d->limit = s->limit;
	d->base = s->base;
}

/* The save area holds ES, CS, SS, DS, FS, GS in the order of enum emul_segreg (APM Table B-2). */
_Static_assert(__builtin_offsetof(struct vmcb_save, cs) == SEG_CS * sizeof(struct vmcb_seg) &&
	       __builtin_offsetof(struct vmcb_save, gs) == SEG_GS * sizeof(struct vmcb_seg),
	       "VMCB segment order");

static struct vmcb_seg *vmcb_segs(struct vmcb_save *st, unsigned i) { return &st->es + i; }

/* Each PAT entry must name a memory type (0, 1, 4, 5, 6, 7) or VMRUN fails (APM 15.25.8). */
static bool pat_valid(u64 pat)
{
	for (unsigned i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* XCR0 rules of XSETBV (APM Vol. 3 XSETBV): x87 set, only supported bits, AVX needs SSE. */
static bool xcr0_valid(u64 xcr0)
{
	return (xcr0 & 1) && !(xcr0 & ~svm_feat.xcr0_mask) && (!(xcr0 & 4) || (xcr0 & 2));
}

static void sregs_to_vmcb(struct svm_vcpu *s, const struct vcpu_sregs *sr)
{
	struct vmcb_save *st = &s->vmcb->save;

	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg_to_vmcb(vmcb_segs(st, i), &sr->seg[i]);
	seg_to_vmcb(&st->tr, &sr->tr);
	seg_to_vmcb(&st->ldtr, &sr->ldtr);
	st->gdtr = (struct vmcb_seg){ .limit = sr->gdtr_limit, .base = sr->gdtr_base };
	st->idtr = (struct vmcb_seg){ .limit = sr->idtr_limit, .base = sr->idtr_base };
	st->cr0 = sr->cr0;
	st->cr2 = sr->cr2;
	st->cr3 = sr->cr3;
	st->cr4 = sr->cr4;
	/* LMA is LME && PG, never written directly (APM Vol. 2 14.6.2); SVME must stay set. */
	u64 efer = (sr->efer & ~EFER_LMA) | EFER_SVME;
	if ((efer & EFER_LME) && (sr->cr0 & CR0_PG))
		efer |= EFER_LMA;
	st->efer = efer;
	st->cpl = (u8)(sr->cpl & 3);
	s->vmcb->ctl.int_state = sr->shadow ? 1 : 0;
}

void svm_set_sregs(struct vcpu *v, const struct vcpu_sregs *sr)
{
	struct svm_vcpu *s = svm_of(v);

	sregs_to_vmcb(s, sr);
	svm_work(s); /* CR2, XCR0, the TLB flush below */
	if (pat_valid(sr->pat))
		s->vmcb->save.g_pat = sr->pat;
	else
		pr_err("svm: vcpu %u: PAT %#llx has an invalid memory type; kept %#llx", v->id,
		       (unsigned long long)sr->pat, (unsigned long long)s->vmcb->save.g_pat);
	if (xcr0_valid(sr->xcr0)) {
		s->xcr0 = sr->xcr0;
		s->xcr0_cpu = ~0ull; /* the guest may have changed the CPU's without an exit */
	} else
		pr_err("svm: vcpu %u: XCR0 %#llx is not loadable (supported %#llx); kept %#llx",
		       v->id, (unsigned long long)sr->xcr0,
		       (unsigned long long)svm_feat.xcr0_mask, (unsigned long long)s->xcr0);
	/* A VMM change of CR3 or paging mode needs an explicit TLB flush (APM 15.16.1). */
	svm_npt_flush(v);
}

void svm_get_sregs(struct vcpu *v, struct vcpu_sregs *sr)
{
	struct svm_vcpu *s = svm_of(v);
	const struct vmcb_save *st = &s->vmcb->save;

	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg_from_vmcb(&sr->seg[i], vmcb_segs(&s->vmcb->save, i));
	seg_from_vmcb(&sr->tr, &st->tr);
	seg_from_vmcb(&sr->ldtr, &st->ldtr);
	sr->gdtr_base = st->gdtr.base;
	sr->gdtr_limit = st->gdtr.limit;
	sr->idtr_base = st->idtr.base;
	sr->idtr_limit = st->idtr.limit;
	sr->cr0 = st->cr0;
	sr->cr2 = st->cr2;
	sr->cr3 = st->cr3;
	sr->cr4 = st->cr4;
	sr->efer = st->efer & ~EFER_SVME;
	sr->pat = st->g_pat;
	sr->xcr0 = svm_xcr0_live(s);
	sr->cpl = st->cpl;
	/* SVM records one interrupt shadow without saying whether STI or MOV SS made it. */
	sr->shadow = (s->vmcb->ctl.int_state & 1) ? VCPU_SHADOW_STI : 0;
}

static __attribute__((noinline)) void svm_emul_segs(struct svm_vcpu *s, struct emul_regs *r)
{
	struct vmcb_save *st = &s->vmcb->save;

	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg_from_vmcb(&r->seg[i], vmcb_segs(st, i));
	__builtin_memcpy(s->seg_raw, &st->es, sizeof(s->seg_raw));
	s->seg_known = true;
}

/* Segments are converted only when their VMCB copy (ES..GS, contiguous) changed since the
 * last call: v->eregs keeps the converted ones, s->seg_raw the VMCB words they came from. */
void svm_get_emul_state(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_save *st = &s->vmcb->save;
	struct emul_regs *r = &v->eregs;
	const u8 *raw = (const u8 *)&st->es;
	u64 d = !s->seg_known;

	r->cr0 = st->cr0;
	r->cr3 = st->cr3;
	r->cr4 = st->cr4;
	r->efer = st->efer & ~EFER_SVME;
	r->cpl = st->cpl;
#pragma GCC unroll 12
	for (unsigned i = 0; i < ARRAY_SIZE(s->seg_raw); i++) {
		u64 w;
		__builtin_memcpy(&w, raw + 8 * i, sizeof(w));
		d |= w ^ s->seg_raw[i];
	}
	if (__builtin_expect(d, 0))
		svm_emul_segs(s, r); /* last: a tail call */
}

u64 svm_get_cr4(struct vcpu *v) { return svm_of(v)->vmcb->save.cr4; }
u32 svm_get_cpl(struct vcpu *v) { return svm_of(v)->vmcb->save.cpl; }

u32 svm_get_mode(struct vcpu *v)
{
	const struct vmcb_save *st = &svm_of(v)->vmcb->save;
	struct emul_seg cs;

	/* 64-bit mode: EFER.LMA and CS.L (APM Vol. 2 4.8.1), the common case first. */
	if ((st->efer & EFER_LMA) && (st->cs.attrib & 0x200))
		return EMUL_MODE_LONG64;
	seg_from_vmcb(&cs, &st->cs);
	return emul_mode_of(st->cr0, st->efer, st->rflags, &cs);
}

__attribute__((noinline)) void svm_code_key_store(const struct vmcb_save *st, u64 *key)
{
	for (unsigned i = 0; i < VCPU_CODE_KEY_WORDS; i++)
		key[i] = svm_key_word(st, i);
}

bool svm_code_key(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS]) { return svm_code_key_in(v, key); }
