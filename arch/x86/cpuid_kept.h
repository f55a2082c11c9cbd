/* The CPUID answers kept per vCPU (arch/x86/cpuid.c decides which leaves are kept and fills
 * them) and the CPUID exit's fast path, which answers from them only. Private to arch/x86. */
#ifndef ARCH_X86_CPUID_KEPT_H
#define ARCH_X86_CPUID_KEPT_H

#include <arch/exit.h>
#include <arch/insn.h>
#include <arch/virt.h>
#include "vcpu_emul.h"

enum { EAX, EBX, ECX, EDX };

#define CPUID1_ECX_OSXSAVE BIT(27)
#define CR4_OSXSAVE        BIT(18)

static inline struct vcpu_cpuid *cpuid_slot(struct vcpu *v, u32 leaf)
{
	return &v->cpuid[(leaf ^ (leaf >> 28)) & (VCPU_CPUID_SLOTS - 1)];
}

static inline void cpuid_set_regs(struct vcpu *v, const u32 out[4])
{
	v->regs.gpr[VCPU_RAX] = out[EAX];
	v->regs.gpr[VCPU_RBX] = out[EBX];
	v->regs.gpr[VCPU_RCX] = out[ECX];
	v->regs.gpr[VCPU_RDX] = out[EDX];
	v->dirty |= VCPU_DIRTY_RAX;
}

/* Leaf 1's kept answer has OSXSAVE clear: it follows the guest's CR4 (SDM Vol. 2A CPUID,
 * ECX 27). */
static inline void cpuid_answer_kept(struct vcpu *v, const struct vcpu_cpuid *c)
{
	cpuid_set_regs(v, c->out);
	if (c->osxsave && (virt->vcpu_get_cr4(v) & CR4_OSXSAVE))
		v->regs.gpr[VCPU_RCX] |= CPUID1_ECX_OSXSAVE;
}

/* The CPUID exit's fast path for the backends' run loops: answers from the vCPU's kept answer
 * and moves RIP past the instruction (`hw_len` the hardware's length, 0 when it reports none:
 * then the memo's, `key` being the backend's code key check, compiled in place). False when
 * it would need more (no kept answer, a memo miss, lencheck): then nothing was changed and
 * exit_cpuid handles the exit. The caller ends the interrupt shadow. */
static inline __attribute__((always_inline)) bool exit_cpuid_fast(struct vcpu *v, u32 hw_len,
								   memo_key_fn key)
{
	u32 leaf = (u32)v->regs.gpr[VCPU_RAX];
	const struct vcpu_cpuid *c = cpuid_slot(v, leaf);

	if (!c->valid || c->leaf != leaf || (hw_len && insn_check_enabled()))
		return false;
	u32 len = hw_len ? hw_len : insn_len_kept(v, key);
	if (!len)
		return false;
	cpuid_answer_kept(v, c);
	vcpu_set_rip(v, v->regs.rip + len);
	return true;
}

#endif
