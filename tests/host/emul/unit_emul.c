/* Unit tests for what the native oracle cannot run: port I/O strings, real and 16-bit modes,
 * faults, the state machine's rules. Expected values follow from the SDM text cited per case. */
#include <stdio.h>
#include <string.h>

#include "emul/emul.h"
#include "fakeenv.h"

static int failures;
static struct fake_env f;
static struct emul e;
static struct emul_regs r;
static uint8_t ram[0x2000], dev[0x1000];

#define RAM_GPA 0x10000ull
#define DEV_GPA 0x80000ull

static void check(bool ok, const char *name, const char *what)
{
	printf("VERDICT %s emul_unit/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ", ok ? "" : what);
	failures += !ok;
}

/* Guest with code at RAM_GPA (flat segments) in `mode`. */
static void guest(enum emul_mode mode, const uint8_t *code, unsigned len)
{
	memset(ram, 0, sizeof(ram));
	memset(dev, 0, sizeof(dev));
	memset(&r, 0, sizeof(r));
	fe_init(&f);
	fe_add_ram(&f, RAM_GPA, ram, sizeof(ram));
	fe_add_dev(&f, DEV_GPA, dev, sizeof(dev));
	fe_regs_mode(&r, mode);
	memcpy(ram, code, len);
	r.rip = RAM_GPA;
	r.rflags = 2;
}

/* rep insb, 3 bytes from port 0x60 to RAM: one PIO batch, stride 0 (SDM Vol. 2A INS). */
static void t_rep_ins(void)
{
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0xf3, 0x6c }, 2);
	r.gpr[EMUL_RDX] = 0x60;
	r.gpr[EMUL_RDI] = RAM_GPA + 0x100;
	r.gpr[EMUL_RCX] = 3;
	f.ports[0x60] = 7;
	int st = emul_start(&e, &f.env, &r, NULL);
	bool req = st == EMUL_ACCESS && e.access.kind == EMUL_KIND_PIO && e.access.count == 3 &&
		   e.access.stride == 0 && e.access.size == 1 && e.access.addr == 0x60;
	st = fe_answer(&f, &e);
	check(req && st == EMUL_DONE && ram[0x100] == 7 && ram[0x101] == 8 && ram[0x102] == 9 &&
	      r.gpr[EMUL_RCX] == 0 && r.gpr[EMUL_RDI] == RAM_GPA + 0x103 && r.rip == RAM_GPA + 2,
	      "rep_insb_batch", "wrong request or result");
}

/* rep outsw from device memory, DF = 1: an MMIO read batch (stride -2), then a PIO write batch. */
static void t_rep_outs_down(void)
{
	guest(EMUL_MODE_PROT32, (const uint8_t[]){ 0x66, 0xf3, 0x6f }, 3);
	r.gpr[EMUL_RDX] = 0x3f8;
	r.gpr[EMUL_RSI] = DEV_GPA + 0x10;
	r.gpr[EMUL_RCX] = 2;
	r.rflags |= EMUL_RFLAGS_DF;
	dev[0x10] = 0x11, dev[0x11] = 0x22, dev[0x0e] = 0x33, dev[0x0f] = 0x44;
	int st = emul_start(&e, &f.env, &r, NULL);
	bool rd = st == EMUL_ACCESS && e.access.kind == EMUL_KIND_MMIO && e.access.stride == -2 &&
		  e.access.count == 2 && e.access.addr == DEV_GPA + 0x10;
	st = fe_answer(&f, &e);
	bool wr = st == EMUL_ACCESS && e.access.kind == EMUL_KIND_PIO && e.access.count == 2 &&
		  e.access.data[0] == 0x11 && e.access.data[1] == 0x22 && e.access.data[2] == 0x33;
	st = fe_answer(&f, &e);
	check(rd && wr && st == EMUL_DONE && r.gpr[EMUL_RSI] == DEV_GPA + 0x0c && r.gpr[EMUL_RCX] == 0,
	      "rep_outsw_df", "wrong requests or registers");
}

/* Real mode: mov [bx+si+4], al uses DS.base + ((BX+SI+4) mod 64K) (SDM Vol. 3A 20.1.1). */
static void t_real_mode(void)
{
	guest(EMUL_MODE_REAL, (const uint8_t[]){ 0x88, 0x40, 0x04 }, 3);
	r.seg[SEG_DS].base = DEV_GPA;
	r.seg[SEG_CS].base = 0;
	r.gpr[EMUL_RBX] = 0xfff0;
	r.gpr[EMUL_RSI] = 0x0010;
	r.gpr[EMUL_RAX] = 0x5a;
	r.rip = RAM_GPA;
	int st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_ACCESS && e.access.addr == DEV_GPA + 4 && e.access.size == 1 &&
	      e.access.data[0] == 0x5a, "real_mode_bx_si_wrap", "address not wrapped at 64K");
}

/* 16-bit address size: movsb with SI = 0xffff wraps SI to 0, upper RSI bits kept (SDM MOVS). */
static void t_si_wrap(void)
{
	guest(EMUL_MODE_PROT16, (const uint8_t[]){ 0xa4 }, 1);
	r.seg[SEG_DS].base = RAM_GPA;
	r.seg[SEG_ES].base = DEV_GPA;
	r.gpr[EMUL_RSI] = 0xabcd0000ffffull & 0xffffffffffffull;
	r.gpr[EMUL_RDI] = 0x10;
	int st = fe_run(&f, &e, &r, 4);
	check(st == EMUL_DONE && (r.gpr[EMUL_RSI] & 0xffff) == 0 &&
	      (r.gpr[EMUL_RSI] >> 16) == 0xabcd0000ull && r.gpr[EMUL_RDI] == 0x11, "si_wrap_16bit",
	      "SI did not wrap within 16 bits");
}

static void t_faults(void)
{
	static const uint8_t longi[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					   0x66, 0x66, 0x66, 0x66, 0x89, 0x07 };
	guest(EMUL_MODE_LONG64, longi, 16);
	int st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_FAULT && e.fault.vector == 13 && e.fault.has_error && e.fault.error == 0,
	      "too_long_gp0", "16-byte instruction not #GP(0)");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0xf0, 0x89, 0x07 }, 3);
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_FAULT && e.fault.vector == 6, "lock_mov_ud", "LOCK MOV not #UD");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0xc5, 0xf2, 0x6f, 0x07 }, 4);
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_FAULT && e.fault.vector == 6, "vex_vvvv_ud", "VEX.vvvv != 1111b not #UD");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0x0f, 0x0b }, 2);
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_UNSUPPORTED, "ud2_unsupported", "UD2 not declined");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0x66, 0x0f, 0x6f, 0x07 }, 4);
	r.gpr[EMUL_RDI] = DEV_GPA + 8;
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_FAULT && e.fault.vector == 13 && f.accesses == 0, "movdqa_align_gp",
	      "misaligned MOVDQA not #GP(0) before any access");
}

/* REP with RCX = 0: no access, RIP advances (SDM REP). A long REP STOS: one batch per start. */
static void t_rep_counts(void)
{
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0xf3, 0xaa }, 2);
	r.gpr[EMUL_RDI] = DEV_GPA;
	int st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_DONE && e.rip_advanced && r.rip == RAM_GPA + 2 && f.accesses == 0,
	      "rep_count_zero", "access made or RIP not advanced");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0xf3, 0x48, 0xab }, 3);
	r.gpr[EMUL_RDI] = DEV_GPA;
	r.gpr[EMUL_RCX] = 1000;
	st = fe_run(&f, &e, &r, 4);
	check(st == EMUL_DONE && !e.rip_advanced && r.rip == RAM_GPA && f.accesses == 1 &&
	      f.max_batch == EMUL_BATCH_MAX_BYTES && r.gpr[EMUL_RCX] == 1000 - 32 &&
	      r.gpr[EMUL_RDI] == DEV_GPA + 256, "rep_stosq_one_batch", "batch rules broken");
}

/* CMPXCHG whose compare fails still writes the old value back (SDM Vol. 2A CMPXCHG). */
static void t_cmpxchg_writes(void)
{
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0x0f, 0xb1, 0x0f }, 3);
	r.gpr[EMUL_RDI] = DEV_GPA;
	r.gpr[EMUL_RAX] = 1;
	r.gpr[EMUL_RCX] = 0x99;
	dev[0] = 5;
	int st = emul_start(&e, &f.env, &r, NULL);
	st = st == EMUL_ACCESS ? fe_answer(&f, &e) : -1;
	bool wr = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE && e.access.data[0] == 5;
	st = fe_answer(&f, &e);
	check(wr && st == EMUL_DONE && r.gpr[EMUL_RAX] == 5 && !(r.rflags & EMUL_RFLAGS_ZF),
	      "cmpxchg_fail_writes_back", "no write-back of the old value");
}

/* State machine: wrong completions refused; abort commits nothing; TF gives a #DB trap. */
static void t_state(void)
{
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0x8b, 0x07 }, 2);
	r.gpr[EMUL_RDI] = DEV_GPA;
	r.rflags |= EMUL_RFLAGS_TF | EMUL_RFLAGS_RF;
	int st = emul_start(&e, &f.env, &r, NULL);
	uint8_t d[8] = { 1, 2, 3, 4 };
	check(st == EMUL_ACCESS && emul_complete(&e, d, 2) == EMUL_EINVAL &&
	      emul_complete(&e, NULL, 0) == EMUL_EINVAL, "complete_wrong_length", "accepted");
	st = emul_complete(&e, d, 4);
	check(st == EMUL_DONE && r.gpr[EMUL_RAX] == 0x04030201 && e.single_step &&
	      !(r.rflags & EMUL_RFLAGS_RF) && e.shadow_clear, "tf_single_step_rf",
	      "no #DB trap, RF kept or shadow not cleared");
	check(emul_complete(&e, d, 4) == EMUL_EINVAL, "complete_when_idle", "accepted");
	guest(EMUL_MODE_LONG64, (const uint8_t[]){ 0x83, 0x07, 0x01 }, 3);
	r.gpr[EMUL_RDI] = DEV_GPA;
	struct emul_regs before = r;
	st = emul_start(&e, &f.env, &r, NULL);
	emul_abort(&e);
	check(st == EMUL_ACCESS && !memcmp(&before, &r, sizeof(r)) &&
	      emul_complete(&e, d, 4) == EMUL_EINVAL, "abort_commits_nothing", "state changed");
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .gpa = DEV_GPA + 0x5000 };
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_RETRY && f.accesses == 0, "exit_mismatch_retry", "no RETRY");
	x.kind = EMUL_EXIT_PIO;
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_RETRY, "pio_exit_on_mov_retry", "no RETRY");
}

/* 16-bit code: IP wraps at 64K after the instruction (SDM Vol. 1 3.5); IN zero-extends EAX. */
static void t_ip_wrap_in(void)
{
	guest(EMUL_MODE_PROT16, (const uint8_t[]){ 0x66, 0xe5, 0x70 }, 3);
	r.seg[SEG_CS].base = RAM_GPA - 0xfffe;
	r.rip = 0xfffe;
	memcpy(ram, (const uint8_t[]){ 0x66, 0xe5, 0x70 }, 3);
	f.ports[0x70] = 0x12;
	r.gpr[EMUL_RAX] = ~0ull;
	int st = fe_run(&f, &e, &r, 2);
	check(st == EMUL_DONE && r.rip == 1 && r.gpr[EMUL_RAX] == 0x12, "ip_wrap_in_eax",
	      "IP not wrapped or EAX not zero-extended");
}

int main(void)
{
	t_rep_ins();
	t_rep_outs_down();
	t_real_mode();
	t_si_wrap();
	t_faults();
	t_rep_counts();
	t_cmpxchg_writes();
	t_state();
	t_ip_wrap_in();
	return failures ? 1 : 0;
}
