/* XSETBV and intercepted guest exceptions. */
#include <arch/exit.h>
#include <arch/virt.h>
#include <keel/partition.h>

#define XCR0_X87 0x1ull
#define XCR0_SSE 0x2ull
#define XCR0_AVX 0x4ull

static u64 xcr0_supported(void)
{
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	return ((u64)d << 32) | a;
}

/* A valid XSETBV becomes the vCPU's XCR0, which its backend loads into the CPU before the next
 * entry (Keel never uses XSAVE state itself); the host may not even have CR4.OSXSAVE set yet,
 * so it is not executed here. Invalid values #GP as the SDM specifies (Vol. 2C XSETBV). */
enum exit_action exit_xsetbv(struct vcpu *v)
{
	u32 idx = (u32)v->regs.gpr[VCPU_RCX];
	u64 val = (v->regs.gpr[VCPU_RDX] << 32) | (u32)v->regs.gpr[VCPU_RAX];
	struct vcpu_sregs s;
	virt->vcpu_get_sregs(v, &s);
	bool bad = s.cpl != 0 || idx != 0 || !(val & XCR0_X87) || (val & ~xcr0_supported()) ||
		   ((val & XCR0_AVX) && !(val & XCR0_SSE));
	if (bad) {
		exit_inject_gp0(v);
		return EXIT_RESUME;
	}
	if (exit_skip_insn(v))
		return EXIT_RESUME;
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
