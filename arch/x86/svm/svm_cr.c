/* MOV to CR4, the one control-register write the backend always intercepts (APM Vol. 2 15.9),
 * and MOV to CR8 while an interrupt waits for the TPR to drop. The
 * CPU would check the value itself and raise #GP(0), but QEMU 7.2 TCG answers a reserved CR4
 * bit in a guest with VMEXIT_INVALID and leaves host state in the VMCB (docs/svm.md), which
 * leaves nothing to resume: Keel checks and loads the value instead. */
#include <arch/exit.h>
#include <arch/insn.h>
#include <keel/partition.h>
#include <keel/printk.h>
#include "svm.h"

#define CR4_PAE   BIT(5)
#define CR4_LA57  BIT(12)
#define CR4_PCIDE BIT(17)
#define CR4_ALWAYS 0x7ffull /* VME through OSXMMEXCPT: every x86-64 CPU has them */
#define EXITINFO1_CR_VALID BIT(63) /* decode assists: bits 3:0 name the GPR (APM 15.33.1) */

enum { R_EBX, R_ECX, R_EDX };

/* CR4 bits the CPU supports only with a CPUID feature (APM Vol. 2 3.1.3, Table 3-2). */
static const struct {
	u8 bit;
	u8 reg;
	u8 feature;
	u32 leaf;
} cr4_features[] = {
	{ 11, R_ECX, 2, 7 },  /* UMIP */
	{ 12, R_ECX, 16, 7 }, /* LA57 */
	{ 16, R_EBX, 0, 7 },  /* FSGSBASE */
	{ 17, R_ECX, 17, 1 }, /* PCIDE */
	{ 18, R_ECX, 26, 1 }, /* OSXSAVE */
	{ 20, R_EBX, 7, 7 },  /* SMEP */
	{ 21, R_EBX, 20, 7 }, /* SMAP */
	{ 22, R_ECX, 3, 7 },  /* PKE */
	{ 23, R_ECX, 7, 7 },  /* CET */
};

static u64 cr4_allowed;

/* Everything else, VMXE and SMXE included, is reserved for the guest. */
void svm_cr_setup(void)
{
	u32 max = cpuid(0, 0).a;
	u64 ok = CR4_ALWAYS;

	for (unsigned i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		if (cr4_features[i].leaf > max)
			continue;
		struct cpuid_regs r = cpuid(cr4_features[i].leaf, 0);
		u32 reg = cr4_features[i].reg == R_EBX ? r.b : cr4_features[i].reg == R_ECX ? r.c : r.d;
		if (reg & BIT(cr4_features[i].feature))
			ok |= BIT(cr4_features[i].bit);
	}
	cr4_allowed = ok;
}

static bool legacy_prefix(u8 b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/* MOV CRn, r (0F 22 /r; mod is ignored, so no SIB or displacement follows; REX.R extends
 * ModRM.reg, and LOCK names CR8 outside 64-bit mode, APM Vol. 3 MOV CRn): the GPR from
 * ModRM.rm and REX.B and the length, or -1 when the bytes are not a write of CR `crn` (another
 * vCPU rewrote them: the guest runs it again) or -2 when they end before it does. */
static int cr_gpr_decode(const u8 *b, u32 n, bool long64, u32 crn, u32 *len)
{
	u8 rex = 0;
	bool lock = false;
	u32 i = 0;

	for (; i < n; i++) {
		if (long64 && (b[i] & 0xf0) == 0x40) {
			rex = b[i];
		} else if (legacy_prefix(b[i])) {
			rex = 0; /* a REX prefix counts only right before the opcode */
			lock |= b[i] == 0xf0;
		} else {
			break;
		}
	}
	if (i + 3 > INSN_MAX_BYTES)
		return -1;
	if (i + 3 > n)
		return -2;
	u32 named = ((b[i + 2] >> 3) & 7) | ((rex & 4) << 1);
	if (lock && named == 0)
		named = 8;
	if (b[i] != 0x0f || b[i + 1] != 0x22 || named != crn)
		return -1;
	*len = i + 3;
	return (b[i + 2] & 7) | ((rex & 1) << 3);
}

static bool svm_long64(const struct vmcb_save *st)
{
	return (st->efer & EFER_LMA) && (st->cs.attrib & 0x200); /* CS.L (APM Table B-2) */
}

/* The GPR and the instruction's length of a write of CR `crn`, or -1 (a fault was queued, the
 * vCPU stopped, or the instruction changed: nothing to do but enter again). */
static int cr_operand(struct vcpu *v, const struct vmcb *vmcb, u32 crn, u32 *len)
{
	u8 bytes[INSN_MAX_BYTES];
	struct vevent cut;
	u32 n;

	u64 d = vmcb->ctl.nrip - vmcb->save.rip;
	if (svm_feat.decode_assists && svm_feat.nrips && (vmcb->ctl.exitinfo1 & EXITINFO1_CR_VALID) &&
	    d >= 1 && d <= INSN_MAX_BYTES) {
		*len = (u32)d;
		return (int)(vmcb->ctl.exitinfo1 & 15);
	}
	if (insn_fetch_raw(v, bytes, &n, &cut))
		return -1;
	int gpr = cr_gpr_decode(bytes, n, svm_long64(&vmcb->save), crn, len);
	if (gpr == -2 && cut.type != VEVENT_NONE)
		v->pending = cut;
	else if (gpr == -2)
		exit_inject_gp0(v); /* cut short without a fault: cannot happen, never loop on it */
	return gpr < 0 ? -1 : gpr;
}

/* What the CPU refuses with #GP(0) (APM Vol. 3 MOV CRn, Vol. 2 5.3.1, 5.10 for PCIDE). */
static bool cr4_refused(const struct vmcb_save *st, u64 val)
{
	bool lma = st->efer & EFER_LMA;

	if (val & ~cr4_allowed)
		return true;
	if (lma && (!(val & CR4_PAE) || ((val ^ st->cr4) & CR4_LA57)))
		return true;
	return (val & CR4_PCIDE) && !(st->cr4 & CR4_PCIDE) && (!lma || (st->cr3 & 0xfff));
}

u32 svm_cr4_write(struct vcpu *v)
{
	struct svm_vcpu *s = svm_of(v);
	struct vmcb_save *st = &s->vmcb->save;
	u32 len = 0;
	int gpr = cr_operand(v, s->vmcb, 4, &len);

	if (gpr < 0)
		return VEXIT_NONE;
	u64 val = v->regs.gpr[gpr];
	if (!svm_long64(st))
		val = (u32)val;
	if (cr4_refused(st, val)) {
		pr_debug("%s: vcpu %u: mov %#llx to cr4 -> #GP", v->part->name, v->id,
			 (unsigned long long)val);
		exit_inject_gp0(v);
		return VEXIT_NONE;
	}
	st->cr4 = val;
	s->tlb_flush = svm_feat.flush_asid ? TLB_FLUSH_ASID : TLB_FLUSH_ALL; /* 15.16.1 */
	svm_work(s);
	vcpu_set_rip(v, v->regs.rip + len);
	svm_clear_shadow(v);
	return VEXIT_NONE;
}

/* MOV to CR8, intercepted only while an interrupt waits in the IRR for the TPR to drop
 * (svm_tpr_watch): the common code writes the TPR, the next entry copies it into V_TPR. */
u32 svm_cr8_write(struct vcpu *v)
{
	const struct vmcb *vmcb = svm_of(v)->vmcb;
	u32 len = 0;
	int gpr = cr_operand(v, vmcb, 8, &len);

	if (gpr < 0)
		return VEXIT_NONE;
	/* without nRIP the length decoded here: the emulator's length tables do not hold MOV CRn */
	v->exit.insn_len = svm_feat.nrips ? svm_nrip_len(vmcb) : len;
	v->exit.cr.cr = 8;
	v->exit.cr.gpr = (u8)gpr;
	v->exit.cr.write = true;
	return VEXIT_CR_ACCESS;
}

/* Without decode assists or nRIP the write must exit to be seen at all: V_TPR changes in the
 * guest without one (APM Vol. 2 15.21.1). */
void svm_tpr_watch(struct vcpu *v, bool on)
{
	struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
	c->cr_icpt = on ? c->cr_icpt | CR_ICPT_WRITE(8) : c->cr_icpt & ~CR_ICPT_WRITE(8);
}
