/* The guest suite's engine: every generated case runs once against the test device (run A) and
 * once, as the same bytes in the same register state, on RAM (run B, the CPU itself as the
 * oracle); registers, flags, vector registers, memory and the device's access log are compared.
 * Two ways to give run B the same addresses on RAM: the paged engine (64-bit and 32-bit
 * protected mode) swaps CR3 to page tables that map the window's pages to RAM; the segment
 * engine (real and 16-bit protected mode) gives the segments RAM bases. */
#ifndef SUITE_H
#define SUITE_H

#include "lib/guest.h"
#include "suite/cases.h"

#define SEG_ES 0
#define SEG_CS 1
#define SEG_SS 2
#define SEG_DS 3
#define SEG_FS 4
#define SEG_GS 5

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

#define FL_ARITH 0x8d5u /* CF PF AF ZF SF OF */
#define FL_DF    0x400u
#define FL_AC    0x40000u

/* Register state in and out of a run (a 32-bit run uses the low halves). */
struct ctx {
	uint64_t gpr[16];
	uint64_t rflags;
	uint8_t vec[16][32] __attribute__((aligned(32)));
};

/* How a run ended: normally, or with an exception (the registers then are those at the
 * exception, RIP the faulting instruction's). */
struct xres {
	bool exc;
	uint8_t vector;
	uint32_t error;
	uint64_t cr2, rip;
};

enum vecmode { VEC_NONE, VEC_XMM, VEC_YMM };

/* One run: the bytes in the code slot, the segment set-up, the registers. */
struct plan {
	const struct sc *c;
	uint64_t segbase[6];  /* paged engine: segment bases (64-bit mode: FS and GS only) */
	uint8_t segrole[6];   /* segment engine: the role (enum sc_role) of each data segment */
	enum vecmode vec;
	struct ctx in;
	/* where the case put things (window offsets; scratch and stack offsets) */
	uint32_t off;         /* the window operand (after a bit offset's move) */
	uint32_t n;           /* string elements */
	uint32_t soff, doff;  /* string sides: offsets in their roles */
	uint32_t cursor;      /* port block cursor */
	uint32_t fifo;        /* INS/OUTS: the oracle's source/sink in the scratch area */
	uint32_t wlo, whi;    /* window bytes filled, read back and compared */
	uint32_t slo, shi;    /* scratch bytes compared */
	uint32_t klo, khi;    /* stack bytes compared */
};

/* An engine: the addressing of its roles and how it runs the slot. */
struct engine {
	enum sc_mode mode;
	const char *suite;    /* verdict suite name */
	unsigned nregs;       /* general registers: 16 or 8 */
	bool seg;             /* segment engine */
	uint64_t role_lin[3]; /* paged engine: linear base of ROLE_WIN, ROLE_SCR, ROLE_STK */
	unsigned vec_regs;    /* XMM/YMM registers the mode has */
	bool avx;             /* XCR0 and CR4 allow AVX */
	/* Runs the slot: which = 0 against the device, 1 on RAM. */
	void (*run)(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
		    unsigned len, struct ctx *out, struct xres *x);
};

/* RAM the engines share: the window's mirror (run B's window), scratch and stack pages. */
extern uint8_t win_ram[SC_WIN_BYTES];
extern uint8_t scr_ram[0x2000];
extern uint8_t stk_ram[0x4000];
uint8_t *role_ram(unsigned role);

/* Random numbers (xorshift64*), seeded per run. */
uint64_t rnd64(void);
uint32_t rnd(uint32_t below);
void rnd_seed(uint64_t s);
void rnd_fill(void *p, size_t n);

/* place.c: a random state and the operands of case c; false: the case cannot run here. */
bool plan_make(const struct engine *e, const struct sc *c, struct plan *p);
uint64_t plan_segbase(const struct engine *e, const struct plan *p, unsigned seg);
uint64_t plan_addr(const struct engine *e, const struct plan *p, unsigned role, uint32_t off,
		   unsigned seg);
uint64_t addr_reg(const struct engine *e, unsigned asz, uint64_t v);
uint64_t mask(unsigned bytes);
unsigned reg_bytes(const struct engine *e);
void plan_window(struct plan *p, uint32_t a, uint32_t b);
void plan_scratch(struct plan *p, uint32_t a, uint32_t b);
void plan_stack(struct plan *p, uint32_t a, uint32_t b);

/* check.c: run A against run B and the log; returns false with why[] filled. */
struct outcome {
	struct ctx out;
	struct xres x;
	uint8_t win[SC_WIN_BYTES]; /* window bytes after the run (A: read back) */
	uint8_t scr[0x2000];
	uint8_t stk[0x4000];
};
bool check_case(const struct engine *e, const struct plan *p, const struct outcome *a,
		const struct outcome *b, const uint8_t *win0, const struct tdev_entry *log,
		uint32_t nlog, uint32_t total, char *why, size_t whylen);

/* The engines' runs (struct engine .run): flat.c (paged, 64/32-bit), seg.c (real, 16-bit). */
void flat_run(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
	      unsigned len, struct ctx *out, struct xres *x);
void seg_run(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
	     unsigned len, struct ctx *out, struct xres *x);
void seg_init(void);
/* Code run before the instruction in run A and run B, the instruction then at slot offset off;
 * flat_prologue(0, 0, 0, 0, 0) goes back to the plain slot. */
void flat_prologue(const uint8_t *a, unsigned alen, const uint8_t *b, unsigned blen, uint32_t off);

/* engine.c: runs every case of the engine's mode and reports one verdict per form. */
void suite_run(const struct engine *e);
/* The last case's device run (0) and RAM run (1). */
const struct outcome *suite_outcome(int which);
/* Runs one prepared plan (both runs and the checks); false with why[] filled. */
bool suite_case(const struct engine *e, struct plan *p, char *why, size_t whylen);
bool cpu_has(unsigned feature);
/* errata.c: false (why[] says what) when the CPU's own result for the form is wrong here. */
bool oracle_sound(const struct engine *e, const char *form, char *why, size_t len);
bool vector_init(void);
extern bool suite_trace;
/* -1: suite_run runs every form; 0 or 1: only the forms whose place among the mode's forms
 * (manifest order) has that parity (half=0|1 on the command line: a Bochs run in two boots). */
extern int suite_half;
void ud_suite(const struct engine *e, const char *suite);
void msr_suite(const char *suite, unsigned vcpu);
void cpuid_suite(const char *suite, const struct keel_start_info *si);
void len_suite(const char *suite, bool hwlen);
/* msr, cpuid and len: what does not go through the device. */
void misc_suites(const struct keel_start_info *si);
/* The payload's command line has word w (e.g. "trace=1"). */
bool cmdline_has(const struct keel_start_info *si, const char *w);
void cpu_features_init(void);

#endif
