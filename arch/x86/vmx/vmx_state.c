/* Guest state transfer between struct vcpu_sregs and the VMCS guest-state area, the INIT
 * state, wait-for-SIPI and start-up. */
#include <keel/printk.h>
#include <keel/string.h>
#include "vmx.h"

#define AR_MASK 0x1f0ffu /* bits 11:8 and 31:17 of the access rights are reserved (Table 24-2) */

static void vmx_seg_write(unsigned i, const struct emul_seg *s, bool may_be_unusable)
{
	u32 ar = s->attr & AR_MASK;

	if (!ar && may_be_unusable)
		ar = SEG_ATTR_UNUSABLE;
	/* G must agree with the byte-granular limit (SDM Vol. 3C 26.3.1.2). */
	if (s->limit > 0xfffff)
		ar |= SEG_ATTR_G;
	else if ((s->limit & 0xfff) != 0xfff)
		ar &= ~SEG_ATTR_G;
	vmcs_write(GUEST_SEL + 2 * i, s->sel);
	vmcs_write(GUEST_LIMIT + 2 * i, s->limit);
	vmcs_write(GUEST_AR + 2 * i, ar);
	vmcs_write(GUEST_BASE + 2 * i, s->base);
}

static void vmx_seg_read(unsigned i, struct emul_seg *s)
{
	s->sel = (u16)vmcs_read(GUEST_SEL + 2 * i);
	s->limit = (u32)vmcs_read(GUEST_LIMIT + 2 * i);
	s->attr = (u32)vmcs_read(GUEST_AR + 2 * i) & AR_MASK;
	s->base = vmcs_read(GUEST_BASE + 2 * i);
}

static bool vmx_xcr0_valid(u64 xcr0)
{
	/* XCR0 rules of XSETBV (SDM Vol. 2, XSETBV): x87 always on, AVX needs SSE, no unknown bits. */
	return (xcr0 & 1) && !(xcr0 & ~vmx_caps.xcr0_mask) && (!(xcr0 & 4) || (xcr0 & 2));
}

static void vmx_set_controls_state(struct vcpu *v, const struct vcpu_sregs *s)
{
	struct vmx_vcpu *x = vmx_of(v);
	u32 entry = (u32)vmcs_read(ENTRY_CTLS) & ~ENTRY_IA32E;

	vmcs_write(GUEST_CR0, vmx_cr0_real(s->cr0));
	vmcs_write(CR0_SHADOW, s->cr0);
	vmcs_write(GUEST_CR4, vmx_cr4_real(s->cr4));
	vmcs_write(CR4_SHADOW, s->cr4);
	vmcs_write(GUEST_CR3, s->cr3);
	vmcs_write(GUEST_EFER, s->efer);
	vmcs_write(GUEST_PAT, s->pat);
	/* "IA-32e mode guest" must equal EFER.LMA (SDM Vol. 3C 26.3.1.1). */
	vmcs_write(ENTRY_CTLS, (s->efer & EFER_LMA) ? entry | ENTRY_IA32E : entry);
	x->cr2 = s->cr2;
	x->cr2_load = true;
	if (vmx_caps.xcr0_mask && vmx_xcr0_valid(s->xcr0)) {
		x->xcr0 = s->xcr0;
		x->xcr0_load = true;
	} else if (vmx_caps.xcr0_mask) {
		pr_err("vmx: vCPU %u: invalid XCR0 %#llx ignored", v->id, (unsigned long long)s->xcr0);
	}
	x->pdpte_load = (s->cr0 & CR0_PG) && (s->cr4 & CR4_PAE) && !(s->efer & EFER_LMA);
}

void vmx_set_sregs(struct vcpu *v, const struct vcpu_sregs *s)
{
	struct vmx_vcpu *x = vmx_of(v);
	struct emul_seg ss = s->seg[SEG_SS];

	vmx_load(x);
	/* CPL is SS.DPL under VMX (SDM Vol. 3C 24.4.1). */
	ss.attr = (ss.attr & ~0x60u) | (s->cpl & 3) << 5;
	for (unsigned i = 0; i < SEG_COUNT; i++)
		vmx_seg_write(i, i == SEG_SS ? &ss : &s->seg[i], i != SEG_CS);
	vmx_seg_write(VMX_SEG_LDTR, &s->ldtr, true);
	vmx_seg_write(VMX_SEG_TR, &s->tr, false);
	vmcs_write(GUEST_GDTR_BASE, s->gdtr_base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdtr_limit);
	vmcs_write(GUEST_IDTR_BASE, s->idtr_base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idtr_limit);
	vmx_set_controls_state(v, s);
	u32 block = (u32)vmcs_read(GUEST_INTERRUPTIBILITY) & ~(BLOCK_STI | BLOCK_MOVSS);
	if (s->shadow & VCPU_SHADOW_STI)
		block |= BLOCK_STI;
	if (s->shadow & VCPU_SHADOW_MOVSS)
		block |= BLOCK_MOVSS;
	vmcs_write(GUEST_INTERRUPTIBILITY, block);
	/* The guest's linear mappings changed wholesale, not by a guest instruction. */
	vmx_vpid_flush(x);
}

static u64 vmx_guest_cr(u32 real, u32 mask, u32 shadow)
{
	u64 m = vmcs_read(mask);

	/* Masked bits read from the shadow, the rest from the real register (SDM Vol. 3C 25.3). */
	return (vmcs_read(real) & ~m) | (vmcs_read(shadow) & m);
}

static u64 vmx_xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (u64)hi << 32 | lo;
}

void vmx_get_sregs(struct vcpu *v, struct vcpu_sregs *s)
{
	struct vmx_vcpu *x = vmx_of(v);

	vmx_load(x);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		vmx_seg_read(i, &s->seg[i]);
	vmx_seg_read(VMX_SEG_LDTR, &s->ldtr);
	vmx_seg_read(VMX_SEG_TR, &s->tr);
	s->gdtr_base = vmcs_read(GUEST_GDTR_BASE);
	s->gdtr_limit = (u32)vmcs_read(GUEST_GDTR_LIMIT);
	s->idtr_base = vmcs_read(GUEST_IDTR_BASE);
	s->idtr_limit = (u32)vmcs_read(GUEST_IDTR_LIMIT);
	s->cr0 = vmx_guest_cr(GUEST_CR0, CR0_MASK, CR0_SHADOW);
	s->cr4 = vmx_guest_cr(GUEST_CR4, CR4_MASK, CR4_SHADOW);
	s->cr3 = vmcs_read(GUEST_CR3);
	/* CR2 is not in the VMCS: the guest's value stays in the register across exits. */
	s->cr2 = x->cr2_load ? x->cr2 : read_cr2();
	s->efer = vmcs_read(GUEST_EFER);
	s->pat = vmcs_read(GUEST_PAT);
	s->xcr0 = (vmx_caps.xcr0_mask && !x->xcr0_load) ? vmx_xgetbv0() : x->xcr0;
	s->cpl = SEG_ATTR_DPL(s->seg[SEG_SS].attr);
	u32 block = (u32)vmcs_read(GUEST_INTERRUPTIBILITY);
	s->shadow = ((block & BLOCK_STI) ? VCPU_SHADOW_STI : 0) |
		    ((block & BLOCK_MOVSS) ? VCPU_SHADOW_MOVSS : 0);
}

void vmx_get_emul_state(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);
	struct emul_regs *r = &v->eregs;

	vmx_load(x);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		vmx_seg_read(i, &r->seg[i]);
	r->cr0 = vmx_guest_cr(GUEST_CR0, CR0_MASK, CR0_SHADOW);
	r->cr4 = vmx_guest_cr(GUEST_CR4, CR4_MASK, CR4_SHADOW);
	r->cr3 = vmcs_read(GUEST_CR3);
	r->efer = vmcs_read(GUEST_EFER);
	r->cpl = SEG_ATTR_DPL(r->seg[SEG_SS].attr);
}

u64 vmx_get_cr4(struct vcpu *v)
{
	vmx_load(vmx_of(v));
	return vmx_guest_cr(GUEST_CR4, CR4_MASK, CR4_SHADOW);
}

/* CPL is SS.DPL under VMX (SDM Vol. 3C 24.4.1). */
u32 vmx_get_cpl(struct vcpu *v)
{
	vmx_load(vmx_of(v));
	return SEG_ATTR_DPL((u32)vmcs_read(GUEST_AR + 2 * SEG_SS));
}

u32 vmx_get_mode(struct vcpu *v)
{
	struct emul_seg cs;

	vmx_load(vmx_of(v));
	vmx_seg_read(SEG_CS, &cs);
	return emul_mode_of(vmx_guest_cr(GUEST_CR0, CR0_MASK, CR0_SHADOW), vmcs_read(GUEST_EFER),
			    vmcs_read(GUEST_RFLAGS), &cs);
}

bool vmx_code_key(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS])
{
	struct emul_seg cs;
	u64 now[VCPU_CODE_KEY_WORDS], d = 0;

	vmx_load(vmx_of(v));
	vmx_seg_read(SEG_CS, &cs);
	now[0] = cs.limit | (u64)cs.attr << 32;
	now[1] = cs.base;
	now[2] = vmx_guest_cr(GUEST_CR0, CR0_MASK, CR0_SHADOW);
	now[3] = vmcs_read(GUEST_CR3);
	now[4] = vmx_guest_cr(GUEST_CR4, CR4_MASK, CR4_SHADOW);
	now[5] = vmcs_read(GUEST_EFER);
	now[6] = vmx_get_cpl(v) | (vmcs_read(GUEST_RFLAGS) & (BIT(17) | BIT(18))); /* VM, AC */
	for (unsigned i = 0; i < VCPU_CODE_KEY_WORDS; i++) {
		d |= now[i] ^ key[i];
		key[i] = now[i];
	}
	return !d;
}

/* The state after INIT (SDM Vol. 3A 9.1.1, Table 9-1); EDX's signature is the common code's. */
void vmx_reset_state(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx_of(v);
	struct vcpu_sregs s;

	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < SEG_COUNT; i++)
		s.seg[i] = (struct emul_seg){ .limit = 0xffff, .attr = 0x93 };
	s.seg[SEG_CS] = (struct emul_seg){ .base = 0xffff0000, .limit = 0xffff, .sel = 0xf000,
					   .attr = 0x9b };
	s.ldtr = (struct emul_seg){ .limit = 0xffff, .attr = 0x82 };
	s.tr = (struct emul_seg){ .limit = 0xffff, .attr = 0x8b };
	s.gdtr_limit = s.idtr_limit = 0xffff;
	s.cr0 = 0x60000010;
	s.pat = 0x0007040600070406ull;
	s.xcr0 = 1;
	vmx_set_sregs(v, &s);
	vmcs_write(GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(GUEST_PENDING_DBG, 0);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rip = 0xfff0;
	v->regs.rflags = 0x2;
	v->dirty |= VCPU_DIRTY_RIP | VCPU_DIRTY_RSP | VCPU_DIRTY_RFLAGS;
	x->reinject_info = 0;
	x->exc.type = VEVENT_NONE;
	x->nmi = x->intr = x->triple = false;
	v->pending.type = VEVENT_NONE;
}

void vmx_wait_sipi(struct vcpu *v)
{
	vmx_reset_state(v);
	/* The wait-for-SIPI activity state exits on a SIPI (SDM Vol. 3C 24.4.2, 25.2). */
	if (vmx_caps.wait_sipi)
		vmcs_write(GUEST_ACTIVITY, ACTIVITY_WAIT_SIPI);
	else
		pr_warn("vmx: wait-for-SIPI activity state not supported; vCPU %u left in INIT state",
			v->id);
}

void vmx_start_at(struct vcpu *v, u8 vector)
{
	vmx_reset_state(v);
	/* A SIPI starts real mode at CS = vector << 8, IP = 0 (SDM Vol. 3A 10.6.1, 8.4.4). */
	vmcs_write(GUEST_SEL + 2 * SEG_CS, (u64)vector << 8);
	vmcs_write(GUEST_BASE + 2 * SEG_CS, (u64)vector << 12);
	v->regs.rip = 0;
}

static void vmx_dump_seg(const char *name, unsigned i)
{
	pr_err("vmx:   %s sel %#llx base %#llx limit %#llx ar %#llx", name,
	       (unsigned long long)vmcs_read(GUEST_SEL + 2 * i),
	       (unsigned long long)vmcs_read(GUEST_BASE + 2 * i),
	       (unsigned long long)vmcs_read(GUEST_LIMIT + 2 * i),
	       (unsigned long long)vmcs_read(GUEST_AR + 2 * i));
}

void vmx_dump_guest(void)
{
	static const char *const names[] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };

	pr_err("vmx:   cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx rflags %#llx rip %#llx rsp %#llx",
	       (unsigned long long)vmcs_read(GUEST_CR0), (unsigned long long)vmcs_read(GUEST_CR3),
	       (unsigned long long)vmcs_read(GUEST_CR4), (unsigned long long)vmcs_read(GUEST_EFER),
	       (unsigned long long)vmcs_read(GUEST_RFLAGS), (unsigned long long)vmcs_read(GUEST_RIP),
	       (unsigned long long)vmcs_read(GUEST_RSP));
	pr_err("vmx:   entry controls %#llx interruption %#llx interruptibility %#llx activity %llu",
	       (unsigned long long)vmcs_read(ENTRY_CTLS), (unsigned long long)vmcs_read(ENTRY_INTR_INFO),
	       (unsigned long long)vmcs_read(GUEST_INTERRUPTIBILITY),
	       (unsigned long long)vmcs_read(GUEST_ACTIVITY));
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		vmx_dump_seg(names[i], i);
}
