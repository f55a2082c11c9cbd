/* The generated instruction cases of the guest suite (tests/guest/suite/gen_cases.c writes them
 * from emul/manifest.tsv): instruction bytes and how the guest places their operands. Shared by
 * the generator (hosted) and the payloads (freestanding): fixed-width types only. */
#ifndef SUITE_CASES_H
#define SUITE_CASES_H

#include <stdint.h>
#include <abi/testdev.h>

/* Linear layout of the paged engine (64-bit and 32-bit protected mode): the test device's
 * window at its guest-physical address, RAM pages just below it (so that RIP-relative and
 * 32-bit displacements reach everything). The RAM-run root maps the window's pages to RAM. */
#define SC_TA        0xfeb00000u           /* the window (KEEL_TESTDEV_GPA) */
#define SC_SLOT      (SC_TA - 0x8000u)     /* code slot: 2 pages */
#define SC_STK       (SC_TA - 0x6000u)     /* stack: 4 pages */
#define SC_SCR       (SC_TA - 0x2000u)     /* scratch data: 2 pages */
#define SC_RSP_DISP  0x4000                /* [rsp + disp32] forms: rsp lands in the stack */
#define SC_SEGB      0x10000000u           /* FS base of SCF_SEGBASE forms (16-bit addresses: SC_TA) */

/* The segment engine (real mode, 16-bit protected mode): the code segment's base and the code
 * slot's offset in it (real mode: CS = SC_LOW_BASE >> 4). */
#define SC_LOW_BASE  0x90000u
#define SC_LOW_SLOT  0x8000u

#define SC_NOREG 0xff
#define SC_WIN_BYTES 0x2000u

enum sc_kind {
	SC_MODRM,  /* one ModRM memory operand in the window */
	SC_PUSH,   /* PUSH m: the operand in the window, the stack in RAM */
	SC_POP,    /* POP m */
	SC_MOFFS,  /* A0-A3: the offset is in the bytes (moff) */
	SC_STR,    /* MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS */
	SC_IO,     /* IN/OUT with an 8-bit port or DX */
	SC_NOMEM,  /* no memory operand: cannot reach the MMIO path */
};

enum sc_cls { SC_NONE = 0, SC_R = 1, SC_W = 2, SC_RW = 3 };
enum sc_regk { RK_NONE, RK_GPR, RK_VEC, RK_BITOFF };
enum sc_str { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS, STR_IN, STR_OUT };
enum sc_role { ROLE_WIN, ROLE_SCR, ROLE_STK, ROLE_NONE };
enum sc_count { CNT_ONE_NOREP, CNT_ZERO, CNT_ONE, CNT_MANY };
enum sc_cpu { CPU_BASE, CPU_SSE, CPU_SSE2, CPU_AVX, CPU_BMI1, CPU_MOVBE, CPU_CLFLUSH,
	      CPU_CLFLUSHOPT, CPU_CLWB, CPU_COUNT };
enum sc_mode { MODE_L64, MODE_P32, MODE_P16, MODE_REAL, MODE_COUNT };

#define SCF_RIPREL   0x01  /* RIP-relative: the operand's offset follows from the slot address */
#define SCF_ALIGN    0x02  /* the operand must be aligned to its size */
#define SCF_MISALIGN 0x04  /* place it misaligned: #GP(0) expected from both runs */
#define SCF_CMPEQ    0x08  /* CMPXCHG: rAX equals the operand (the compare succeeds) */
#define SCF_YMM      0x10  /* a 256-bit vector form */
#define SCF_OVERLAP  0x20  /* MOVS/CMPS within the window, the ranges overlapping */
#define SCF_REPNE    0x40  /* F2 (REPNE) rather than F3 */
#define SCF_SEGBASE  0x80  /* the operand's segment has a nonzero base (override) */
#define SCF_FAULT    0x100 /* page-walk cases: an exception is expected (compared with the CPU's) */

struct sc {
	uint8_t code[15];
	uint8_t len;
	uint8_t ocode[15]; /* I/O forms: the memory instruction the CPU runs as the oracle */
	uint8_t olen;
	uint16_t form;     /* index into sc_forms[] */
	uint8_t kind;      /* enum sc_kind */
	uint8_t cls;       /* the window operand: enum sc_cls */
	uint8_t msize;     /* memory operand bytes (strings and I/O: element bytes) */
	uint8_t osz;       /* operand size in bytes, 0 = fixed */
	uint8_t asz;       /* address size in bytes */
	uint8_t base, index, scale;
	uint8_t reg, regk; /* the ModRM.reg operand */
	uint8_t vvvv;      /* VEX.vvvv register (BEXTR), else SC_NOREG */
	uint8_t seg;       /* segment of the memory operand (ES CS SS DS FS GS = 0-5) */
	uint8_t cpu;       /* enum sc_cpu */
	uint16_t flags;    /* SCF_* */
	uint8_t str;       /* enum sc_str */
	uint8_t rep;       /* strings: a REP prefix */
	uint8_t df;        /* strings: RFLAGS.DF */
	uint8_t count;     /* strings: enum sc_count */
	uint8_t src, dst;  /* strings and I/O: enum sc_role of each memory side */
	uint8_t port;      /* IN/OUT: port offset in the port block; 0xff: from DX */
	int32_t disp;
	uint16_t moff;     /* SC_MOFFS, absolute and RIP-relative forms: the window offset */
	uint8_t variant;   /* index of the addressing variant (for failure messages) */
	uint16_t undef;    /* RFLAGS bits the SDM leaves undefined (not compared) */
};

struct sc_table {
	const struct sc *c;
	uint32_t n;
};

/* Every form of emul/manifest.tsv that is valid in a mode, in manifest order. */
struct sc_form {
	const char *name;
	uint8_t modes; /* 1 << enum sc_mode */
};

extern const struct sc_form sc_forms[];
extern const uint32_t sc_nforms;
extern const struct sc_table sc_tables[MODE_COUNT];

#endif
