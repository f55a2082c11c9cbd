/* The backend self-test (virt_selftest=1): a small guest per CPU mode runs the instructions in
 * selftest_guest.S and the host checks each exit against what the assembler placed there. */
#ifndef SVM_SELFTEST_H
#define SVM_SELFTEST_H

#include "svm.h"

#define ST_RAM    0x10000ull /* guest RAM [0, ST_RAM), mapped RWX */
#define ST_GDT    0x1000ull
#define ST_IDT    0x2000ull
#define ST_PML4   0x3000ull  /* long mode: PML4, PDPT at +0x1000, 4 PDs at +0x2000 */
#define ST_DATA   0x9000ull
#define ST_CODE   0xa000ull
#define ST_STACK  0x10000ull

struct st;

/* One expected exit: `at` is the instruction the exit reports (NULL: no RIP check),
 * `end` the one after it. */
struct step {
	const char *name;
	const u8 *at, *end;
	u8 kind;
	bool (*applies)(void);                            /* NULL: always */
	const char *skip_why;                             /* when it does not apply */
	int (*check)(struct st *t, const struct step *s); /* 0, or st_fail() */
	void (*act)(struct st *t, const struct step *s);  /* NULL: RIP = end */
};

struct mode {
	const char *name;
	const u8 *blob, *blob_end;
	u64 rip_base;                   /* RIP of blob[0] */
	u64 sp;                         /* initial RSP */
	u64 npf_gpa;                    /* unmapped GPA the base sequence reads (+0x10: writes) */
	u32 gpr_sum;                    /* what the guest sums from the GPRs the host set at HLT */
	void (*setup)(struct st *t);
	const struct step *steps;
	u32 nsteps;
};

struct st {
	const struct virt_ops *ops;
	struct vcpu *v;
	const struct mode *m;
	u8 *ram;
	u64 *npt_pt;                    /* the nested PT for GPAs below 2 MiB */
	u64 tsc_before, tsc_after;      /* host TSC around the last vcpu_run */
	u64 host_gs, host_kgs;          /* markers the host keeps while the guest runs */
	u32 failed, passed;
	char why[160];
};

u64 st_rip(const struct st *t, const u8 *p);
int st_fail(struct st *t, const char *fmt, ...) __printf(2, 3);
void st_verdict(struct st *t, const char *suite, const char *name, int rc);
void st_skip_insn(struct st *t, const struct step *s);
void st_set_gpr(struct st *t, unsigned r, u64 val);
u8 *st_map(struct st *t, u64 gpa, unsigned prot);
void st_sregs_real(struct vcpu_sregs *s);
void st_sregs_prot32(struct vcpu_sregs *s);
void st_sregs_long64(struct vcpu_sregs *s);
void st_act_none(struct st *t, const struct step *s);
bool st_has_nx(void);
bool st_task_switch_exits(void);

extern const struct mode st_mode_real, st_mode_prot32, st_mode_long64;

#define ST_GUEST_FS 0x12345000ull /* the long-mode guest's FS base, set through sregs */

/* selftest_base.c: exit-field checks (0 or st_fail()), register access, mode state. */
u64 st_gpr(struct st *t, unsigned r);
u32 st_gpr32(struct st *t, unsigned r);
void st_inject(struct st *t, u8 type, u8 vector, bool has_error, u32 error);
int st_io_is(struct st *t, u16 port, u8 size, bool in, bool string, bool rep);
int st_npf_is(struct st *t, u64 gpa, bool write, bool fetch, bool present);
int st_exc_is(struct st *t, u8 vector, bool has_error, u32 error, u64 info);
void st_start(struct st *t, void (*fill)(struct vcpu_sregs *));
int st_chk_cpuid(struct st *t, const struct step *s);
void st_act_cpuid(struct st *t, const struct step *s);
int st_chk_out(struct st *t, const struct step *s);
int st_chk_in(struct st *t, const struct step *s);
int st_chk_outs(struct st *t, const struct step *s);
void st_act_outs(struct st *t, const struct step *s);
int st_chk_npf_read(struct st *t, const struct step *s);
void st_act_npf_read(struct st *t, const struct step *s);
int st_chk_npf_write(struct st *t, const struct step *s);
void st_act_hlt(struct st *t, const struct step *s);
int st_chk_sum(struct st *t, const struct step *s);

/* The sequence every mode's blob starts with (prefix p: g16, g32, g64). */
#define BASE_STEPS(p)                                                                      \
	STEP("cpuid", p##_cpuid, VEXIT_CPUID, .check = st_chk_cpuid, .act = st_act_cpuid),  \
	STEP("out", p##_out, VEXIT_IO, .check = st_chk_out),                               \
	STEP("in", p##_in, VEXIT_IO, .check = st_chk_in),                                  \
	STEP("rep-outsb", p##_outs, VEXIT_IO, .check = st_chk_outs, .act = st_act_outs),    \
	STEP("npf-read", p##_npf_read, VEXIT_NPF, .check = st_chk_npf_read,                \
	     .act = st_act_npf_read),                                                      \
	STEP("npf-write", p##_npf_write, VEXIT_NPF, .check = st_chk_npf_write),            \
	STEP("hlt", p##_hlt, VEXIT_HLT, .act = st_act_hlt),                                \
	STEP("gprs", p##_sum, VEXIT_HYPERCALL, .check = st_chk_sum)

#define EXT(sym) extern const u8 sym[], sym##_end[]
#define STEP(n, sym, k, ...) { .name = n, .at = sym, .end = sym##_end, .kind = k, __VA_ARGS__ }

#endif
