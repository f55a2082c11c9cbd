/* emul/ private declarations: opcode-table format, operand kinds, the per-operation executors. */
#ifndef EMUL_INTERNAL_H
#define EMUL_INTERNAL_H

#include "emul.h"

/* Operand descriptor byte: kind in the low nibble, size class in the high nibble. */
#define OPND(k, s) ((uint8_t)((k) | ((s) << 4)))
#define OPND_KIND(o) ((o) & 0xfu)
#define OPND_SIZE(o) ((o) >> 4)

enum opnd_kind {
	K_NONE,
	K_E,    /* ModRM r/m (memory only) */
	K_G,    /* ModRM.reg general register */
	K_I,    /* immediate of the operand's size */
	K_IS,   /* imm8 sign-extended to the operand's size */
	K_ACC,  /* AL / rAX */
	K_O,    /* moffs memory operand */
	K_DX,   /* port in DX */
	K_IP,   /* port in imm8 */
	K_XS,   /* string source seg:rSI */
	K_YD,   /* string destination ES:rDI */
	K_V,    /* XMM/YMM from ModRM.reg */
	K_B,    /* general register from VEX.vvvv */
	K_STK,  /* stack top (push/pop) */
};

enum opnd_size {
	S_NONE, S_B, S_W, S_D, S_Q,
	S_V,   /* operand size */
	S_Z,   /* 2 if 16-bit operand size, else 4 */
	S_Y,   /* 8 if 64-bit operand size, else 4 */
	S_X,   /* 16, or 32 with VEX.L */
	S_DQ,  /* 16 */
	S_CL,  /* cache line (CLFLUSH) */
	S_F,   /* 8 in 64-bit mode, else 4, whatever the prefixes (VMX instructions) */
};

/* Mode classes an entry is valid in. */
#define M_REAL 0x1 /* real mode and virtual-8086 */
#define M_P16  0x2
#define M_P32  0x4 /* 32-bit protected and compatibility mode */
#define M_L64  0x8
#define M_ALL  0xf
#define M_NOR  0xe /* not real mode (VEX) */

/* Entry flags. */
#define F_MODRM  0x0001u
#define F_GROUP  0x0002u /* sub indexes a group table by ModRM.reg */
#define F_PFXTAB 0x0004u /* sub indexes a mandatory-prefix table */
#define F_LOCK   0x0008u /* LOCK allowed */
#define F_REP    0x0010u /* F3 means REP */
#define F_REPCC  0x0020u /* F3/F2 mean REPE/REPNE */
#define F_D64    0x0040u /* 64-bit default operand size in long mode, no 32-bit form */
#define F_O16    0x0080u /* operand sizes allowed */
#define F_O32    0x0100u
#define F_O64    0x0200u
#define F_OALL   0x0380u
#define F_RMW    0x0400u /* the destination is read before it is written */
#define F_NOWB   0x0800u /* the destination is not written (CMP, TEST, BT) */
#define F_ALIGN  0x1000u /* vector operand must be aligned to its size (#GP(0)) */
#define F_VEXW   0x2000u /* VEX.W selects 64-bit operand size (in 64-bit mode) */
#define F_HEAD   0x4000u /* one-byte map: a prefix or escape byte, not an opcode */
#define F_SEGX   0x8000u /* string source: segment override applies */
#define F_NP     0x10000u /* 66, F2 or F3 make it another (unsupported) instruction */
#define F_REGOK  0x20000u /* ModRM.mod = 11b is valid (length-only entries) */
#define F_RMTAB  0x40000u /* mod = 11b: sub indexes a register-form table by ModRM[5:0] */
#define F_SUBTAB (F_GROUP | F_PFXTAB | F_RMTAB)
/* Derived by the table macro: the decoder's fast path declines the entry (a prefix or escape
 * byte, a register-form table, D64, F_NP, a third operand, or an operand size class that
 * depends on more than 66h/REX.W). */
#define F_FULL   0x80000u
/* Derived by the table macro for the direct path (direct.c), in the flags' top bits: its class
 * (FC_*), HOT_* details and the calculation of an FC_RMW form (DOP_*). */
#define F_CLS(fl) (((fl) >> 20) & 7u)
#define F_DOP(fl) (((fl) >> 27) & 15u)
/* The register operand is rAX (A0-A3), the source operand is the immediate, a MOV load
 * sign-extends, a vector form loads the register. */
#define HOT_ACC   (1u << 23)
#define HOT_IMM   (1u << 24)
#define HOT_SEXT  (1u << 25)
#define HOT_VLOAD (1u << 26)

enum emul_op {
	OP_NONE, OP_MOV, OP_MOVZX, OP_MOVSX, OP_ALU, OP_TEST, OP_INCDEC, OP_NOT, OP_NEG,
	OP_BT, OP_XCHG, OP_CMPXCHG, OP_XADD, OP_IMUL, OP_BEXTR, OP_MOVBE, OP_PUSH, OP_POP,
	OP_CLFLUSH, OP_IN, OP_OUT, OP_STR, OP_VMOV,
	OP_LEN, /* decoded for its length only (intercepted instructions), never emulated */
	OP_COUNT,
};

enum alu_sub { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
enum bt_sub { BT_BT, BT_BTS, BT_BTR, BT_BTC };
enum str_sub { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

/* Immediate bytes that follow ModRM/SIB/displacement (set by the table macro). */
enum { IMM_NONE, IMM_1, IMM_Z /* 2 or 4 by operand size */, IMM_MOFFS /* address size */ };

#define TR_READ  0x1u
#define TR_WRITE 0x2u
#define TR_ALIGN 0x4u

/* How the ModRM/moffs operand is translated (set by the table macro from the kinds and flags):
 * TR_* bits, which operand it is, and forms that need more than that (CLFLUSH, BT by register). */
#define XL_HOW   0x07u
#define XL_OPND1 0x08u
#define XL_MORE  0x10u

/* Operand bytes the table macro derives from a size class: fixed, or these. */
#define FSZ_V    0x80u /* the operand size */
#define FSZ_MORE 0x81u /* F: 8 in 64-bit mode, else 4; and Z, Y, X below */
#define FSZ_Z    0x82u /* 2 with a 16-bit operand size, else 4 */
#define FSZ_Y    0x83u /* 8 with REX.W (or VEX.W) in 64-bit mode, else 4 */
#define FSZ_X    0x84u /* 32 with VEX.L, else 16 */

struct emul_opdesc {
	uint8_t op;
	uint8_t sub;
	uint8_t modes;
	uint8_t opnd[3];
	uint8_t imm;
	uint8_t xl;
	uint32_t flags;
	/* Derived by the table macro: the modes in which the form decodes without a check when no
	 * 66/F2/F3/LOCK/VEX is present (low nibble: emul_decode, none for F_FULL entries; high:
	 * emul_decode_length), and the bytes of operands 0 and 1. */
	uint8_t fast;
	uint8_t fsz[2];
	/* Derived by the table macro for the direct path: the bytes of the memory operand (low
	 * nibble) and of a MOV load's register (high nibble): fixed, or 0 for the operand size. */
	uint8_t hsz;
};
_Static_assert(sizeof(struct emul_opdesc) == 16, "one table entry: 16 bytes");

/* What the direct path (direct.c) does with a form: a MOV load into a general register, a MOV
 * store of a general register or an immediate, a calculation on the memory operand's value
 * (read, then written back if the form writes it), a vector load or store, any other
 * one-access form (through struct emul_insn and the calculations of the general path),
 * MOVS/STOS/LODS (direct_str.c); FC_NONE: the general path. */
enum { FC_NONE, FC_LOAD, FC_STORE, FC_RMW, FC_VEC, FC_ONE, FC_STR };

/* The calculations of FC_RMW forms: ALU operation or TEST on the memory operand, ALU operation
 * into a register, INC/DEC, NOT, NEG, BT/BTS/BTR/BTC by an immediate, XCHG, XADD, CMPXCHG. */
enum { DOP_ALUM, DOP_ALUR, DOP_INCDEC, DOP_NOT, DOP_NEG, DOP_BT, DOP_XCHG, DOP_XADD, DOP_CMPXCHG };

/* emul_prefix_kind values. */
/* PK_ESC: not a prefix but an escape (0F, C4, C5): the decoder's slow start, like a prefix. */
enum { PK_NONE, PK_LOCK, PK_REPNE, PK_REP, PK_OSZ, PK_ASZ, PK_REX, PK_ESC, PK_SEG };

/* Opcode maps (decode_tables.c). */
extern const struct emul_opdesc emul_map1[256], emul_map0f[256], emul_map0f38[256];
extern const struct emul_opdesc emul_vex0f[256], emul_vex0f38[256];
extern const struct emul_opdesc emul_groups[][8];
extern const struct emul_opdesc emul_pfxtabs[][4]; /* none, 66, F3, F2 */
extern const struct emul_opdesc emul_rmtabs[][64]; /* mod = 11b forms by ModRM[5:0] */
extern const uint8_t emul_prefix_kind[256];

/* emul_decode without its fast path (decode_fast.h), for the tests that compare the two. */
int emul_decode_full(const uint8_t *bytes, unsigned len, enum emul_mode mode, struct emul_insn *in);

/* Bytes of an operand, 0 for none. */
unsigned emul_opnd_bytes(const struct emul_insn *in, uint8_t opnd);

/* struct emul.pend: an access is pending; EMUL_PEND_VAL: its answer goes to e->vcont by value. */
#define EMUL_PEND 0x80000000u
#define EMUL_PEND_VAL 0x40000000u

/* Segment checks, alignment, page walk and classification of one memory operand (steps.c),
 * and the page walk alone when the exit gave no translation (xlate.c). */
int emul_translate(struct emul *e, struct emul_memop *m, enum emul_segreg sr, uint64_t ea,
		   uint32_t size, unsigned how);
int emul_walk_page(struct emul *e, uint64_t la, unsigned access, uint64_t *gpa);
int emul_set_fault(struct emul *e, uint8_t vector, bool has_error, uint32_t error);

/* A side for the steps: memory operand `mop` (or EMUL_SIDE_PORT) with its data in `buf`. */
static inline struct emul_side *emul_side_add(struct emul *e, uint8_t mop, uint8_t *buf,
					      bool load, bool store)
{
	struct emul_side *s = &e->side[e->nside++];

	*s = (struct emul_side){ .buf = buf, .mop = mop, .load = load, .store = store, .n = 1 };
	return s;
}

/* A register write for the commit. */
static inline void emul_stage_reg(struct emul *e, unsigned reg, unsigned size, uint64_t val)
{
	struct emul_stage *s = &e->stage;

	s->reg[s->nreg] = (uint8_t)reg;
	s->size[s->nreg] = (uint8_t)size;
	s->val[s->nreg++] = val;
}

/* The walk control state from the register file. */
static inline void emul_walk_ctl(const struct emul_regs *r, struct walk_ctl *c)
{
	*c = (struct walk_ctl){ .cr0 = r->cr0, .cr3 = r->cr3, .cr4 = r->cr4, .efer = r->efer,
				.rflags = r->rflags, .cpl = r->cpl, .maxphyaddr = r->maxphyaddr,
				.pkru = r->pkru, .pkrs = r->pkrs, .pdpte_valid = r->pdpte_valid,
				.pdpte = { r->pdpte[0], r->pdpte[1], r->pdpte[2], r->pdpte[3] } };
}

/* fetch.c: fetch at CS:RIP; *len bytes read, returns 0 (15 bytes) or the status that stopped
 * the fetch (EMUL_FAULT with *fault set, EMUL_RETRY, EMUL_BAD_TABLES, EMUL_UNSUPPORTED for
 * code outside guest RAM). */
int emul_fetch_run(const struct emul_mem *mem, const struct emul_regs *r, enum emul_mode mode,
		   uint8_t *buf, unsigned *len, struct emul_fault *fault);


static inline uint64_t emul_trunc(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* Sign-extends the low `size` bytes (0 bytes: v unchanged). */
static inline uint64_t emul_sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - size * 8;

	return size >= 8 || !size ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Preparation (address translation and sides, before any access): 0, EMUL_FAULT, EMUL_RETRY,
 * EMUL_BAD_TABLES. */
int emul_prep_generic(struct emul *e);
int emul_prep_stack(struct emul *e);
int emul_prep_io(struct emul *e);
int emul_prep_str(struct emul *e);


/* Calculations (the step between loads and stores): read the loaded sides' buffers and the
 * registers, fill the stored sides' buffers, stage register results. */
void emul_op_mov(struct emul *e);
void emul_op_alu(struct emul *e);
void emul_op_test(struct emul *e);
void emul_op_incdec(struct emul *e);
void emul_op_notneg(struct emul *e);
void emul_op_bt(struct emul *e);
void emul_op_xchg(struct emul *e);
void emul_op_cmpxchg(struct emul *e);
void emul_op_xadd(struct emul *e);
void emul_op_imul(struct emul *e);
void emul_op_bextr(struct emul *e);
void emul_op_movbe(struct emul *e);
void emul_op_clflush(struct emul *e);
void emul_calc_stack(struct emul *e);
void emul_calc_io(struct emul *e);
void emul_calc_str(struct emul *e);
void emul_calc_vmov(struct emul *e);

/* Flags (flags.c). PF by the low byte's value (set for an even number of 1 bits). */
extern const uint8_t emul_pf_tab[256];

/* ZF, SF, PF of a result r at the top of 64 bits (t: the same at the bottom). */
static inline uint64_t emul_flags_top(uint64_t r, uint64_t t)
{
	return emul_pf_tab[t & 0xff] | (r ? 0 : EMUL_RFLAGS_ZF) | ((r >> 63) << 7);
}

/* ADC and SBB: a, b shifted to the top of 64 bits by `sh`, the carry in from *rflags. */
uint64_t emul_alu_carry(unsigned sub, uint64_t a, uint64_t b, unsigned sh, uint64_t *rflags);

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP on `size`-byte values: the result, *rflags updated. CF is the
 * carry (borrow) out of the top bit, OF a sign overflow, AF the carry (borrow) out of bit 3
 * (SDM Vol. 1 3.4.3.1, Appendix A). The operands are shifted to the top of 64 bits, so that
 * the carry out of bit 63 and the sign bit are those of the operand size. */
static inline uint64_t emul_alu(unsigned sub, uint64_t a, uint64_t b, unsigned size,
				uint64_t *rflags)
{
	unsigned sh = 64 - size * 8;
	uint64_t x = a << sh, y = b << sh, r, f;

	switch (sub) {
	case ALU_ADD:
		r = x + y;
		f = (r < x) | (((x ^ r) & (y ^ r)) >> 63) << 11 | ((a ^ b ^ (r >> sh)) & EMUL_RFLAGS_AF);
		break;
	case ALU_SUB:
	case ALU_CMP:
		r = x - y;
		f = (x < y) | (((x ^ y) & (x ^ r)) >> 63) << 11 | ((a ^ b ^ (r >> sh)) & EMUL_RFLAGS_AF);
		break;
	case ALU_OR:
		r = x | y;
		f = 0;
		break;
	case ALU_AND:
		r = x & y;
		f = 0;
		break;
	case ALU_XOR:
		r = x ^ y;
		f = 0;
		break;
	default:
		return emul_alu_carry(sub, a, b, sh, rflags);
	}
	*rflags = (*rflags & ~(uint64_t)EMUL_RFLAGS_ARITH) | f | emul_flags_top(r, r >> sh);
	return r >> sh;
}
uint64_t emul_flags_logic(uint64_t res, unsigned size, uint64_t rflags);
uint64_t emul_flags_szp(uint64_t res, unsigned size, uint64_t rflags);

/* Copies of 1, 2, 4 or 8 bytes stay inline (the common case: no call into memcpy). */
static inline void emul_copy(void *d, const void *s, size_t n)
{
	switch (n) {
	case 1:
		__builtin_memcpy(d, s, 1);
		break;
	case 2:
		__builtin_memcpy(d, s, 2);
		break;
	case 4:
		__builtin_memcpy(d, s, 4);
		break;
	case 8:
		__builtin_memcpy(d, s, 8);
		break;
	default:
		__builtin_memcpy(d, s, n);
		break;
	}
}

/* Little-endian value of `size` (1, 2, 4 or 8) bytes. */
static inline uint64_t emul_ld(const uint8_t *p, unsigned size)
{
	uint16_t w;
	uint32_t d;
	uint64_t q;

	switch (size) {
	case 1:
		return p[0];
	case 2:
		__builtin_memcpy(&w, p, 2);
		return w;
	case 4:
		__builtin_memcpy(&d, p, 4);
		return d;
	default:
		__builtin_memcpy(&q, p, 8);
		return q;
	}
}

/* General register `reg` of `size` bytes; `rex`: a REX prefix is present. */
static inline uint64_t emul_gpr_get(const uint64_t *g, unsigned reg, unsigned size, unsigned rex)
{
	/* SDM Vol. 1 3.4.1.1: without REX, byte registers 4-7 are AH, CH, DH, BH */
	if (size == 1 && !rex && reg >= 4 && reg < 8)
		return (g[reg - 4] >> 8) & 0xff;
	return emul_trunc(g[reg], size);
}

static inline void emul_gpr_set(uint64_t *g, unsigned reg, unsigned size, uint64_t val,
				unsigned rex)
{
	uint64_t mask;

	/* SDM Vol. 1 3.4.1.1: 32-bit results are zero-extended, 8/16-bit ones merged */
	if (size >= 4) {
		g[reg] = emul_trunc(val, size);
		return;
	}
	if (size == 1 && !rex && reg >= 4 && reg < 8) {
		g += reg - 4;
		*g = (*g & ~0xff00ull) | (val & 0xff) << 8;
		return;
	}
	mask = (1ull << (size * 8)) - 1;
	g[reg] = (g[reg] & ~mask) | (val & mask);
}

static inline uint64_t emul_reg_get(const struct emul *e, unsigned reg, unsigned size)
{
	return emul_gpr_get(e->regs->gpr, reg, size, e->in.rex);
}

static inline void emul_reg_set(struct emul *e, unsigned reg, unsigned size, uint64_t val)
{
	emul_gpr_set(e->regs->gpr, reg, size, val, e->in.rex);
}

/* Effective address of the ModRM/moffs operand, wrapped to the address size. */
static inline uint64_t emul_ea(const struct emul *e)
{
	const struct emul_insn *in = &e->in;
	uint64_t ea = (uint64_t)in->disp;

	if (in->base != EMUL_NOREG)
		ea += e->regs->gpr[in->base];
	if (in->index != EMUL_NOREG)
		ea += e->regs->gpr[in->index] * in->scale;
	if (in->riprel)
		ea += e->regs->rip + in->len;
	return emul_trunc(ea, in->asz);
}

extern void (*const emul_calcs[OP_COUNT])(struct emul *e);

static inline void emul_calc(struct emul *e)
{
	emul_calcs[e->in.d->op](e);
}

/* The general path (steps.c): prepare, check against the exit, run the steps. */
int emul_general(struct emul *e, const struct emul_exit *x);
int emul_steps_run(struct emul *e);

/* What emul_complete does with the answer of a one-access form of the general path (e->next):
 * run the steps, calculate (then commit, or write and commit after that answer), commit, or put
 * the loaded value in a register (MOV/MOVZX/MOVSX loads: no store follows, nothing to stage). */
enum { NEXT_STEPS, NEXT_CALC, NEXT_CALC_WRITE, NEXT_COMMIT, NEXT_LOAD };

/* 64-bit mode: IA-32e mode with CS.L (SDM Vol. 3A 2.2). */
static inline bool emul_mode_l64(const struct emul_regs *r)
{
	return (r->efer & (1u << 10)) && (r->seg[SEG_CS].attr & SEG_ATTR_L) && (r->cr0 & 1);
}

/* A decode status as an emulation status (0 for EMUL_DEC_OK). */
int emul_decoded(struct emul *e, int dec);
/* Decode into e->in and run the general path (emul.c). */
int emul_start_decoded(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		       const struct emul_exit *exit, const uint8_t *bytes, unsigned len,
		       enum emul_mode mode);
/* The same with what emul_start_bytes stored in e (env, regs, exit, bytes, nbytes). */
int emul_start_again(struct emul *e, enum emul_mode mode);
/* The direct path (direct.c) in 64-bit mode and in 32-bit protected mode, for an MMIO exit
 * with its translation; it falls back to emul_start_decoded. */
int emul_direct64(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		  const struct emul_exit *x, const uint8_t *b, unsigned len);
int emul_direct32(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		  const struct emul_exit *x, const uint8_t *b, unsigned len);
/* MOVS/STOS/LODS (`sub`) of `ilen` bytes, elements of `size` bytes, prefixes `pfx`, in 64-bit
 * mode with 64-bit addresses (direct_str.c), with what emul_start_bytes stored in e. */
int emul_direct_str(struct emul *e, unsigned sub, unsigned ilen, unsigned size, unsigned pfx);

/* emul_start_bytes outside 64-bit mode or without an MMIO exit's translation (emul.c). */
int emul_start_other(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len);

/* Outputs and the staging area at the start of an emulation. */
static inline void emul_begin_outputs(struct emul *e)
{
	e->rip_advanced = true;
	e->single_step = false;
	e->shadow_clear = false;
	e->stage.nreg = 0;
	e->stage.vec = -1;
	e->stage.rflags = e->regs->rflags;
}

/* The general path's continuation (emul.c). */
int emul_cont(struct emul *e, const uint8_t *data, uint32_t len);

/* The access request; `rmw`: one half of a read-modify-write operand (EMUL_ACCESS_RMW). */
static inline int emul_request(struct emul *e, uint8_t kind, uint8_t dir, uint64_t addr,
			       unsigned size, unsigned count, int stride, uint8_t *buf, bool rmw)
{
	struct emul_access *a = &e->access;
	unsigned len = size * count;

	a->kind = kind;
	a->dir = dir;
	a->flags = rmw ? EMUL_ACCESS_RMW : 0;
	a->addr = addr;
	a->size = (uint8_t)size;
	a->count = (uint16_t)count;
	a->stride = (int16_t)stride;
	e->pend_buf = buf;
	e->cont = emul_cont;
	if (dir == EMUL_DIR_WRITE) {
		emul_copy(a->data, buf, len);
		len = 0;
	}
	e->pend = EMUL_PEND | len;
	return EMUL_ACCESS;
}

/* RIP (unless a REP string has elements left), RFLAGS and the outputs once everything is
 * committed. */
static inline int emul_done(struct emul *e, bool advance, uint64_t rflags)
{
	struct emul_regs *r = e->regs;

	if (advance) {
		uint64_t rip = r->rip + e->in.len;
		/* sequential EIP/IP wraps at the code segment's size (SDM Vol. 1 3.5) */
		if (e->in.mode != EMUL_MODE_LONG64)
			rip &= (e->in.mode == EMUL_MODE_PROT32) ? 0xffffffffu : 0xffffu;
		r->rip = rip;
	}
	/* SDM Vol. 3A 17.3.1.1: TF set before the instruction → single-step #DB trap after it */
	e->single_step = (r->rflags & EMUL_RFLAGS_TF) != 0;
	r->rflags = rflags & ~(uint64_t)EMUL_RFLAGS_RF;
	e->shadow_clear = true;
	e->rip_advanced = advance;
	return EMUL_DONE;
}

static inline int emul_finish(struct emul *e)
{
	return emul_done(e, e->rip_advanced, e->stage.rflags);
}

/* A form that changes no flags and always advances RIP (MOV). */
static inline int emul_finish_plain(struct emul *e)
{
	return emul_done(e, true, e->regs->rflags);
}

/* The staged registers. */
static inline void emul_commit(struct emul *e)
{
	const struct emul_stage *s = &e->stage;
	const struct emul_env *env = e->env;

	for (unsigned i = 0; i < s->nreg; i++)
		emul_reg_set(e, s->reg[i], s->size[i], s->val[i]);
	if (s->vec >= 0)
		env->vec_write(env->ctx, (unsigned)s->vec, e->data, e->mop[0].size,
			       (e->in.pfx & EMUL_PFX_VEX) ? 32 : 16);
}

/* The access of a one-access form: its operand (1, 2, 4, 8, 16 or 32 bytes) in elements of
 * at most 8 bytes. */
static inline int emul_one_access(struct emul *e, uint8_t dir, bool rmw)
{
	const struct emul_memop *m = &e->mop[0];
	unsigned sz = m->size > 8 ? 8 : m->size;

	return emul_request(e, EMUL_KIND_MMIO, dir, m->gpa[0], sz, m->size > 8 ? m->size >> 3 : 1,
			    (int)sz, e->data, rmw);
}

/* The write, after the read of a read-modify-write (`rmw`) or alone. */
static inline int emul_one_write(struct emul *e, bool rmw)
{
	e->next = NEXT_COMMIT;
	return emul_one_access(e, EMUL_DIR_WRITE, rmw);
}

/* A MOV load (FC_LOAD): its answer goes into the register (NEXT_LOAD). */
static inline void emul_load_plan(struct emul *e)
{
	const struct emul_opdesc *d = e->in.d;

	e->next = NEXT_LOAD;
	e->ld_reg = OPND_KIND(d->opnd[0]) == K_ACC ? EMUL_RAX : e->in.reg;
	e->ld_size = e->in.opsz[0];
	e->ld_sext = d->op == OP_MOVSX;
}

/* One memory operand on one device page: read it (the calculation follows the answer), or
 * calculate and write it. */
static inline int emul_one(struct emul *e, bool load, bool store)
{
	if (load) {
		e->next = store ? NEXT_CALC_WRITE : NEXT_CALC;
		if (F_CLS(e->in.d->flags) == FC_LOAD)
			emul_load_plan(e);
		return emul_one_access(e, EMUL_DIR_READ, store);
	}
	emul_calc(e);
	return emul_one_write(e, false);
}

#endif
