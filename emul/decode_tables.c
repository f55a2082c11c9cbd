/* Opcode tables: one entry per opcode byte (SDM Vol. 2D Appendix A opcode maps), group tables
 * indexed by ModRM.reg, mandatory-prefix tables indexed by none/66/F3/F2 (or VEX.pp).
 * Only the forms in emul/manifest.tsv have entries; every other byte is OP_NONE (unsupported). */
#include "emul_internal.h"

/* The immediate an operand descriptor implies (K_I comes as Ib or Iz only). */
#define IMMT(o) (OPND_KIND(o) == K_I ? (OPND_SIZE(o) == S_B ? IMM_1 : IMM_Z) :     \
		 OPND_KIND(o) == K_IS || OPND_KIND(o) == K_IP ? IMM_1 :           \
		 OPND_KIND(o) == K_O ? IMM_MOFFS : IMM_NONE)
#define MEMK(o) (OPND_KIND(o) == K_E || OPND_KIND(o) == K_O)
#define XLT(op, o0, o1, fl)                                                                   \
	((op) == OP_CLFLUSH ? TR_READ | XL_MORE :                                                 \
	 ((MEMK(o0) && !((fl) & F_NOWB) ? TR_WRITE | ((fl) & F_RMW ? TR_READ : 0) : TR_READ) |    \
	  ((fl) & F_ALIGN ? TR_ALIGN : 0) | (MEMK(o0) ? 0 : XL_OPND1) |                            \
	  ((op) == OP_BT && OPND_KIND(o1) == K_G ? XL_MORE : 0)))
/* Operand bytes by size class (FSZ_*), and the modes that need no check (struct emul_opdesc). */
#define FSZ(o) (OPND_SIZE(o) == S_V ? FSZ_V : OPND_SIZE(o) == S_Z ? FSZ_Z :                     \
		OPND_SIZE(o) == S_Y ? FSZ_Y : OPND_SIZE(o) == S_X ? FSZ_X :                         \
		OPND_SIZE(o) == S_NONE ? 0 : OPND_SIZE(o) <= S_Q ? 1u << ((OPND_SIZE(o) - 1) & 3) :  \
		OPND_SIZE(o) == S_DQ ? 16 : OPND_SIZE(o) == S_CL ? 64 : FSZ_MORE)
#define FAST(op, modes, fl, full) (((fl) & (F_O32 | F_O64)) != (F_O32 | F_O64) ? 0 :            \
				   ((op) == OP_LEN || (full) ? 0 : (modes)) | (modes) << 4)
#define FULL(fl, o0, o1, o2) (((fl) & (F_HEAD | F_RMTAB | F_D64 | F_NP)) || (o2) ||          \
			      FSZ(o0) == FSZ_MORE || FSZ(o1) == FSZ_MORE ? F_FULL : 0)
#define GENERIC(op) ((op) != OP_NONE && (op) != OP_LEN && (op) != OP_PUSH && (op) != OP_POP &&   \
		     (op) != OP_IN && (op) != OP_OUT && (op) != OP_STR)
#define DIRECT(op, modes, o0, o1, o2, fl)                                                     \
	(GENERIC(op) && (MEMK(o0) || MEMK(o1)) && !(XLT(op, o0, o1, fl) & XL_MORE) &&           \
	 ((modes) & M_L64) && ((fl) & (F_O32 | F_O64)) == (F_O32 | F_O64) &&                    \
	 !FULL(fl, o0, o1, o2))
#define LOADREG(op, o0, o1) (((op) == OP_MOV || (op) == OP_MOVZX || (op) == OP_MOVSX) &&          \
			     MEMK(o1) && (OPND_KIND(o0) == K_G || OPND_KIND(o0) == K_ACC))
#define STOREMOV(op, o0, o1) ((op) == OP_MOV && MEMK(o0) && (OPND_KIND(o1) == K_G ||              \
			      OPND_KIND(o1) == K_ACC || OPND_KIND(o1) == K_I))
#define CLS(op, sub, modes, o0, o1, o2, fl)                                                   \
	((op) == OP_STR && ((int)(sub) == (int)STR_MOVS || (int)(sub) == (int)STR_STOS ||        \
			   (int)(sub) == (int)STR_LODS) ? FC_STR :                                     \
	 !DIRECT(op, modes, o0, o1, o2, fl) ? FC_NONE : LOADREG(op, o0, o1) ? FC_LOAD :             \
	 STOREMOV(op, o0, o1) ? FC_STORE : (op) == OP_VMOV ? FC_VEC :                              \
	 (op) == OP_IMUL || (op) == OP_MOVBE ? FC_ONE : FC_RMW)
#define DOP(op, o0)                                                                           \
	((op) == OP_ALU ? (MEMK(o0) ? DOP_ALUM : DOP_ALUR) : (op) == OP_TEST ? DOP_ALUM :           \
	 (op) == OP_INCDEC ? DOP_INCDEC : (op) == OP_NOT ? DOP_NOT : (op) == OP_NEG ? DOP_NEG :       \
	 (op) == OP_BT ? DOP_BT : (op) == OP_XCHG ? DOP_XCHG : (op) == OP_XADD ? DOP_XADD :         \
	 (op) == OP_CMPXCHG ? DOP_CMPXCHG : 0)
#define HOT(op, o0, o1)                                                                       \
	((OPND_KIND(o0) == K_ACC || OPND_KIND(o1) == K_ACC ? HOT_ACC : 0) |                         \
	 (OPND_KIND(o1) == K_I || OPND_KIND(o1) == K_IS ? HOT_IMM : 0) |                            \
	 ((op) == OP_MOVSX ? HOT_SEXT : 0) | (OPND_KIND(o0) == K_V ? HOT_VLOAD : 0))
/* The direct path's bits of the flags. */
#define DFLAGS(op, sub, modes, o0, o1, o2, fl)                                                \
	((uint32_t)CLS(op, sub, modes, o0, o1, o2, fl) << 20 | HOT(op, o0, o1) |                    \
	 (uint32_t)DOP(op, o0) << 27)
/* Bytes for the direct path: fixed, or 0 for the operand size (Y, only MOVNTI there, which
 * has no 16-bit form, is the operand size too; nothing else there uses this nibble). */
#define HSZ(o) (OPND_SIZE(o) >= S_B && OPND_SIZE(o) <= S_Q ? 1u << ((OPND_SIZE(o) - 1) & 3) : 0)
#define E_(op, sub, modes, o0, o1, o2, fl)                                                    \
	{ op, sub, modes, { o0, o1, o2 }, IMMT(o0) | IMMT(o1) | IMMT(o2), XLT(op, o0, o1, fl),     \
	  (fl) | FULL(fl, o0, o1, o2) | DFLAGS(op, sub, modes, o0, o1, o2, fl),                     \
	  FAST(op, modes, fl, FULL(fl, o0, o1, o2)), { FSZ(o0), FSZ(o1) },                         \
	  HSZ(MEMK(o0) ? (o0) : (o1)) | HSZ(o0) << 4 }
/* Prefix and escape bytes in the one-byte map: the decoder's slow start. */
#define HEAD { .flags = F_HEAD | F_FULL }
#define GRP(n) E_(OP_NONE, n, M_ALL, 0, 0, 0, F_MODRM | F_GROUP)
#define PFX(n) E_(OP_NONE, n, M_ALL, 0, 0, 0, F_PFXTAB)
#define PFXM(n) E_(OP_NONE, n, M_ALL, 0, 0, 0, F_MODRM | F_PFXTAB)
#define RMT(n) E_(OP_NONE, n, M_ALL, 0, 0, 0, F_MODRM | F_RMTAB)
/* Length-only entries: intercepted instructions the core measures (never emulated). */
#define LEN(o0, o1, fl) E_(OP_LEN, 0, M_ALL, o0, o1, 0, F_OALL | (fl))
#define LENM(modes, fl) E_(OP_LEN, 0, modes, 0, 0, 0, F_OALL | (fl))
/* VMX and SVM instructions: #UD in real and virtual-8086 mode (SDM Vol. 3C 30.3; APM Vol. 2 15.5). */
#define LENX(o0, o1, fl) E_(OP_LEN, 0, M_NOR, o0, o1, 0, F_OALL | (fl))

#define Eb OPND(K_E, S_B)
#define Ew OPND(K_E, S_W)
#define Ed OPND(K_E, S_D)
#define Ev OPND(K_E, S_V)
#define Ey OPND(K_E, S_Y)
#define Eq OPND(K_E, S_Q)
#define Edq OPND(K_E, S_DQ)
#define Ex OPND(K_E, S_X)
#define Ecl OPND(K_E, S_CL)
#define Gb OPND(K_G, S_B)
#define Gv OPND(K_G, S_V)
#define Gy OPND(K_G, S_Y)
#define By OPND(K_B, S_Y)
#define Ib OPND(K_I, S_B)
#define Iz OPND(K_I, S_Z)
#define Ibs OPND(K_IS, S_V)
#define ALb OPND(K_ACC, S_B)
#define rAX OPND(K_ACC, S_V)
#define eAX OPND(K_ACC, S_Z)
#define Ob OPND(K_O, S_B)
#define Ov OPND(K_O, S_V)
#define Xb OPND(K_XS, S_B)
#define Xv OPND(K_XS, S_V)
#define Xz OPND(K_XS, S_Z)
#define Yb OPND(K_YD, S_B)
#define Yv OPND(K_YD, S_V)
#define Yz OPND(K_YD, S_Z)
#define DXw OPND(K_DX, S_W)
#define IPb OPND(K_IP, S_B)
#define Vy OPND(K_V, S_Y)
#define Vq OPND(K_V, S_Q)
#define Vdq OPND(K_V, S_DQ)
#define Vx OPND(K_V, S_X)
#define STKv OPND(K_STK, S_V)
#define Ef OPND(K_E, S_F)
#define Gf OPND(K_G, S_F)

#define MR (F_MODRM | F_OALL)
#define RMW (F_MODRM | F_OALL | F_RMW)
#define LRMW (RMW | F_LOCK)

/* The eight ALU rows of 00-3F (SDM Vol. 2A: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP). */
#define ALU_ROW(n, wb)                                                        \
	[(n) * 8 + 0] = E_(OP_ALU, n, M_ALL, Eb, Gb, 0, RMW | (wb)),          \
	[(n) * 8 + 1] = E_(OP_ALU, n, M_ALL, Ev, Gv, 0, RMW | (wb)),          \
	[(n) * 8 + 2] = E_(OP_ALU, n, M_ALL, Gb, Eb, 0, RMW | ((wb) & F_NOWB)), \
	[(n) * 8 + 3] = E_(OP_ALU, n, M_ALL, Gv, Ev, 0, RMW | ((wb) & F_NOWB)), \
	[(n) * 8 + 4] = E_(OP_ALU, n, M_ALL, ALb, Ib, 0, F_OALL | F_RMW | ((wb) & F_NOWB)), \
	[(n) * 8 + 5] = E_(OP_ALU, n, M_ALL, rAX, Iz, 0, F_OALL | F_RMW | ((wb) & F_NOWB))

#define STR(sub, o0, o1, fl) E_(OP_STR, sub, M_ALL, o0, o1, 0, F_OALL | (fl))

const struct emul_opdesc emul_map1[256] = {
	ALU_ROW(ALU_ADD, F_LOCK), ALU_ROW(ALU_OR, F_LOCK), ALU_ROW(ALU_ADC, F_LOCK),
	ALU_ROW(ALU_SBB, F_LOCK), ALU_ROW(ALU_AND, F_LOCK), ALU_ROW(ALU_SUB, F_LOCK),
	ALU_ROW(ALU_XOR, F_LOCK), ALU_ROW(ALU_CMP, F_NOWB),
	[0x63] = E_(OP_MOVSX, 0, M_L64, Gv, Ed, 0, F_MODRM | F_O32 | F_O64),
	[0x6c] = STR(STR_INS, Yb, DXw, F_REP),
	[0x6d] = STR(STR_INS, Yz, DXw, F_REP),
	[0x6e] = STR(STR_OUTS, DXw, Xb, F_REP | F_SEGX),
	[0x6f] = STR(STR_OUTS, DXw, Xz, F_REP | F_SEGX),
	[0x80] = GRP(0), [0x81] = GRP(1), [0x83] = GRP(2),
	[0x84] = E_(OP_TEST, ALU_AND, M_ALL, Eb, Gb, 0, MR | F_NOWB),
	[0x85] = E_(OP_TEST, ALU_AND, M_ALL, Ev, Gv, 0, MR | F_NOWB),
	[0x86] = E_(OP_XCHG, 0, M_ALL, Eb, Gb, 0, LRMW),
	[0x87] = E_(OP_XCHG, 0, M_ALL, Ev, Gv, 0, LRMW),
	[0x88] = E_(OP_MOV, 0, M_ALL, Eb, Gb, 0, MR),
	[0x89] = E_(OP_MOV, 0, M_ALL, Ev, Gv, 0, MR),
	[0x8a] = E_(OP_MOV, 0, M_ALL, Gb, Eb, 0, MR),
	[0x8b] = E_(OP_MOV, 0, M_ALL, Gv, Ev, 0, MR),
	[0x8f] = GRP(7),
	[0xa0] = E_(OP_MOV, 0, M_ALL, ALb, Ob, 0, F_OALL),
	[0xa1] = E_(OP_MOV, 0, M_ALL, rAX, Ov, 0, F_OALL),
	[0xa2] = E_(OP_MOV, 0, M_ALL, Ob, ALb, 0, F_OALL),
	[0xa3] = E_(OP_MOV, 0, M_ALL, Ov, rAX, 0, F_OALL),
	[0xa4] = STR(STR_MOVS, Yb, Xb, F_REP | F_SEGX),
	[0xa5] = STR(STR_MOVS, Yv, Xv, F_REP | F_SEGX),
	[0xa6] = STR(STR_CMPS, Xb, Yb, F_REPCC | F_SEGX),
	[0xa7] = STR(STR_CMPS, Xv, Yv, F_REPCC | F_SEGX),
	[0xa8] = E_(OP_TEST, ALU_AND, M_ALL, ALb, Ib, 0, F_OALL | F_NOWB),
	[0xa9] = E_(OP_TEST, ALU_AND, M_ALL, rAX, Iz, 0, F_OALL | F_NOWB),
	[0xaa] = STR(STR_STOS, Yb, ALb, F_REP),
	[0xab] = STR(STR_STOS, Yv, rAX, F_REP),
	[0xac] = STR(STR_LODS, ALb, Xb, F_REP | F_SEGX),
	[0xad] = STR(STR_LODS, rAX, Xv, F_REP | F_SEGX),
	[0xae] = STR(STR_SCAS, ALb, Yb, F_REPCC),
	[0xaf] = STR(STR_SCAS, rAX, Yv, F_REPCC),
	[0xc6] = GRP(8), [0xc7] = GRP(9),
	[0xe4] = E_(OP_IN, 0, M_ALL, ALb, IPb, 0, F_OALL),
	[0xe5] = E_(OP_IN, 0, M_ALL, eAX, IPb, 0, F_OALL),
	[0xe6] = E_(OP_OUT, 0, M_ALL, IPb, ALb, 0, F_OALL),
	[0xe7] = E_(OP_OUT, 0, M_ALL, IPb, eAX, 0, F_OALL),
	[0xec] = E_(OP_IN, 0, M_ALL, ALb, DXw, 0, F_OALL),
	[0xed] = E_(OP_IN, 0, M_ALL, eAX, DXw, 0, F_OALL),
	[0xee] = E_(OP_OUT, 0, M_ALL, DXw, ALb, 0, F_OALL),
	[0xef] = E_(OP_OUT, 0, M_ALL, DXw, eAX, 0, F_OALL),
	[0xf6] = GRP(3), [0xf7] = GRP(4), [0xfe] = GRP(5), [0xff] = GRP(6),
	[0x0f] = HEAD, [0xc4] = HEAD, [0xc5] = HEAD, [0xf0] = HEAD, [0xf2] = HEAD, [0xf3] = HEAD,
	[0x66] = HEAD, [0x67] = HEAD, [0x26] = HEAD, [0x2e] = HEAD, [0x36] = HEAD, [0x3e] = HEAD,
	[0x64] = HEAD, [0x65] = HEAD, [0x40] = HEAD, [0x41] = HEAD, [0x42] = HEAD, [0x43] = HEAD,
	[0x44] = HEAD, [0x45] = HEAD, [0x46] = HEAD, [0x47] = HEAD, [0x48] = HEAD, [0x49] = HEAD,
	[0x4a] = HEAD, [0x4b] = HEAD, [0x4c] = HEAD, [0x4d] = HEAD, [0x4e] = HEAD, [0x4f] = HEAD,
	[0x90] = PFX(23),                         /* F3 90 PAUSE */
	[0xcc] = LEN(0, 0, 0),                    /* INT3 */
	[0xcd] = LEN(Ib, 0, 0),                   /* INT n */
	[0xce] = LENM(M_REAL | M_P16 | M_P32, 0), /* INTO: #UD in 64-bit mode */
	[0xcf] = LEN(0, 0, 0),                    /* IRET/IRETD/IRETQ */
	[0xf4] = LEN(0, 0, 0),                    /* HLT */
};

#define BTR_(sub, o1, fl) E_(OP_BT, sub, M_ALL, Ev, o1, 0, F_MODRM | F_OALL | (fl))

const struct emul_opdesc emul_map0f[256] = {
	[0x10] = PFXM(0), [0x11] = PFXM(1), [0x28] = PFXM(2), [0x29] = PFXM(3),
	[0x6e] = PFXM(4), [0x7e] = PFXM(5), [0x6f] = PFXM(6), [0x7f] = PFXM(7),
	[0xd6] = PFXM(8), [0xe7] = PFXM(9), [0xc3] = PFXM(10),
	[0xa3] = BTR_(BT_BT, Gv, F_NOWB),
	[0xab] = BTR_(BT_BTS, Gv, F_RMW | F_LOCK),
	[0xb3] = BTR_(BT_BTR, Gv, F_RMW | F_LOCK),
	[0xbb] = BTR_(BT_BTC, Gv, F_RMW | F_LOCK),
	[0xae] = GRP(11),
	[0xaf] = E_(OP_IMUL, 0, M_ALL, Gv, Ev, 0, RMW),
	[0xb0] = E_(OP_CMPXCHG, 0, M_ALL, Eb, Gb, 0, LRMW),
	[0xb1] = E_(OP_CMPXCHG, 0, M_ALL, Ev, Gv, 0, LRMW),
	[0xb6] = E_(OP_MOVZX, 0, M_ALL, Gv, Eb, 0, MR),
	[0xb7] = E_(OP_MOVZX, 0, M_ALL, Gv, Ew, 0, MR),
	[0xba] = GRP(10),
	[0xbe] = E_(OP_MOVSX, 0, M_ALL, Gv, Eb, 0, MR),
	[0xbf] = E_(OP_MOVSX, 0, M_ALL, Gv, Ew, 0, MR),
	[0xc0] = E_(OP_XADD, 0, M_ALL, Eb, Gb, 0, LRMW),
	[0xc1] = E_(OP_XADD, 0, M_ALL, Ev, Gv, 0, LRMW),
	[0x01] = RMT(0),
	[0x08] = LEN(0, 0, 0), [0x09] = LEN(0, 0, 0),  /* INVD, WBINVD */
	[0x30] = LEN(0, 0, 0), [0x31] = LEN(0, 0, 0),  /* WRMSR, RDTSC */
	[0x32] = LEN(0, 0, 0), [0x33] = LEN(0, 0, 0),  /* RDMSR, RDPMC */
	[0xa2] = LEN(0, 0, 0),                         /* CPUID */
	[0x78] = LENX(Ef, Gf, F_MODRM | F_NP | F_REGOK), /* VMREAD (66/F2: SSE4a EXTRQ/INSERTQ) */
	[0x79] = LENX(Gf, Ef, F_MODRM | F_NP | F_REGOK), /* VMWRITE */
	[0xc7] = GRP(12),
};

const struct emul_opdesc emul_map0f38[256] = {
	[0xf0] = PFXM(11), [0xf1] = PFXM(12),
	[0x80] = PFXM(25), [0x81] = PFXM(25), /* 66: INVEPT, INVVPID */
};

const struct emul_opdesc emul_vex0f[256] = {
	[0x10] = PFXM(15), [0x11] = PFXM(16), [0x28] = PFXM(17), [0x29] = PFXM(18),
	[0x6f] = PFXM(19), [0x7f] = PFXM(20), [0xe7] = PFXM(21),
};

const struct emul_opdesc emul_vex0f38[256] = {
	[0xf7] = PFXM(22),
};

const struct emul_opdesc emul_groups[][8] = {
	/* 0-2: group 1 (80, 81, 83) */
	[0] = { E_(OP_ALU, 0, M_ALL, Eb, Ib, 0, LRMW), E_(OP_ALU, 1, M_ALL, Eb, Ib, 0, LRMW),
		E_(OP_ALU, 2, M_ALL, Eb, Ib, 0, LRMW), E_(OP_ALU, 3, M_ALL, Eb, Ib, 0, LRMW),
		E_(OP_ALU, 4, M_ALL, Eb, Ib, 0, LRMW), E_(OP_ALU, 5, M_ALL, Eb, Ib, 0, LRMW),
		E_(OP_ALU, 6, M_ALL, Eb, Ib, 0, LRMW), E_(OP_ALU, 7, M_ALL, Eb, Ib, 0, RMW | F_NOWB) },
	[1] = { E_(OP_ALU, 0, M_ALL, Ev, Iz, 0, LRMW), E_(OP_ALU, 1, M_ALL, Ev, Iz, 0, LRMW),
		E_(OP_ALU, 2, M_ALL, Ev, Iz, 0, LRMW), E_(OP_ALU, 3, M_ALL, Ev, Iz, 0, LRMW),
		E_(OP_ALU, 4, M_ALL, Ev, Iz, 0, LRMW), E_(OP_ALU, 5, M_ALL, Ev, Iz, 0, LRMW),
		E_(OP_ALU, 6, M_ALL, Ev, Iz, 0, LRMW), E_(OP_ALU, 7, M_ALL, Ev, Iz, 0, RMW | F_NOWB) },
	[2] = { E_(OP_ALU, 0, M_ALL, Ev, Ibs, 0, LRMW), E_(OP_ALU, 1, M_ALL, Ev, Ibs, 0, LRMW),
		E_(OP_ALU, 2, M_ALL, Ev, Ibs, 0, LRMW), E_(OP_ALU, 3, M_ALL, Ev, Ibs, 0, LRMW),
		E_(OP_ALU, 4, M_ALL, Ev, Ibs, 0, LRMW), E_(OP_ALU, 5, M_ALL, Ev, Ibs, 0, LRMW),
		E_(OP_ALU, 6, M_ALL, Ev, Ibs, 0, LRMW), E_(OP_ALU, 7, M_ALL, Ev, Ibs, 0, RMW | F_NOWB) },
	/* 3: F6 */
	[3] = { [0] = E_(OP_TEST, ALU_AND, M_ALL, Eb, Ib, 0, MR | F_NOWB),
		[2] = E_(OP_NOT, 0, M_ALL, Eb, 0, 0, LRMW),
		[3] = E_(OP_NEG, 0, M_ALL, Eb, 0, 0, LRMW) },
	/* 4: F7 */
	[4] = { [0] = E_(OP_TEST, ALU_AND, M_ALL, Ev, Iz, 0, MR | F_NOWB),
		[2] = E_(OP_NOT, 0, M_ALL, Ev, 0, 0, LRMW),
		[3] = E_(OP_NEG, 0, M_ALL, Ev, 0, 0, LRMW) },
	/* 5: FE */
	[5] = { [0] = E_(OP_INCDEC, 0, M_ALL, Eb, 0, 0, LRMW),
		[1] = E_(OP_INCDEC, 1, M_ALL, Eb, 0, 0, LRMW) },
	/* 6: FF */
	[6] = { [0] = E_(OP_INCDEC, 0, M_ALL, Ev, 0, 0, LRMW),
		[1] = E_(OP_INCDEC, 1, M_ALL, Ev, 0, 0, LRMW),
		[6] = E_(OP_PUSH, 0, M_ALL, STKv, Ev, 0, MR | F_D64) },
	/* 7: 8F */
	[7] = { [0] = E_(OP_POP, 0, M_ALL, Ev, STKv, 0, MR | F_D64) },
	/* 8: C6, 9: C7 */
	[8] = { [0] = E_(OP_MOV, 0, M_ALL, Eb, Ib, 0, MR) },
	[9] = { [0] = E_(OP_MOV, 0, M_ALL, Ev, Iz, 0, MR) },
	/* 10: 0F BA */
	[10] = { [4] = BTR_(BT_BT, Ib, F_NOWB), [5] = BTR_(BT_BTS, Ib, F_RMW | F_LOCK),
		 [6] = BTR_(BT_BTR, Ib, F_RMW | F_LOCK), [7] = BTR_(BT_BTC, Ib, F_RMW | F_LOCK) },
	/* 11: 0F AE (memory forms) */
	[11] = { [6] = PFXM(13), [7] = PFXM(14) },
	/* 12: 0F C7 (memory forms): VMPTRLD/VMCLEAR/VMXON, VMPTRST */
	[12] = { [6] = PFX(24), [7] = LENX(Eq, 0, F_MODRM | F_NP) },
};

#define SSE(o0, o1, fl) E_(OP_VMOV, 0, M_ALL, o0, o1, 0, F_MODRM | F_OALL | (fl))
#define AVX(o0, o1, fl) E_(OP_VMOV, 0, M_NOR, o0, o1, 0, F_MODRM | F_OALL | (fl))
#define MOVBE(o0, o1) E_(OP_MOVBE, 0, M_ALL, o0, o1, 0, MR)
#define CLF(sub) E_(OP_CLFLUSH, sub, M_ALL, Ecl, 0, 0, MR)

const struct emul_opdesc emul_pfxtabs[][4] = {
	[0] = { SSE(Vdq, Edq, 0) },                 /* 0F 10 MOVUPS */
	[1] = { SSE(Edq, Vdq, 0) },                 /* 0F 11 MOVUPS */
	[2] = { SSE(Vdq, Edq, F_ALIGN) },           /* 0F 28 MOVAPS */
	[3] = { SSE(Edq, Vdq, F_ALIGN) },           /* 0F 29 MOVAPS */
	[4] = { [1] = SSE(Vy, Ey, 0) },             /* 66 0F 6E MOVD/MOVQ */
	[5] = { [1] = SSE(Ey, Vy, 0), [2] = SSE(Vq, Eq, 0) }, /* 66 0F 7E MOVD/MOVQ, F3 0F 7E MOVQ */
	[6] = { [1] = SSE(Vdq, Edq, F_ALIGN), [2] = SSE(Vdq, Edq, 0) }, /* 0F 6F MOVDQA/MOVDQU */
	[7] = { [1] = SSE(Edq, Vdq, F_ALIGN), [2] = SSE(Edq, Vdq, 0) }, /* 0F 7F MOVDQA/MOVDQU */
	[8] = { [1] = SSE(Eq, Vq, 0) },             /* 66 0F D6 MOVQ */
	[9] = { [1] = SSE(Edq, Vdq, F_ALIGN) },     /* 66 0F E7 MOVNTDQ */
	[10] = { E_(OP_MOV, 0, M_ALL, Ey, Gy, 0, MR) }, /* 0F C3 MOVNTI */
	[11] = { MOVBE(Gv, Ev), MOVBE(Gv, Ev) },    /* 0F 38 F0 MOVBE */
	[12] = { MOVBE(Ev, Gv), MOVBE(Ev, Gv) },    /* 0F 38 F1 MOVBE */
	[13] = { [1] = CLF(2) },                    /* 66 0F AE /6 CLWB */
	[14] = { CLF(0), CLF(1) },                  /* 0F AE /7 CLFLUSH, 66: CLFLUSHOPT */
	[15] = { AVX(Vx, Ex, 0) },                  /* VEX 0F 10 VMOVUPS */
	[16] = { AVX(Ex, Vx, 0) },                  /* VEX 0F 11 VMOVUPS */
	[17] = { AVX(Vx, Ex, F_ALIGN) },            /* VEX 0F 28 VMOVAPS */
	[18] = { AVX(Ex, Vx, F_ALIGN) },            /* VEX 0F 29 VMOVAPS */
	[19] = { [1] = AVX(Vx, Ex, F_ALIGN), [2] = AVX(Vx, Ex, 0) }, /* VMOVDQA/VMOVDQU */
	[20] = { [1] = AVX(Ex, Vx, F_ALIGN), [2] = AVX(Ex, Vx, 0) }, /* VMOVDQA/VMOVDQU */
	[21] = { [1] = AVX(Ex, Vx, F_ALIGN) },      /* VEX 66 0F E7 VMOVNTDQ */
	[22] = { E_(OP_BEXTR, 0, M_NOR, Gy, Ey, By, MR | F_VEXW) }, /* VEX 0F38 F7 BEXTR */
	[23] = { [2] = LEN(0, 0, 0) },              /* F3 90 PAUSE */
	[24] = { LENX(Eq, 0, F_MODRM), LENX(Eq, 0, F_MODRM), LENX(Eq, 0, F_MODRM) }, /* VMPTRLD, 66 VMCLEAR, F3 VMXON */
	[25] = { [1] = LENX(Gf, Edq, F_MODRM) },           /* 66 0F 38 80/81 INVEPT/INVVPID */
};

/* 0F 01 with mod = 11b, by ModRM[5:0] (SDM Vol. 2D Table A-6; APM Vol. 3 for SVM). */
const struct emul_opdesc emul_rmtabs[][64] = {
	[0] = {
		[0x01] = LEN(0, 0, F_NP), [0x02] = LENX(0, 0, F_NP), /* VMCALL, VMLAUNCH */
		[0x03] = LENX(0, 0, F_NP), [0x04] = LENX(0, 0, F_NP), /* VMRESUME, VMXOFF */
		[0x08] = LEN(0, 0, F_NP), [0x09] = LEN(0, 0, F_NP), /* MONITOR, MWAIT */
		[0x11] = LEN(0, 0, F_NP),                          /* XSETBV */
		[0x18] = LENX(0, 0, 0), [0x19] = LEN(0, 0, 0),     /* VMRUN, VMMCALL */
		[0x1a] = LENX(0, 0, 0), [0x1b] = LENX(0, 0, 0),    /* VMLOAD, VMSAVE */
		[0x1c] = LENX(0, 0, 0), [0x1d] = LENX(0, 0, 0),    /* STGI, CLGI */
		[0x1e] = LENX(0, 0, 0), [0x1f] = LENX(0, 0, 0),    /* SKINIT, INVLPGA */
		[0x39] = LEN(0, 0, 0),                             /* RDTSCP */
	},
};

/* Legacy prefixes and REX (SDM Vol. 2A 2.1.1, 2.2.1), and the escape bytes. */
const uint8_t emul_prefix_kind[256] = {
	[0x0f] = PK_ESC, [0xc4] = PK_ESC, [0xc5] = PK_ESC,
	[0xf0] = PK_LOCK, [0xf2] = PK_REPNE, [0xf3] = PK_REP, [0x66] = PK_OSZ, [0x67] = PK_ASZ,
	[0x26] = PK_SEG + SEG_ES, [0x2e] = PK_SEG + SEG_CS, [0x36] = PK_SEG + SEG_SS,
	[0x3e] = PK_SEG + SEG_DS, [0x64] = PK_SEG + SEG_FS, [0x65] = PK_SEG + SEG_GS,
	[0x40] = PK_REX, [0x41] = PK_REX, [0x42] = PK_REX, [0x43] = PK_REX,
	[0x44] = PK_REX, [0x45] = PK_REX, [0x46] = PK_REX, [0x47] = PK_REX,
	[0x48] = PK_REX, [0x49] = PK_REX, [0x4a] = PK_REX, [0x4b] = PK_REX,
	[0x4c] = PK_REX, [0x4d] = PK_REX, [0x4e] = PK_REX, [0x4f] = PK_REX,
};
