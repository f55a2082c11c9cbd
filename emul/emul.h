/* Keel's MMIO/port-I/O instruction emulator: fetch, decode, emulate, as a request/complete state
 * machine. The caller (VMX/SVM exit code) fills struct emul_regs, calls emul_start(), answers each
 * EMUL_ACCESS with emul_complete() (in-core device or the ring) and writes the registers back after
 * EMUL_DONE. No callback into the device side ever holds instruction state. See docs/emulator.md. */
#ifndef EMUL_EMUL_H
#define EMUL_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "seg.h"
#include "walk.h"

#define EMUL_INSN_MAX 15          /* SDM Vol. 2A 2.3.11: longer is #GP(0) */
#define EMUL_BATCH_MAX_BYTES 256  /* most data one access (one ring slot) carries */

enum emul_status {
	EMUL_DONE,        /* registers, RFLAGS and RIP updated: write them back */
	EMUL_ACCESS,      /* a device access is needed: read e->access, then emul_complete() */
	EMUL_FAULT,       /* inject e->fault (registers unchanged) */
	EMUL_UNSUPPORTED, /* outside the coverage manifest: inject #UD */
	EMUL_RETRY,       /* re-enter the guest unchanged (the instruction does not match the exit) */
	EMUL_BAD_TABLES,  /* a guest paging structure lies outside guest RAM: stop the vCPU */
};

enum emul_gpr {
	EMUL_RAX, EMUL_RCX, EMUL_RDX, EMUL_RBX, EMUL_RSP, EMUL_RBP, EMUL_RSI, EMUL_RDI,
	EMUL_R8, EMUL_R9, EMUL_R10, EMUL_R11, EMUL_R12, EMUL_R13, EMUL_R14, EMUL_R15,
};

#define EMUL_RFLAGS_CF (1u << 0)
#define EMUL_RFLAGS_PF (1u << 2)
#define EMUL_RFLAGS_AF (1u << 4)
#define EMUL_RFLAGS_ZF (1u << 6)
#define EMUL_RFLAGS_SF (1u << 7)
#define EMUL_RFLAGS_TF (1u << 8)
#define EMUL_RFLAGS_DF (1u << 10)
#define EMUL_RFLAGS_OF (1u << 11)
#define EMUL_RFLAGS_RF (1u << 16)
#define EMUL_RFLAGS_ARITH 0x8d5u /* CF PF AF ZF SF OF */

/* Guest register file: the caller copies it from the VMCS/VMCB and back after EMUL_DONE. */
struct emul_regs {
	uint64_t gpr[16];
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer, xcr0;
	struct emul_seg seg[SEG_COUNT];
	unsigned cpl; /* VMX: SS.DPL; SVM: VMCB CPL */
	/* For the page walker (struct walk_ctl): guest MAXPHYADDR (0 = 52), PKRU and IA32_PKRS,
	 * and the PAE PDPTEs when the CPU holds them (VMX with EPT; pdpte_valid false: read from
	 * guest memory, as AMD CPUs do). Zero is a valid setting for all of them. */
	unsigned maxphyaddr;
	uint32_t pkru, pkrs;
	bool pdpte_valid;
	uint64_t pdpte[4];
};

enum emul_gpa_class { EMUL_GPA_RAM, EMUL_GPA_DEVICE };

/* What the emulator needs from its caller. Vector registers are the guest's XMM/YMM (emul/vecreg.S
 * accesses the live registers in the core; host tests pass a fake). */
struct emul_env {
	struct emul_mem mem; /* guest RAM (fetch, page walks, RAM operands) */
	void *ctx;
	/* EMUL_GPA_RAM only if all of [gpa, gpa+len) is RAM; anything else is a device access. */
	enum emul_gpa_class (*classify)(void *ctx, uint64_t gpa, uint32_t len);
	/* Copy `len` (4, 8, 16 or 32) bytes of XMM/YMM `reg` (0-15) out of or into the register file.
	 * vec_write zeroes bytes [len, zero_to) of the YMM register and keeps the rest. */
	void (*vec_read)(void *ctx, unsigned reg, void *buf, unsigned len);
	void (*vec_write)(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to);
};

/* The live-register implementation of vec_read/vec_write (emul/vecreg.S; core only). */
void emul_vec_read_live(void *ctx, unsigned reg, void *buf, unsigned len);
void emul_vec_write_live(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to);

enum emul_access_kind { EMUL_KIND_MMIO, EMUL_KIND_PIO };
enum emul_dir { EMUL_DIR_READ, EMUL_DIR_WRITE };

/* One device access request: `count` elements of `size` bytes, element i at addr + i*stride
 * (stride is +size, -size, or 0 for a port or FIFO). Write data: element i at data[i*size].
 * A read is answered with count*size bytes in the same order. EMUL_ACCESS_RMW marks both halves
 * of a read-modify-write operand (the read, then the write of the computed value): a caller whose
 * read half failed must not send the write half (docs/ring.md §4). */
#define EMUL_ACCESS_RMW 0x1u
struct emul_access {
	uint8_t kind;   /* enum emul_access_kind */
	uint8_t dir;    /* enum emul_dir */
	uint8_t size;   /* 1, 2, 4 or 8 */
	uint8_t flags;  /* EMUL_ACCESS_* */
	int16_t stride;
	uint16_t count; /* 1 .. EMUL_BATCH_MAX_BYTES / size */
	uint64_t addr;  /* guest-physical address, or port */
	uint8_t data[EMUL_BATCH_MAX_BYTES];
};

/* A memory operand of the decoded instruction, for checking against the exit information. */
struct emul_memop {
	uint64_t la;       /* linear address of the lowest byte */
	uint64_t gpa[2];   /* pages: bytes [0, len0) at gpa[0], the rest at gpa[1] */
	uint32_t size;     /* bytes (a string batch: the whole batch) */
	uint16_t len0;
	uint8_t seg;       /* enum emul_segreg */
	bool read, write;
	bool dev[2];       /* the piece is a device access */
};

/* What the exit reported, so emul_start can RETRY when the instruction does not match it.
 * With la_valid (VMX: guest-linear address valid), the page la -> gpa is used without a walk:
 * the CPU walked it for this very access (only for a write if `write`). With gpa_final (SVM:
 * no linear address, but the fault was on the final translation of a data access, so gpa is
 * that access's own address), an instruction whose one memory operand is a ModRM or moffs
 * operand takes gpa's page for the operand's page at the same page offset. `dev` below saves
 * the classification of that page. */
struct emul_exit {
	uint8_t kind; /* EMUL_EXIT_NONE, EMUL_EXIT_MMIO or EMUL_EXIT_PIO */
	bool write;
	bool la_valid;
	bool gpa_final;
	uint16_t port;
	/* The caller knows that the page of gpa holds no guest RAM (e.g. a nested page fault on a
	 * page the nested tables do not map, where they map all of RAM): with la_valid or
	 * gpa_final, an operand within that page is a device access without env->classify. */
	bool dev;
	uint64_t gpa;
	uint64_t la;
};
enum { EMUL_EXIT_NONE, EMUL_EXIT_MMIO, EMUL_EXIT_PIO };

/* Decoded instruction: a plain struct (the emulator's input, also the decode oracle's). */
struct emul_opdesc;
struct emul_insn {
	const struct emul_opdesc *d; /* opcode table entry */
	int64_t disp;
	uint64_t imm;      /* raw immediate (moffs: the offset) */
	uint8_t len;
	uint8_t mode;      /* enum emul_mode */
	uint8_t osz, asz;  /* operand / address size in bytes (2, 4, 8) */
	uint8_t opsz[3];   /* bytes of each operand of the table entry (0 = none) */
	uint8_t reg;       /* ModRM.reg | REX.R << 3 */
	/* prefixes (all 0 without any, but segovr = SEG_COUNT and map = EMUL_MAP_1) */
	uint8_t pfx;       /* EMUL_PFX_* seen */
	uint8_t mand;      /* mandatory prefix selecting the entry: 0, 0x66, 0xf3, 0xf2 */
	uint8_t segovr;    /* last segment override, or SEG_COUNT */
	uint8_t rex;       /* REX byte in effect (0 if none) */
	uint8_t vex_l, vex_w, vex_v; /* VEX.L, VEX.W, ~VEX.vvvv */
	uint8_t map;       /* EMUL_MAP_* */
	/* the ModRM or moffs memory operand */
	uint8_t seg;       /* its segment (override or default) */
	uint8_t base, index, scale;  /* EMUL_NOREG when absent; scale = 1, 2, 4, 8 */
	bool riprel, has_mem;
	int8_t disp_size, imm_size;
	uint8_t opc, modrm; /* opcode byte, ModRM byte */
};
#define EMUL_NOREG 0xff
enum { EMUL_MAP_1, EMUL_MAP_0F, EMUL_MAP_0F38, EMUL_MAP_VEX0F, EMUL_MAP_VEX0F38 };
#define EMUL_PFX_LOCK  0x01
#define EMUL_PFX_REP   0x02 /* F3 */
#define EMUL_PFX_REPNE 0x04 /* F2 */
#define EMUL_PFX_OSZ   0x08 /* 66 */
#define EMUL_PFX_ASZ   0x10 /* 67 */
#define EMUL_PFX_VEX   0x20

enum emul_decode_status {
	EMUL_DEC_OK,
	EMUL_DEC_SHORT,       /* more bytes needed than given */
	EMUL_DEC_UD,          /* invalid encoding (#UD): LOCK misuse, bad VEX fields */
	EMUL_DEC_GP,          /* over 15 bytes: #GP(0) */
	EMUL_DEC_UNSUPPORTED, /* valid or not, outside the manifest */
};

/* Decode `len` bytes (never reads beyond them) in `mode`. */
int emul_decode(const uint8_t *bytes, unsigned len, enum emul_mode mode, struct emul_insn *out);
/* The same, also accepting the length-only forms (intercepted instructions such as CPUID, HLT,
 * VMMCALL, RDMSR: `len` in emul/manifest.tsv): for the core to skip an instruction whose length
 * the hardware does not report. EMUL_DEC_SHORT when the bytes end before the instruction. */
int emul_decode_length(const uint8_t *bytes, unsigned len, enum emul_mode mode,
		       struct emul_insn *out);

#define EMUL_EAGAIN (-11) /* -EAGAIN */
#define EMUL_EFAULT (-14) /* -EFAULT */

/* Fetch up to EMUL_INSN_MAX bytes at CS:RIP through the segment checks and the page walk,
 * stopping at the CS limit or before a page that cannot be read. Returns 0 with *len >= 1 (if
 * the fetch stopped early at a fault, *fault holds it: a caller whose decode then says
 * EMUL_DEC_SHORT injects it), 1 when not even the first byte can be fetched (*fault set), or,
 * when nothing can be read and there is no fault to inject, EMUL_EFAULT (a paging structure or
 * the code itself lies outside guest RAM: stop the vCPU) or EMUL_EAGAIN (the walk kept racing
 * with the guest's page-table updates: re-enter the guest). */
int emul_fetch(const struct emul_mem *mem, const struct emul_regs *r, uint8_t buf[EMUL_INSN_MAX],
	       unsigned *len, struct emul_fault *fault);

#define EMUL_EINVAL (-22) /* -EINVAL: emul_complete() without a matching pending access */

/* Private: one operand an emulation loads and/or stores, a memory operand or a port. */
struct emul_side {
	uint8_t *buf;     /* its data, in access order */
	uint8_t mop;      /* index into mop[], or EMUL_SIDE_PORT */
	uint8_t esz;      /* batch or port element bytes; 0 = one operand of mop.size bytes */
	bool down;        /* batch elements at descending addresses (DF = 1) */
	bool load, store; /* read before the calculation, written after it */
	uint16_t n;       /* batch elements */
	uint16_t port;
};
#define EMUL_SIDE_PORT 0xff

/* Private: register results, committed only after the last store. */
struct emul_stage {
	uint64_t rflags;
	uint8_t nreg;
	uint8_t reg[4], size[4];
	int8_t vec;       /* XMM/YMM register loaded from side 0's buffer, or -1 */
	uint64_t val[4];
};

/* One emulation in progress (one per vCPU). Fields under "outputs" are for the caller to read;
 * the rest is private to emul/. */
struct emul {
	/* outputs */
	struct emul_access access;  /* valid after EMUL_ACCESS */
	struct emul_fault fault;    /* valid after EMUL_FAULT */
	struct emul_memop mop[2];   /* memory operands (nmop of them; none after the direct path) */
	uint8_t nmop;
	bool single_step;           /* after EMUL_DONE: RFLAGS.TF was set, inject a #DB trap (DR6.BS) */
	bool shadow_clear;          /* after EMUL_DONE: clear the STI/MOV-SS interrupt shadow */
	bool rip_advanced;          /* after EMUL_DONE: false while a REP string has elements left */

	/* private */
	struct emul_insn in;
	const struct emul_exit *exit;
	const struct emul_env *env;
	struct emul_regs *regs;
	const uint8_t *bytes; /* the instruction during emul_start_bytes (the direct path) */
	unsigned nbytes;
	uint32_t pend;      /* EMUL_PEND | bytes the pending read returns; 0: nothing pending */
	/* what emul_complete does with the answer (direct.c, emul.c) */
	int (*cont)(struct emul *e, const uint8_t *data, uint32_t len);
	/* the same for a one-element access of the direct path, with the answer by value (hot.c) */
	int (*vcont)(struct emul *e, uint64_t v);
	struct {            /* the direct path (direct.c) */
		uint64_t rip;     /* RIP after the instruction */
		uint64_t src;     /* the source operand's value; the flags between two accesses */
		uint64_t rv;      /* a register result (CMPXCHG: rAX before) */
		uint64_t si, di, cx, ram; /* strings: rSI, rDI, rCX after; the RAM side's GPA */
		uint64_t mask;    /* a load: the access's bytes as a mask of the answer */
		uint8_t reg, dsize, rex; /* its register, its bytes, REX present */
		uint8_t msize;    /* a load: the memory operand's bytes */
		uint8_t dop, sub; /* the calculation (DOP_*) and its operation */
		bool wb, rw;      /* the memory operand is written back; the register is */
		bool sext, vex;   /* a MOV load sign-extends; a vector load is VEX-encoded */
		bool down;        /* strings: DF set */
	} fx;
	uint8_t nside;
	uint8_t next;       /* one-access forms: what emul_complete does next (emul.c) */
	uint8_t ld_reg, ld_size, ld_sext; /* a MOV load: register, its bytes, sign-extend */
	uint16_t steps;     /* steps still to run (bit per step, see steps.c) */
	uint8_t *pend_buf;  /* where the pending read's bytes go */
	uint32_t batch;     /* string elements in this emulation */
	struct {            /* a string instruction (ops_string.c) */
		uint8_t size, sides, ssrc;
		bool down, rep;
		uint64_t count;
	} str;
	struct emul_side side[2];
	struct emul_stage stage;
	uint8_t data[EMUL_BATCH_MAX_BYTES] __attribute__((aligned(8)));
	uint8_t data2[32] __attribute__((aligned(8)));
};

/* Fetch the instruction at CS:RIP, decode and start emulating it. `exit` may be NULL. */
int emul_start(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
	       const struct emul_exit *exit);
/* The same with the instruction bytes already known (e.g. SVM decode assists). */
int emul_start_bytes(struct emul *e, const struct emul_env *env, struct emul_regs *regs,
		     const struct emul_exit *exit, const uint8_t *bytes, unsigned len);
/* Answer the pending access: a read passes access.count * access.size bytes, a write NULL/0.
 * Returns the next enum emul_status, or -EINVAL (nothing pending, or the wrong length). */
int emul_complete(struct emul *e, const void *data, uint32_t len);
/* The same for an access of one element (access.count == 1) with the answer by value: a read's
 * data is the low access.size bytes of `v` (the rest is ignored), a write's `v` is ignored.
 * -EINVAL if nothing is pending or the pending access has more than one element. */
int emul_complete_value(struct emul *e, uint64_t v);
/* Drop the pending emulation: nothing is committed; the guest re-executes the instruction.
 * A device write already sent may thus be repeated; a caller that times out a read should
 * rather complete it with all-ones data. */
void emul_abort(struct emul *e);

#endif
