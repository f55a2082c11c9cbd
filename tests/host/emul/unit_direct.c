/* Unit tests of the direct path (emul/direct.c, emul/direct_str.c): each case starts with the
 * exit a VMX CPU reports (guest-linear and guest-physical address, write or not) or an SVM one
 * (final GPA only), with an exit GPA that differs from what the guest's page tables give, so
 * that the access shows the exit's translation was used; nmop = 0 shows the direct path took
 * the instruction. Expected values follow from the SDM text cited per case. */
#include <stdio.h>
#include <string.h>

#include "emul/emul.h"
#include "fakeenv.h"

static int failures;
static struct fake_env f;
static struct emul e;
static struct emul_regs r;
static uint8_t ram[0x2000], dev[0x2000];

#define RAM_GPA 0x10000ull
#define DEV_GPA 0x80000ull
#define LA 0x7f0000000ull /* identity-mapped, nothing there: only the exit leads to the device */

static void check(bool ok, const char *name, const char *what)
{
	printf("VERDICT %s emul_direct/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ",
	       ok ? "" : what);
	failures += !ok;
}

/* 64-bit guest with code at RAM_GPA; RDI at LA + off. */
static void guest(const uint8_t *code, unsigned len, uint64_t off)
{
	memset(ram, 0, sizeof(ram));
	memset(dev, 0, sizeof(dev));
	memset(&r, 0, sizeof(r));
	fe_init(&f);
	fe_add_ram(&f, RAM_GPA, ram, sizeof(ram));
	fe_add_dev(&f, DEV_GPA, dev, sizeof(dev));
	fe_regs_mode(&r, EMUL_MODE_LONG64);
	memcpy(ram, code, len);
	r.rip = RAM_GPA;
	r.rflags = 2;
	r.gpr[EMUL_RDI] = LA + off;
}

/* Start with a VMX exit at LA + off (device offset off), answer every access, DONE or not. */
static int run(uint64_t off, bool write, unsigned *accesses)
{
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = LA + off,
			       .gpa = DEV_GPA + off, .write = write };
	int st = emul_start(&e, &f.env, &r, &x), n = 0;

	while (st == EMUL_ACCESS && n++ < 8)
		st = fe_answer(&f, &e);
	if (accesses)
		*accesses = (unsigned)n;
	return st;
}

static uint32_t dev32(unsigned off)
{
	uint32_t v;

	memcpy(&v, dev + off, 4);
	return v;
}

/* SDM Vol. 1 3.4.1.1: a 32-bit load zero-extends into the 64-bit register; an 8-bit load into
 * AH (no REX) and a 16-bit one keep the other bits; MOVSX sign-extends (Vol. 2B MOVSX). */
static void t_loads(void)
{
	unsigned n;

	guest((const uint8_t[]){ 0x8b, 0x47, 0x10 }, 3, 0x100); /* mov eax, [rdi+0x10] */
	r.gpr[EMUL_RAX] = ~0ull;
	memcpy(dev + 0x110, (const uint8_t[]){ 0x78, 0x56, 0x34, 0x12 }, 4);
	check(run(0x110, false, &n) == EMUL_DONE && n == 1 && e.nmop == 0 &&
	      r.gpr[EMUL_RAX] == 0x12345678 && r.rip == RAM_GPA + 3, "load32_zero_extends",
	      "upper half kept, wrong value or not the direct path");
	guest((const uint8_t[]){ 0x8a, 0x27 }, 2, 0x20); /* mov ah, [rdi] */
	r.gpr[EMUL_RAX] = 0x1122334455667788ull;
	dev[0x20] = 0xab;
	check(run(0x20, false, NULL) == EMUL_DONE && e.nmop == 0 &&
	      r.gpr[EMUL_RAX] == 0x112233445566ab88ull, "load_ah", "AH not the destination");
	guest((const uint8_t[]){ 0x66, 0x8b, 0x07 }, 3, 0x20); /* mov ax, [rdi] */
	r.gpr[EMUL_RAX] = 0x1122334455667788ull;
	dev[0x20] = 0xcd, dev[0x21] = 0xab;
	check(run(0x20, false, NULL) == EMUL_DONE && e.nmop == 0 &&
	      r.gpr[EMUL_RAX] == 0x112233445566abcdull, "load16_merges", "upper bits not kept");
	guest((const uint8_t[]){ 0x48, 0x0f, 0xbf, 0x07 }, 4, 0x20); /* movsx rax, word [rdi] */
	dev[0x20] = 0x01, dev[0x21] = 0x80;
	check(run(0x20, false, NULL) == EMUL_DONE && e.nmop == 0 &&
	      r.gpr[EMUL_RAX] == 0xffffffffffff8001ull, "movsx_sign_extends", "not sign-extended");
	guest((const uint8_t[]){ 0x8b, 0x07 }, 2, 0x20); /* mov eax, [rdi] with TF and RF set */
	r.rflags |= EMUL_RFLAGS_TF | EMUL_RFLAGS_RF;
	check(run(0x20, false, NULL) == EMUL_DONE && e.nmop == 0 && e.single_step &&
	      e.shadow_clear && e.rip_advanced && r.rflags == (2 | EMUL_RFLAGS_TF),
	      "load_tf_single_step", "no #DB trap (SDM Vol. 3A 17.3.1.1) or RF kept");
	guest((const uint8_t[]){ 0xa0, 0x40, 0, 0, 0xf0, 0x07, 0, 0, 0 }, 9, 0); /* mov al, [moffs] */
	r.gpr[EMUL_RAX] = 0x1111;
	dev[0x40] = 0x99;
	check(run(0x40, false, NULL) == EMUL_DONE && e.nmop == 0 && r.gpr[EMUL_RAX] == 0x1199 &&
	      r.rip == RAM_GPA + 9, "moffs_load_al", "wrong AL or length");
}

/* Stores: AH without REX (SDM Vol. 1 3.4.1.1), an immediate; the write needs a write exit (a
 * read exit for a store is the general path's, which walks the page: nothing there, RETRY). */
static void t_stores(void)
{
	guest((const uint8_t[]){ 0x88, 0x67, 0x04 }, 3, 0x30); /* mov [rdi+4], ah */
	r.gpr[EMUL_RAX] = 0x5a00;
	check(run(0x34, true, NULL) == EMUL_DONE && e.nmop == 0 && dev[0x34] == 0x5a,
	      "store_ah", "AH not stored");
	guest((const uint8_t[]){ 0x66, 0xc7, 0x07, 0x34, 0x12 }, 5, 0x30); /* mov word [rdi], 0x1234 */
	check(run(0x30, true, NULL) == EMUL_DONE && e.nmop == 0 && dev[0x30] == 0x34 &&
	      dev[0x31] == 0x12 && dev[0x32] == 0 && r.rip == RAM_GPA + 5, "store_imm16",
	      "wrong bytes or length");
	guest((const uint8_t[]){ 0x89, 0x07 }, 2, 0x30);
	check(run(0x30, false, NULL) == EMUL_RETRY && f.accesses == 0, "store_read_exit_general",
	      "a store took a read exit's translation");
}

/* Calculations: XADD (Vol. 2B), XCHG with AH, CMPXCHG both ways (always written), INC keeping
 * CF (Vol. 2A INC), NEG's CF (Vol. 2B NEG), NOT without flags, BTS by an immediate taken
 * modulo the operand width (Vol. 2A BTS), TEST and CMP without a write, SUB into a register. */
static void t_calcs(void)
{
	unsigned n;

	guest((const uint8_t[]){ 0x0f, 0xc1, 0x0f }, 3, 0x40); /* xadd [rdi], ecx */
	r.gpr[EMUL_RCX] = 0xffffffffull;
	memcpy(dev + 0x40, (const uint8_t[]){ 2, 0, 0, 0 }, 4);
	check(run(0x40, true, &n) == EMUL_DONE && n == 2 && e.nmop == 0 && dev32(0x40) == 1 &&
	      r.gpr[EMUL_RCX] == 2 && (r.rflags & EMUL_RFLAGS_CF) && !(r.rflags & EMUL_RFLAGS_ZF),
	      "xadd", "wrong sum, register or flags");
	guest((const uint8_t[]){ 0x86, 0x27 }, 2, 0x40); /* xchg [rdi], ah */
	r.gpr[EMUL_RAX] = 0x7700;
	dev[0x40] = 0x33;
	check(run(0x40, true, NULL) == EMUL_DONE && dev[0x40] == 0x77 && r.gpr[EMUL_RAX] == 0x3300,
	      "xchg_ah", "AH not exchanged");
	guest((const uint8_t[]){ 0x0f, 0xb1, 0x0f }, 3, 0x40); /* cmpxchg [rdi], ecx */
	r.gpr[EMUL_RAX] = 7, r.gpr[EMUL_RCX] = 9;
	dev[0x40] = 7;
	check(run(0x40, true, &n) == EMUL_DONE && n == 2 && dev[0x40] == 9 && r.gpr[EMUL_RAX] == 7 &&
	      (r.rflags & EMUL_RFLAGS_ZF), "cmpxchg_equal", "not replaced");
	guest((const uint8_t[]){ 0x0f, 0xb1, 0x0f }, 3, 0x40);
	r.gpr[EMUL_RAX] = 0xffffffff00000007ull, r.gpr[EMUL_RCX] = 9;
	dev[0x40] = 8;
	check(run(0x40, true, &n) == EMUL_DONE && n == 2 && dev[0x40] == 8 && r.gpr[EMUL_RAX] == 8 &&
	      !(r.rflags & EMUL_RFLAGS_ZF), "cmpxchg_differs", "EAX not loaded or no write-back");
	guest((const uint8_t[]){ 0xff, 0x07 }, 2, 0x40); /* inc dword [rdi] */
	r.rflags |= EMUL_RFLAGS_CF;
	memset(dev + 0x40, 0xff, 4);
	check(run(0x40, true, NULL) == EMUL_DONE && dev32(0x40) == 0 &&
	      (r.rflags & (EMUL_RFLAGS_CF | EMUL_RFLAGS_ZF)) == (EMUL_RFLAGS_CF | EMUL_RFLAGS_ZF) &&
	      !(r.rflags & EMUL_RFLAGS_OF), "inc_keeps_cf", "CF changed or wrong result");
	guest((const uint8_t[]){ 0xf7, 0x1f }, 2, 0x40); /* neg dword [rdi] */
	dev[0x40] = 5;
	check(run(0x40, true, NULL) == EMUL_DONE && dev32(0x40) == 0xfffffffbu &&
	      (r.rflags & EMUL_RFLAGS_CF) && (r.rflags & EMUL_RFLAGS_SF), "neg_cf", "wrong NEG");
	guest((const uint8_t[]){ 0xf6, 0x17 }, 2, 0x40); /* not byte [rdi] */
	r.rflags |= EMUL_RFLAGS_ZF | EMUL_RFLAGS_CF;
	dev[0x40] = 0x0f;
	check(run(0x40, true, NULL) == EMUL_DONE && dev[0x40] == 0xf0 &&
	      r.rflags == (2 | EMUL_RFLAGS_ZF | EMUL_RFLAGS_CF), "not_no_flags", "flags changed");
	guest((const uint8_t[]){ 0x0f, 0xba, 0x2f, 35 }, 4, 0x40); /* bts dword [rdi], 35 */
	dev[0x40] = 0x01;
	check(run(0x40, true, NULL) == EMUL_DONE && dev[0x40] == 0x09 &&
	      !(r.rflags & EMUL_RFLAGS_CF), "bts_imm_modulo", "not bit 3 or CF set");
	guest((const uint8_t[]){ 0xf7, 0x47, 0x08, 0, 0, 0, 0x80 }, 7, 0x40); /* test [rdi+8], 1<<31 */
	dev[0x4b] = 0x80;
	check(run(0x48, false, &n) == EMUL_DONE && n == 1 && (r.rflags & EMUL_RFLAGS_SF) &&
	      !(r.rflags & EMUL_RFLAGS_ZF), "test_reads_only", "a write or wrong flags");
	guest((const uint8_t[]){ 0x3b, 0x0f }, 2, 0x40); /* cmp ecx, [rdi] */
	r.gpr[EMUL_RCX] = 3;
	dev[0x40] = 4;
	check(run(0x40, false, &n) == EMUL_DONE && n == 1 && r.gpr[EMUL_RCX] == 3 &&
	      (r.rflags & EMUL_RFLAGS_CF), "cmp_into_register", "ECX written or no borrow");
	guest((const uint8_t[]){ 0x48, 0x2b, 0x0f }, 3, 0x40); /* sub rcx, [rdi] */
	r.gpr[EMUL_RCX] = 3;
	dev[0x40] = 4;
	check(run(0x40, false, &n) == EMUL_DONE && n == 1 && r.gpr[EMUL_RCX] == ~0ull &&
	      (r.rflags & EMUL_RFLAGS_CF), "sub_into_register", "wrong difference");
}

/* An abort after the read half of a read-modify-write commits nothing: registers, RFLAGS and
 * RIP stay, and the write half never goes out. */
static void t_abort(void)
{
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = LA + 0x40,
			       .gpa = DEV_GPA + 0x40, .write = true };
	struct emul_regs before;

	guest((const uint8_t[]){ 0x0f, 0xc1, 0x0f }, 3, 0x40); /* xadd [rdi], ecx */
	before = r;
	int st = emul_start(&e, &f.env, &r, &x);
	st = st == EMUL_ACCESS ? fe_answer(&f, &e) : -1;
	emul_abort(&e);
	check(st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE && !memcmp(&before, &r, sizeof(r)) &&
	      emul_complete(&e, NULL, 0) == EMUL_EINVAL, "abort_after_read", "state changed");
}

/* Vector moves (SDM Vol. 1 14.1.3): a 16-byte load is two 8-byte elements, written into XMM
 * with bits 255:128 kept by a legacy-SSE load and zeroed by a VEX load; a store sends the
 * register; a misaligned MOVDQA is #GP(0) before any access (the general path decides it). */
static void t_vectors(void)
{
	unsigned n;

	guest((const uint8_t[]){ 0xf3, 0x0f, 0x6f, 0x0f }, 4, 0x80); /* movdqu xmm1, [rdi] */
	memset(f.vec[1], 0xee, 32);
	for (int i = 0; i < 16; i++)
		dev[0x80 + i] = (uint8_t)i;
	int st = run(0x80, false, &n);
	check(st == EMUL_DONE && n == 1 && e.nmop == 0 && !memcmp(f.vec[1], dev + 0x80, 16) &&
	      f.vec[1][16] == 0xee && f.vec[1][31] == 0xee, "movdqu_load_keeps_upper",
	      "wrong XMM1 or bits 255:128 not kept");
	guest((const uint8_t[]){ 0xc5, 0xfe, 0x6f, 0x17 }, 4, 0x80); /* vmovdqu ymm2, [rdi] */
	memset(f.vec[2], 0xee, 32);
	memset(dev + 0x80, 0x42, 32);
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = LA + 0x80,
			       .gpa = DEV_GPA + 0x80 };
	st = emul_start(&e, &f.env, &r, &x);
	bool req = st == EMUL_ACCESS && e.access.size == 8 && e.access.count == 4 &&
		   e.access.stride == 8 && e.access.addr == DEV_GPA + 0x80;
	check(req && fe_answer(&f, &e) == EMUL_DONE && f.vec[2][0] == 0x42 && f.vec[2][31] == 0x42,
	      "vmovdqu_ymm_load", "not four 8-byte elements or wrong YMM2");
	guest((const uint8_t[]){ 0xc5, 0xf9, 0x6f, 0x17 }, 4, 0x80); /* vmovdqa xmm2, [rdi] */
	memset(f.vec[2], 0xee, 32);
	memset(dev + 0x80, 0x42, 16);
	check(run(0x80, false, NULL) == EMUL_DONE && f.vec[2][15] == 0x42 && f.vec[2][16] == 0,
	      "vex_load_zeroes_upper", "bits 255:128 not zeroed");
	guest((const uint8_t[]){ 0x66, 0x0f, 0x7f, 0x1f }, 4, 0x80); /* movdqa [rdi], xmm3 */
	for (int i = 0; i < 16; i++)
		f.vec[3][i] = (uint8_t)(0xa0 + i);
	check(run(0x80, true, NULL) == EMUL_DONE && e.nmop == 0 && !memcmp(dev + 0x80, f.vec[3], 16),
	      "movdqa_store", "XMM3 not stored");
	guest((const uint8_t[]){ 0x66, 0x0f, 0x6f, 0x07 }, 4, 0x88); /* movdqa xmm0, [rdi] */
	st = run(0x88, false, &n);
	check(st == EMUL_FAULT && e.fault.vector == 13 && f.accesses == 0, "movdqa_misaligned_gp",
	      "no #GP(0) before any access");
}

/* SVM: no linear address, the exit's GPA is the faulting access's own (EXITINFO1 bit 32): the
 * operand at the same page offset takes it; at another offset the general path walks (nothing
 * there: RETRY). A RAM operand (a spurious exit) is read from RAM. */
static void t_exits(void)
{
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .gpa_final = true, .gpa = DEV_GPA + 0x110 };
	int st;

	guest((const uint8_t[]){ 0x8b, 0x47, 0x10 }, 3, 0x100); /* mov eax, [rdi+0x10] */
	dev[0x110] = 0x66;
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0x110 && e.nmop == 0 &&
	      fe_answer(&f, &e) == EMUL_DONE && r.gpr[EMUL_RAX] == 0x66, "svm_final_gpa",
	      "the exit's GPA not used");
	guest((const uint8_t[]){ 0x8b, 0x47, 0x14 }, 3, 0x100); /* mov eax, [rdi+0x14] */
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_RETRY && f.accesses == 0, "svm_other_offset_general", "no RETRY");
	guest((const uint8_t[]){ 0x83, 0x0f, 0x01 }, 3, 0); /* or dword [rdi], 1 */
	r.gpr[EMUL_RDI] = RAM_GPA + 0x400;
	ram[0x400] = 0x10;
	x = (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = RAM_GPA + 0x400,
				.gpa = RAM_GPA + 0x400, .write = true };
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_DONE && f.accesses == 0 && ram[0x400] == 0x11, "spurious_exit_ram",
	      "a RAM operand not read and written in RAM");
}

/* Every access of an instruction stays within one page (a batch is walked and checked page by
 * page, docs/emulator.md); the number of accesses in *n. */
static int run_pages(const struct emul_exit *x, unsigned *n, bool *within)
{
	int st = emul_start(&e, &f.env, &r, x);

	*n = 0;
	*within = true;
	while (st == EMUL_ACCESS && *n < 8) {
		const struct emul_access *a = &e.access;
		uint64_t span = (uint64_t)(a->count - 1) * (uint64_t)(a->stride < 0 ? -a->stride :
								       a->stride);
		uint64_t lo = a->stride < 0 ? a->addr - span : a->addr, hi = lo + span + a->size - 1;
		*within &= (lo >> 12) == (hi >> 12);
		++*n;
		st = fe_answer(&f, &e);
	}
	return st;
}

/* Strings (SDM Vol. 2B MOVS/STOS/LODS, REP): one batch per start in access order, DF going
 * down (stride -size, elements from the highest address), RSI/RDI/RCX after the batch, RIP
 * only when RCX reaches 0; single-stepping one element at a time (Vol. 3A 17.3.1.4); an
 * element running into the next page (going down from the page's last bytes) is one element,
 * one access per page. */
static void t_strings(void)
{
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .la_valid = true };
	unsigned n;
	bool within;

	guest((const uint8_t[]){ 0xf3, 0xa5 }, 2, 0x208); /* rep movsd, DF = 1, RAM to device */
	r.rflags |= EMUL_RFLAGS_DF;
	r.gpr[EMUL_RSI] = RAM_GPA + 0x108;
	r.gpr[EMUL_RCX] = 3;
	for (int i = 0; i < 12; i++)
		ram[0x100 + i] = (uint8_t)(0x10 + i);
	x.la = LA + 0x208, x.gpa = DEV_GPA + 0x208, x.write = true;
	int st = emul_start(&e, &f.env, &r, &x);
	bool req = st == EMUL_ACCESS && e.nmop == 0 && e.access.dir == EMUL_DIR_WRITE &&
		   e.access.count == 3 && e.access.stride == -4 && e.access.addr == DEV_GPA + 0x208 &&
		   !memcmp(e.access.data, ram + 0x108, 4) && !memcmp(e.access.data + 8, ram + 0x100, 4);
	check(req && fe_answer(&f, &e) == EMUL_DONE && !memcmp(dev + 0x200, ram + 0x100, 12) &&
	      r.gpr[EMUL_RSI] == RAM_GPA + 0xfc && r.gpr[EMUL_RDI] == LA + 0x1fc &&
	      r.gpr[EMUL_RCX] == 0 && r.rip == RAM_GPA + 2 && e.rip_advanced, "rep_movsd_down",
	      "wrong batch or registers");

	guest((const uint8_t[]){ 0xf3, 0xa4 }, 2, 0); /* rep movsb, device to RAM */
	r.gpr[EMUL_RSI] = LA + 0x300;
	r.gpr[EMUL_RDI] = RAM_GPA + 0x500;
	r.gpr[EMUL_RCX] = 5;
	memcpy(dev + 0x300, "abcde", 5);
	x.la = LA + 0x300, x.gpa = DEV_GPA + 0x300, x.write = false;
	st = emul_start(&e, &f.env, &r, &x);
	req = st == EMUL_ACCESS && e.nmop == 0 && e.access.dir == EMUL_DIR_READ &&
	      e.access.count == 5 && e.access.stride == 1 && e.access.addr == DEV_GPA + 0x300;
	check(req && fe_answer(&f, &e) == EMUL_DONE && !memcmp(ram + 0x500, "abcde", 5) &&
	      r.gpr[EMUL_RSI] == LA + 0x305 && r.gpr[EMUL_RDI] == RAM_GPA + 0x505 &&
	      r.gpr[EMUL_RCX] == 0, "rep_movsb_to_ram", "RAM not written or wrong registers");

	guest((const uint8_t[]){ 0xf3, 0x66, 0xad }, 3, 0); /* rep lodsw */
	r.gpr[EMUL_RSI] = LA + 0x10;
	r.gpr[EMUL_RCX] = 3;
	r.gpr[EMUL_RAX] = 0x1111111111111111ull;
	memcpy(dev + 0x10, (const uint8_t[]){ 1, 2, 3, 4, 5, 6 }, 6);
	x.la = LA + 0x10, x.gpa = DEV_GPA + 0x10;
	check(run_pages(&x, &n, &within) == EMUL_DONE && n == 1 && e.nmop == 0 &&
	      r.gpr[EMUL_RAX] == 0x1111111111110605ull && r.gpr[EMUL_RSI] == LA + 0x16,
	      "rep_lodsw_last", "AX not the last element");

	guest((const uint8_t[]){ 0xf3, 0x48, 0xab }, 3, 0x100); /* rep stosq, RCX = 100 */
	r.gpr[EMUL_RCX] = 100;
	x.la = LA + 0x100, x.gpa = DEV_GPA + 0x100, x.write = true;
	check(run_pages(&x, &n, &within) == EMUL_DONE && n == 1 && e.nmop == 0 && !e.rip_advanced &&
	      r.rip == RAM_GPA && r.gpr[EMUL_RCX] == 68 && r.gpr[EMUL_RDI] == LA + 0x200,
	      "rep_stosq_batch", "not one 256-byte batch with RIP kept");

	guest((const uint8_t[]){ 0xf3, 0xaa }, 2, 0x100); /* rep stosb while single-stepping */
	r.gpr[EMUL_RCX] = 4;
	r.rflags |= EMUL_RFLAGS_TF;
	check(run_pages(&x, &n, &within) == EMUL_DONE && n == 1 && e.access.count == 1 &&
	      e.single_step && !e.rip_advanced && r.gpr[EMUL_RCX] == 3, "rep_stosb_tf",
	      "not one element with a #DB trap");

	/* std; rep stosd from the page's last 2 bytes: without an exit (the device's pages are
	 * contiguous), then with one (the exit covers only its page: the rest is walked, and
	 * nothing is behind LA + 0x1000) */
	for (int exit = 0; exit < 2; exit++) {
		guest((const uint8_t[]){ 0xf3, 0xab }, 2, 0xffe);
		r.rflags |= EMUL_RFLAGS_DF;
		r.gpr[EMUL_RCX] = 2;
		r.gpr[EMUL_RAX] = 0x44332211;
		if (!exit)
			r.gpr[EMUL_RDI] = DEV_GPA + 0xffe;
		x.la = LA + 0xffe, x.gpa = DEV_GPA + 0xffe;
		st = run_pages(exit ? &x : NULL, &n, &within);
		check(st == EMUL_DONE && within && n == 2 && r.gpr[EMUL_RCX] == 1 &&
		      dev[0xffe] == 0x11 && dev[0xfff] == 0x22 && !e.rip_advanced &&
		      (exit ? f.bad == 1 : dev[0x1001] == 0x44 && f.bad == 0),
		      exit ? "stosd_down_across_page_exit" : "stosd_down_across_page",
		      "an access across the page end, or more than one element");
	}
}

/* The classification callback, counted (the exit's device hint must make it unnecessary). */
static unsigned classified;
static enum emul_gpa_class (*classify_real)(void *ctx, uint64_t gpa, uint32_t len);

static enum emul_gpa_class classify_counted(void *ctx, uint64_t gpa, uint32_t len)
{
	classified++;
	return classify_real(ctx, gpa, len);
}

/* Answers by value (emul_complete_value): a read takes only access.size bytes of the value,
 * zero-extended into a 32-bit register or merged into AL (SDM Vol. 1 3.4.1.1); nothing pending
 * or a batch of more than one element is -EINVAL and changes nothing; the general path (no
 * exit) takes a value too. The exit's device hint: no classification, the exit's GPA. */
static void t_answers(void)
{
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = LA + 0x40,
			       .gpa = DEV_GPA + 0x40 };
	int st;

	guest((const uint8_t[]){ 0x8b, 0x07 }, 2, 0x40); /* mov eax, [rdi] */
	r.gpr[EMUL_RAX] = ~0ull;
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && e.access.count == 1 &&
	      emul_complete_value(&e, 0xdeadbeef12345678ull) == EMUL_DONE &&
	      r.gpr[EMUL_RAX] == 0x12345678 && r.rip == RAM_GPA + 2, "value_load32",
	      "bytes beyond the access taken or not zero-extended");
	check(emul_complete_value(&e, 0) == EMUL_EINVAL, "value_when_idle", "accepted");
	guest((const uint8_t[]){ 0x8a, 0x07 }, 2, 0x40); /* mov al, [rdi] */
	r.gpr[EMUL_RAX] = 0x1122334455667788ull;
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && emul_complete_value(&e, 0x99999999999999abull) == EMUL_DONE &&
	      r.gpr[EMUL_RAX] == 0x11223344556677abull, "value_load8_merges", "wrong AL or RAX");
	guest((const uint8_t[]){ 0x8b, 0x07 }, 2, 0); /* the general path: no exit */
	r.gpr[EMUL_RDI] = DEV_GPA + 0x40;
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_ACCESS && e.nmop == 1 &&
	      emul_complete_value(&e, 0xffffffff87654321ull) == EMUL_DONE &&
	      r.gpr[EMUL_RAX] == 0x87654321, "value_general_path", "wrong RAX");

	guest((const uint8_t[]){ 0xf3, 0xa4 }, 2, 0); /* rep movsb, device to RAM: a batch */
	r.gpr[EMUL_RSI] = LA + 0x300;
	r.gpr[EMUL_RDI] = RAM_GPA + 0x500;
	r.gpr[EMUL_RCX] = 5;
	struct emul_exit xs = { .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = LA + 0x300,
				.gpa = DEV_GPA + 0x300 };
	st = emul_start(&e, &f.env, &r, &xs);
	check(st == EMUL_ACCESS && e.access.count == 5 && emul_complete_value(&e, 0) == EMUL_EINVAL &&
	      r.gpr[EMUL_RCX] == 5 && fe_answer(&f, &e) == EMUL_DONE && r.gpr[EMUL_RCX] == 0,
	      "value_batch_refused", "a value accepted for a batch, or the batch lost");

	for (int hint = 0; hint < 2; hint++) {
		guest((const uint8_t[]){ 0x89, 0x47, 0x08 }, 3, 0x40); /* mov [rdi+8], eax */
		classify_real = f.env.classify;
		f.env.classify = classify_counted;
		classified = 0;
		r.gpr[EMUL_RAX] = 0xcafe;
		x.la = LA + 0x48, x.gpa = DEV_GPA + 0x48, x.write = true, x.dev = hint;
		st = emul_start(&e, &f.env, &r, &x);
		bool ok = st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0x48 &&
			  classified == (hint ? 0u : 1u);
		check(ok && fe_answer(&f, &e) == EMUL_DONE && dev32(0x48) == 0xcafe,
		      hint ? "dev_hint_no_classify" : "no_hint_classifies",
		      "classified against the hint, or a wrong access");
	}
}

int main(void)
{
	t_loads();
	t_stores();
	t_calcs();
	t_abort();
	t_vectors();
	t_exits();
	t_strings();
	t_answers();
	return failures ? 1 : 0;
}
