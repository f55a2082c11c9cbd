/* Per-vCPU emulation state (arch/x86/mmio.c, arch/x86/insn.c): the emulation in progress and
 * the memo of instructions fetched at RIP. Private to arch/x86. */
#ifndef ARCH_X86_VCPU_EMUL_H
#define ARCH_X86_VCPU_EMUL_H

#include <arch/vcpu.h>
#include "emul/emul.h"

#define INSN_MEMO_SLOTS 8 /* direct-mapped by RIP */
#define INSN_DEPS_MAX 14  /* 5-level paging on two pages, plus the instruction's bytes */
#define INSN_DEPS_FIXED 4 /* compared unrolled: 4-level paging with 2 MiB pages, one code word */

/* Eight bytes of guest RAM a fetch read, and the part of them it depended on. */
struct insn_dep {
	const u8 *p; /* host address */
	u64 val, mask;
};

/* A RIP no instruction has: non-canonical, and above 4 GiB outside 64-bit mode. */
#define INSN_RIP_NONE (1ull << 63)

/* One fetch and measurement at RIP: valid while RIP, the code key and every dependency are
 * unchanged (docs/performance.md, "The instruction memo"). */
struct insn_memo {
	u64 rip;    /* INSN_RIP_NONE: not kept (only bytes and len hold, for the fetch that filled it) */
	u64 key[VCPU_CODE_KEY_WORDS];
	u8 len;
	u8 ndeps;
	u8 bytes[EMUL_INSN_MAX];
	struct insn_dep dep[INSN_DEPS_MAX];
} __aligned(512); /* a power of two: the slot index scales by a shift */

struct vcpu_emul {
	struct emul e;
	struct emul_env env;
	struct insn_memo memo[INSN_MEMO_SLOTS];
};

static inline struct vcpu_emul *vcpu_emul_of(struct vcpu *v) { return v->emul; }

#endif
