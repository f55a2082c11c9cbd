/* The hot path's shared pieces: the exit check and request header of the direct paths, the
 * continuations that take the answer by value (hot_cont.c), the FC_RMW plan. */
#ifndef EMUL_HOT_H
#define EMUL_HOT_H

#include "emul_internal.h"

/* The hot path (hot.c): emul_start_bytes in 64-bit mode with an MMIO exit's translation; it
 * falls back to emul_direct64. */
int emul_hot64(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
	       const struct emul_exit *x, const uint8_t *b, unsigned len);

/* The operand of `size` bytes at `ea` lies within the page the exit reported, in the exit's
 * direction: a write exit for a form that writes (the CPU walked the page with write intent),
 * a read exit for a pure read. Then the operand is canonical: the CPU checked that page (SDM
 * Vol. 3A 3.3.7.1). Without a linear address (gpa_final) the one operand of a direct form is
 * the access that faulted: the same offset in the page stands for the page. */
static inline bool emul_direct_fits(const struct emul_exit *x, uint64_t ea, unsigned size, unsigned xl)
{
	return !(x->la_valid ? (ea ^ x->la) >> 12 : (ea ^ x->gpa) & 0xfff) &&
	       (ea & 0xfff) + size <= 0x1000 && x->write == ((xl & TR_WRITE) != 0);
}

/* The header of struct emul_access (kind, dir, size, flags, stride, count) of `count` MMIO
 * elements of `size` bytes, as one word. */
static inline uint64_t emul_hot_hdr(unsigned dir, unsigned size, unsigned flags, unsigned count)
{
	return EMUL_KIND_MMIO | dir << 8 | size << 16 | flags << 24 | (uint64_t)size << 32 |
	       (uint64_t)count << 48;
}
_Static_assert(__builtin_offsetof(struct emul_access, kind) == 0 &&
	       __builtin_offsetof(struct emul_access, dir) == 1 &&
	       __builtin_offsetof(struct emul_access, size) == 2 &&
	       __builtin_offsetof(struct emul_access, flags) == 3 &&
	       __builtin_offsetof(struct emul_access, stride) == 4 &&
	       __builtin_offsetof(struct emul_access, count) == 6, "struct emul_access header");

/* The outputs of a direct form (nmop, single_step, shadow_clear, rip_advanced), as one word:
 * no memory operands listed, TF set before the instruction → a single-step #DB trap after it
 * (SDM Vol. 3A 17.3.1.1), the interrupt shadow cleared, RIP advanced. */
static inline void emul_hot_outputs(struct emul *e, uint64_t rflags)
{
	uint32_t w = ((uint32_t)(rflags >> 8) & 1) << 8 | 1u << 16 | 1u << 24;

	__builtin_memcpy(&e->nmop, &w, 4);
}
_Static_assert(__builtin_offsetof(struct emul, single_step) ==
	       __builtin_offsetof(struct emul, nmop) + 1 &&
	       __builtin_offsetof(struct emul, shadow_clear) ==
	       __builtin_offsetof(struct emul, nmop) + 2 &&
	       __builtin_offsetof(struct emul, rip_advanced) ==
	       __builtin_offsetof(struct emul, nmop) + 3, "struct emul outputs");

/* The continuations of one-element direct accesses, answered by value (hot.c): a MOV load
 * zero-extended into a 32/64-bit register, any other MOV load, a store, a read-modify-write. */
int emul_hot_load_zx(struct emul *e, uint64_t v);
int emul_hot_load(struct emul *e, uint64_t v);
int emul_hot_stored(struct emul *e, uint64_t v);
int emul_hot_rmw(struct emul *e, uint64_t v);
/* A vector load's answer (its elements) into the XMM/YMM register; a vector store sent. */
int emul_hot_vload(struct emul *e, const uint8_t *data, uint32_t len);
int emul_hot_vstored(struct emul *e, const uint8_t *data, uint32_t len);
/* FC_RMW's plan (source, register result, write-back) in e; the request's header. */
uint64_t emul_hot_rmw_plan(struct emul *e, const struct emul_opdesc *op, const uint64_t *gpr,
			   unsigned reg, unsigned rex, uint64_t simm, unsigned size);

/* The classes of the hot path (hot.c), external so that their arguments are not split: the
 * entry, the effective address, the sign-extended immediate, the packed end/register/REX/
 * operand size. */
int emul_hot_load_class(struct emul *e, const struct emul_opdesc *op, uint64_t ea, unsigned pk);
int emul_hot_store_class(struct emul *e, const struct emul_opdesc *op, uint64_t ea,
			 uint64_t simm, unsigned pk);
int emul_hot_rmw_class(struct emul *e, const struct emul_opdesc *op, uint64_t ea, uint64_t simm,
		       unsigned pk);
int emul_hot_vec_class(struct emul *e, const struct emul_opdesc *op, uint64_t ea, unsigned pk);

/* The mask of an answer's bytes by operand bytes (1, 2, 4, 8). */
extern const uint64_t emul_hot_mask[9];

/* FC_LOAD: the register the value goes to and its continuation: a 32- or 64-bit destination
 * zero-extends (SDM Vol. 1 3.4.1.1), anything else keeps the sizes and the sign extension. */
static inline __attribute__((always_inline)) void
emul_hot_load_plan(struct emul *e, unsigned reg, unsigned size, unsigned dsize, bool sext, bool rex)
{
	e->fx.reg = (uint8_t)reg;
	e->fx.mask = emul_hot_mask[size];
	if (dsize >= 4 && !sext) {
		e->vcont = emul_hot_load_zx;
		return;
	}
	e->fx.dsize = (uint8_t)dsize;
	e->fx.msize = (uint8_t)size;
	e->fx.sext = sext;
	e->fx.rex = rex;
	e->vcont = emul_hot_load;
}

/* FC_RMW: the source operand (a register or the immediate), the register a result goes to
 * (rAX for CMPXCHG, which compares with it), the write-back; the request's header. */
static inline __attribute__((always_inline)) uint64_t
emul_hot_rmw_plan_in(struct emul *e, const struct emul_opdesc *op, const uint64_t *gpr, unsigned reg,
	     unsigned rex, uint64_t simm, unsigned size)
{
	unsigned dop = F_DOP(op->flags);

	e->fx.src = op->flags & HOT_IMM ? simm : emul_gpr_get(gpr, reg, size, rex);
	e->fx.dop = (uint8_t)dop;
	e->fx.sub = op->sub;
	e->fx.wb = (op->xl & TR_WRITE) != 0;
	e->fx.rw = dop == DOP_XCHG || dop == DOP_XADD || (dop == DOP_ALUR && op->sub != ALU_CMP);
	e->fx.reg = (uint8_t)reg;
	e->fx.dsize = (uint8_t)size;
	e->fx.rex = rex != 0;
	e->fx.mask = emul_hot_mask[size];
	if (dop == DOP_CMPXCHG) {
		e->fx.reg = EMUL_RAX;
		e->fx.rv = emul_gpr_get(gpr, EMUL_RAX, size, 0);
	}
	e->vcont = emul_hot_rmw;
	return emul_hot_hdr(EMUL_DIR_READ, size, e->fx.wb ? EMUL_ACCESS_RMW : 0, 1);
}

#endif
