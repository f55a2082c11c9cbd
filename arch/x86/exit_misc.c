/* XSETBV and intercepted guest exceptions. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>
#include <keel/virq.h>
#include <keel/vlapic.h>

#define XCR0_X87 0x1ull
#define XCR0_SSE 0x2ull
#define XCR0_AVX 0x4ull

static u64 xcr0_supported(void)
{
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	return ((u64)d << 32) | a;
}

/* Invalid values #GP as the SDM specifies (Vol. 2C XSETBV); a valid one becomes the vCPU's
 * XCR0, which the backend loads before the next entry (the core never uses XSAVE state). */
enum exit_action exit_xsetbv(struct vcpu *v)
{
	u32 idx = (u32)v->regs.gpr[VCPU_RCX];
	u64 val = (v->regs.gpr[VCPU_RDX] << 32) | (u32)v->regs.gpr[VCPU_RAX];
	bool bad = virt->vcpu_get_cpl(v) != 0 || idx != 0 || !(val & XCR0_X87) ||
		   (val & ~xcr0_supported()) || ((val & XCR0_AVX) && !(val & XCR0_SSE));
	if (bad) {
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	s.xcr0 = val;
	virt->vcpu_set_sregs(v, &s);
	return EXIT_RESUME;
}

/* Keel intercepts only exceptions it must see; anything else that arrives goes back to the
 * guest unchanged (SDM Vol. 3C 26.6.1 event injection). */
enum exit_action exit_exception(struct vcpu *v)
{
	struct vevent e = { .type = VEVENT_EXCEPTION, .vector = v->exit.exc.vector,
			    .has_error = v->exit.exc.has_error, .error = v->exit.exc.error };
	if (e.vector == 14) {
		e.has_cr2 = true;
		e.cr2 = v->exit.exc.info;
	}
	v->pending = e;
	return EXIT_RESUME;
}

/* MOV to/from CR8 is the TPR's bits 7:4 (SDM Vol. 3A 10.8.6.1); bits 63:4 of a written value
 * must be 0 (Vol. 2B MOV CRn). The VMX backend leaves only CR8 accesses to the common code; the
 * SVM backend its CR8 writes while it watches them (svm_tpr_watch). */
enum exit_action exit_cr_access(struct vcpu *v)
{
	u8 gpr = v->exit.cr.gpr & 15;
	u64 *r = &v->regs.gpr[gpr];
	if (v->exit.cr.cr != 8)
		return exit_fatal(v, "unexpected access to CR%u at rip %#llx", v->exit.cr.cr,
				 (unsigned long long)v->regs.rip);
	if (v->exit.cr.write && (*r >> 4)) {
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	if (exit_skip_insn(v))
		return EXIT_RESUME;
	if (v->exit.cr.write) {
		vlapic_set_cr8(v->lapic, (u8)*r);
		v->lapic->tpr_set = true; /* SVM: an intercepted write never reached V_TPR */
	} else {
		*r = vlapic_get_cr8(v->lapic);
		v->dirty |= gpr == VCPU_RSP ? VCPU_DIRTY_RSP : gpr == VCPU_RAX ? VCPU_DIRTY_RAX : 0;
	}
	return EXIT_RESUME;
}

enum exit_action exit_nmi_window(struct vcpu *v)
{
	virq_nmi_window(v);
	return EXIT_RESUME;
}
