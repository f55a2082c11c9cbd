/* Per-vCPU emulation state (arch/x86/mmio.c, arch/x86/insn.c): the emulation in progress and
 * the memo of instructions fetched at RIP. Private to arch/x86. */
#ifndef ARCH_X86_VCPU_EMUL_H
#define ARCH_X86_VCPU_EMUL_H

#include <arch/vcpu.h>
#include <arch/virt.h>
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

/* The memo's hit test, inline where a length or the bytes are needed (arch/x86/insn.c, and
 * the CPUID fast path in cpuid_kept.h). */
static inline unsigned memo_slot(u64 rip)
{
	return (unsigned)((rip * 0x9e3779b97f4a7c15ull) >> 61); /* INSN_MEMO_SLOTS = 8 */
}

static inline u64 dep_diff(const struct insn_dep *p)
{
	u64 now;
	__builtin_memcpy(&now, p->p, sizeof(now));
	return (now ^ p->val) & p->mask;
}

/* Whether every byte the memo's fetch read is unchanged. The first INSN_DEPS_FIXED entries
 * are always compared (unused ones read memo_nothing under a zero mask), the next one (4 KiB
 * pages) unrolled too when there is one, the rest in a loop. */
static inline bool memo_deps_hold(const struct insn_memo *m)
{
	u64 d = 0;
	unsigned n = m->ndeps;
#pragma GCC unroll 8
	for (unsigned i = 0; i < INSN_DEPS_FIXED; i++)
		d |= dep_diff(&m->dep[i]);
	if (__builtin_expect(n > INSN_DEPS_FIXED, 0)) {
		d |= dep_diff(&m->dep[INSN_DEPS_FIXED]);
		for (unsigned i = INSN_DEPS_FIXED + 1; i < n; i++)
			d |= dep_diff(&m->dep[i]);
	}
	return !d;
}

static inline struct insn_memo *memo_of(struct vcpu *v)
{
	return &vcpu_emul_of(v)->memo[memo_slot(v->regs.rip)];
}

/* The backend's code key check (virt_ops.vcpu_code_key), or an inline one of the same
 * contract: a fast path passes its own so that it is compiled in place. */
typedef bool (*memo_key_fn)(struct vcpu *v, u64 key[VCPU_CODE_KEY_WORDS]);

/* Whether m holds the instruction at RIP now. The key is compared last: a miss on RIP leaves
 * it to insn_fill, which stores it. */
static inline __attribute__((always_inline)) bool memo_holds_by(struct vcpu *v, struct insn_memo *m,
								 memo_key_fn key)
{
	if (__builtin_expect(m->rip == v->regs.rip && memo_deps_hold(m) && key(v, m->key), 1)) {
		v->stat[KEEL_STAT_INSN_MEMO_HITS]++;
		return true;
	}
	return false;
}

static inline __attribute__((always_inline)) bool memo_holds(struct vcpu *v, struct insn_memo *m)
{
	return memo_holds_by(v, m, virt->vcpu_code_key);
}

/* The length of the instruction at RIP when the memo holds it (a hit), else 0. A miss drops
 * the slot: memo_holds may have stored the new key in it, after which the handler's own check
 * would take the old length for a hit. */
static inline __attribute__((always_inline)) u32 insn_len_kept(struct vcpu *v, memo_key_fn key)
{
	struct insn_memo *m = memo_of(v);

	if (__builtin_expect(memo_holds_by(v, m, key), 1))
		return m->len;
	m->rip = INSN_RIP_NONE;
	return 0;
}

#endif
