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
	r.seg[SEG_CS].base = RAM_GPA;
	r.gpr[EMUL_RBX] = 0xfff0;
	r.gpr[EMUL_RSI] = 0x0010;
	r.gpr[EMUL_RAX] = 0x5a;
	r.rip = 0;
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

/* Length-only forms: emul_start declines them (never emulated); emul_fetch + emul_decode_length
 * measure them, prefixes included (66 0F A2 is CPUID, SDM Vol. 2A 2.1). */
static void t_length_only(void)
{
	static const uint8_t cpuid66[] = { 0x66, 0x0f, 0xa2 }, vmcall66[] = { 0x66, 0x0f, 0x01, 0xc1 };
	struct emul_fault fault;
	struct emul_insn in;
	uint8_t buf[EMUL_INSN_MAX];
	unsigned n = 0;

	guest(EMUL_MODE_LONG64, cpuid66, sizeof(cpuid66));
	int st = emul_start(&e, &f.env, &r, NULL);
	int fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	int dr = emul_decode_length(buf, n, EMUL_MODE_LONG64, &in);
	check(st == EMUL_UNSUPPORTED && fr == 0 && n == EMUL_INSN_MAX && dr == EMUL_DEC_OK &&
	      in.len == 3, "cpuid_66_length", "not declined by emul_start or wrong length");
	check(emul_decode_length(buf, 2, EMUL_MODE_LONG64, &in) == EMUL_DEC_SHORT, "length_short",
	      "two bytes of 66 0F A2 not EMUL_DEC_SHORT");
	/* VMCALL with 66 is #UD on the CPU (no exit) and not measured */
	check(emul_decode_length(vmcall66, 4, EMUL_MODE_LONG64, &in) == EMUL_DEC_UNSUPPORTED,
	      "vmcall_66_declined", "66 0F 01 C1 measured");
}

/* 32-bit paging of our own (SDM Vol. 3A 4.3) at PT_GPA: the first 4 MiB identity-mapped except
 * the page at 0x11000 (not present); the next 4 MiB through a page table outside guest RAM. */
#define PT_GPA 0x40000ull
static uint32_t pt[2048];

static void guest_paged(const uint8_t *code, unsigned len, unsigned at)
{
	guest(EMUL_MODE_PROT32, (const uint8_t[]){ 0 }, 1);
	for (uint32_t i = 0; i < 1024; i++)
		pt[1024 + i] = (i << 12) | 3;
	pt[1024 + 0x11] = 0;
	memset(pt, 0, 4096);
	pt[0] = (uint32_t)(PT_GPA + 0x1000) | 3;
	pt[1] = 0x0dead000u | 3;
	fe_add_ram(&f, PT_GPA, pt, sizeof(pt));
	r.cr3 = PT_GPA;
	r.cr4 = 0;
	memcpy(ram + (at - RAM_GPA), code, len);
	r.rip = at;
}

/* Fetch through the walk: it stops before a page that faults and reports that fault only when
 * the instruction needs it (SDM Vol. 3A 4.7 error code: not present, supervisor, no I/D bit
 * without NXE/SMEP); the CS limit ends it with #GP(0) (5.3); tables outside RAM stop the vCPU. */
static void t_fetch(void)
{
	static const uint8_t mov_imm[] = { 0xc7, 0x07, 0x44, 0x33, 0x22, 0x11 }, cpuid[] = { 0x0f, 0xa2 };
	struct emul_fault fault = { 0 };
	struct emul_insn in;
	uint8_t buf[EMUL_INSN_MAX];
	unsigned n = 0;

	guest_paged(mov_imm, sizeof(mov_imm), 0x10ffc);
	int fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	int dr = emul_decode_length(buf, n, EMUL_MODE_PROT32, &in);
	int st = emul_start(&e, &f.env, &r, NULL);
	check(fr == 0 && n == 4 && dr == EMUL_DEC_SHORT && fault.vector == 14 && fault.cr2 == 0x11000 &&
	      st == EMUL_FAULT && e.fault.vector == 14 && e.fault.error == 0 && e.fault.has_cr2 &&
	      e.fault.cr2 == 0x11000 && f.accesses == 0, "fetch_second_page_pf",
	      "no #PF for the missing second page");
	guest_paged(cpuid, sizeof(cpuid), 0x10ffe);
	fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	check(fr == 0 && n == 2 && emul_decode_length(buf, n, EMUL_MODE_PROT32, &in) == EMUL_DEC_OK &&
	      in.len == 2, "fetch_page_end_fits", "an instruction ending at the page end not measured");
	guest_paged(cpuid, sizeof(cpuid), 0x10ffe);
	r.rip = 0x11000;
	fault = (struct emul_fault){ 0 };
	fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	check(fr == 1 && n == 0 && fault.vector == 14 && fault.cr2 == 0x11000, "fetch_first_byte_pf",
	      "no fault for an unmapped RIP");
	guest_paged(cpuid, sizeof(cpuid), 0x10800);
	r.seg[SEG_CS].limit = 0x10800;
	fault = (struct emul_fault){ 0 };
	fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	check(fr == 0 && n == 1 && fault.vector == 13 && fault.has_error && fault.error == 0,
	      "fetch_cs_limit_gp", "fetch not stopped at the CS limit with #GP(0)");
	guest_paged(cpuid, sizeof(cpuid), 0x10800);
	r.rip = 0x400000;
	fr = emul_fetch(&f.env.mem, &r, buf, &n, &fault);
	st = emul_start(&e, &f.env, &r, NULL);
	check(fr == EMUL_EFAULT && st == EMUL_BAD_TABLES, "fetch_tables_outside_ram",
	      "not EMUL_EFAULT / EMUL_BAD_TABLES");
}

/* Data operands through the walk: a missing page is #PF with W set for a store; a page table
 * outside guest RAM is EMUL_BAD_TABLES (the core stops the vCPU), never an injected fault. */
static void t_data_walk(void)
{
	static const uint8_t store[] = { 0x89, 0x07 }, load[] = { 0x8b, 0x03 };

	guest_paged(store, sizeof(store), 0x10000);
	r.gpr[EMUL_RDI] = 0x11008;
	int st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_FAULT && e.fault.vector == 14 && e.fault.error == WALK_PF_W &&
	      e.fault.cr2 == 0x11008 && r.rip == 0x10000, "store_not_present_pf",
	      "wrong #PF for a store to a missing page");
	guest_paged(load, sizeof(load), 0x10000);
	r.gpr[EMUL_RBX] = 0x400010;
	st = emul_start(&e, &f.env, &r, NULL);
	check(st == EMUL_BAD_TABLES && f.accesses == 0, "load_tables_outside_ram",
	      "a page table outside RAM not EMUL_BAD_TABLES");
}


/* An MMIO exit as VMX reports it: the guest-linear and guest-physical address of the access. */
static struct emul_exit vmx_exit(uint64_t la, uint64_t gpa, bool write)
{
	return (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = true, .la = la, .gpa = gpa,
				   .write = write };
}

/* 64-bit forms with the exit's linear address: the page's translation is the exit's (the CPU
 * walked it for this access), not walked again; an operand that runs into the next page is one
 * access per page (the exit covers only its own page); a RAM operand (a spurious exit) is read
 * directly; an exit on another page is RETRY. */
static void t_exit_translation(void)
{
	static const uint8_t load[] = { 0x8b, 0x47, 0x10 }, load0[] = { 0x8b, 0x07 };
	struct emul_exit x;
	int st;

	guest(EMUL_MODE_LONG64, load, sizeof(load));
	r.gpr[EMUL_RDI] = 0x7f0000000ull; /* identity-mapped, no device there */
	r.gpr[EMUL_RAX] = ~0ull;
	x = vmx_exit(0x7f0000010ull, DEV_GPA + 0x10, false);
	memcpy(dev + 0x10, (const uint8_t[]){ 0x11, 0x22, 0x33, 0x84 }, 4);
	st = emul_start(&e, &f.env, &r, &x);
	bool req = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_READ &&
		   e.access.addr == DEV_GPA + 0x10 && e.access.size == 4 && e.access.count == 1;
	st = fe_answer(&f, &e);
	check(req && st == EMUL_DONE && r.gpr[EMUL_RAX] == 0x84332211ull && r.rip == RAM_GPA + 3,
	      "exit_translation_used", "the access did not go to the exit's GPA");

	/* 3 bytes on the exit's page, 1 on the next: elements of the largest size dividing each */
	guest(EMUL_MODE_LONG64, load0, sizeof(load0));
	r.gpr[EMUL_RDI] = DEV_GPA + 0xffd;
	x = vmx_exit(DEV_GPA + 0xffd, DEV_GPA + 0xffd, false);
	st = emul_start(&e, &f.env, &r, &x);
	bool first = st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0xffd && e.access.size == 1 &&
		     e.access.count == 3;
	st = fe_answer(&f, &e);
	check(first && st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0x1000 &&
	      e.access.size == 1 && e.access.count == 1, "exit_operand_split",
	      "an operand across the page end not one access per page");

	guest(EMUL_MODE_LONG64, load0, sizeof(load0));
	r.gpr[EMUL_RDI] = RAM_GPA + 0x200;
	memcpy(ram + 0x200, (const uint8_t[]){ 1, 2, 3, 4 }, 4);
	x = vmx_exit(RAM_GPA + 0x200, RAM_GPA + 0x200, false);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_DONE && f.accesses == 0 && r.gpr[EMUL_RAX] == 0x04030201,
	      "exit_on_ram_read_directly", "a RAM operand not read from RAM");

	guest(EMUL_MODE_LONG64, load0, sizeof(load0));
	r.gpr[EMUL_RDI] = DEV_GPA;
	x = vmx_exit(DEV_GPA + 0x3000, DEV_GPA + 0x3000, false);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_RETRY && f.accesses == 0, "exit_other_page_retry", "no RETRY");
}

/* A write takes the exit's translation only from a write exit; a read exit still matches a
 * read-modify-write, which then walks the page for write (ADD: SDM Vol. 2A). A MOV store of
 * an imm32 with REX.W writes it sign-extended (SDM Vol. 2A MOV C7). */
static void t_exit_writes(void)
{
	static const uint8_t add1[] = { 0x83, 0x07, 0x01 };
	static const uint8_t movq[] = { 0x48, 0xc7, 0x47, 0x08, 0xff, 0xff, 0xff, 0xff };
	struct emul_exit x;
	int st;

	guest(EMUL_MODE_LONG64, add1, sizeof(add1));
	r.gpr[EMUL_RDI] = DEV_GPA + 0x40;
	dev[0x40] = 0x7f;
	x = vmx_exit(DEV_GPA + 0x40, DEV_GPA + 0x40, false);
	st = emul_start(&e, &f.env, &r, &x);
	bool rd = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_READ && e.access.size == 4;
	st = fe_answer(&f, &e);
	bool wr = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE && e.access.data[0] == 0x80;
	st = fe_answer(&f, &e);
	check(rd && wr && st == EMUL_DONE && dev[0x40] == 0x80 && !(r.rflags & EMUL_RFLAGS_OF),
	      "rmw_after_read_exit", "wrong accesses");

	/* with a write exit (the direct path): both halves carry EMUL_ACCESS_RMW */
	guest(EMUL_MODE_LONG64, add1, sizeof(add1));
	r.gpr[EMUL_RDI] = DEV_GPA + 0x40;
	x = vmx_exit(DEV_GPA + 0x40, DEV_GPA + 0x40, true);
	st = emul_start(&e, &f.env, &r, &x);
	rd = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_READ &&
	     (e.access.flags & EMUL_ACCESS_RMW);
	st = fe_answer(&f, &e);
	wr = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE &&
	     (e.access.flags & EMUL_ACCESS_RMW);
	check(rd && wr && fe_answer(&f, &e) == EMUL_DONE, "rmw_flag_write_exit",
	      "an RMW half without EMUL_ACCESS_RMW");

	guest(EMUL_MODE_LONG64, movq, sizeof(movq));
	r.gpr[EMUL_RDI] = DEV_GPA;
	x = vmx_exit(DEV_GPA + 8, DEV_GPA + 8, true);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE && e.access.size == 8 &&
	      e.access.addr == DEV_GPA + 8 && !(e.access.flags & EMUL_ACCESS_RMW) && !memcmp(e.access.data, (const uint8_t[]){ 0xff, 0xff,
	      0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8) && fe_answer(&f, &e) == EMUL_DONE &&
	      r.rip == RAM_GPA + 8, "store_imm32_sext", "not -1 in 8 bytes");
}

/* A string element across a page end is one element (SDM Vol. 2B MOVS); REP STOS to a device
 * with the exit's translation is one batch. */
static void t_string_pages(void)
{
	static const uint8_t movsw[] = { 0x66, 0xa5 }, rep_stosb[] = { 0xf3, 0xaa };
	struct emul_exit x;
	int st;

	guest(EMUL_MODE_LONG64, movsw, sizeof(movsw));
	r.gpr[EMUL_RSI] = RAM_GPA + 0xfff;
	r.gpr[EMUL_RDI] = DEV_GPA;
	ram[0xfff] = 0xab;
	ram[0x1000] = 0xcd;
	st = emul_start(&e, &f.env, &r, NULL);
	bool req = st == EMUL_ACCESS && e.access.dir == EMUL_DIR_WRITE && e.access.size == 2 &&
		   e.access.count == 1 && e.access.data[0] == 0xab && e.access.data[1] == 0xcd;
	st = fe_answer(&f, &e);
	check(req && st == EMUL_DONE && r.gpr[EMUL_RSI] == RAM_GPA + 0x1001 &&
	      r.gpr[EMUL_RDI] == DEV_GPA + 2, "string_element_across_pages", "wrong element");

	guest(EMUL_MODE_LONG64, rep_stosb, sizeof(rep_stosb));
	r.gpr[EMUL_RDI] = DEV_GPA + 0x20;
	r.gpr[EMUL_RCX] = 3;
	r.gpr[EMUL_RAX] = 0x5a;
	x = vmx_exit(DEV_GPA + 0x20, DEV_GPA + 0x20, true);
	st = emul_start(&e, &f.env, &r, &x);
	req = st == EMUL_ACCESS && e.access.count == 3 && e.access.size == 1 &&
	      e.access.stride == 1 && e.access.addr == DEV_GPA + 0x20;
	st = fe_answer(&f, &e);
	check(req && st == EMUL_DONE && dev[0x22] == 0x5a && r.gpr[EMUL_RCX] == 0 &&
	      r.gpr[EMUL_RDI] == DEV_GPA + 0x23, "rep_stos_with_exit", "not one batch");
}

/* 32-bit protected mode with the exit's linear address: a flat DS adds nothing; a DS with a
 * base moves the linear address (the exit then matches only that page, SDM Vol. 3A 3.4); a
 * read-only DS refuses a store with #GP(0) before any access (5.4.1). */
static void t_exit_prot32(void)
{
	static const uint8_t store[] = { 0x89, 0x05, 0x10, 0x00, 0x08, 0x00 }; /* mov [0x80010], eax */
	struct emul_exit x;
	int st;

	guest(EMUL_MODE_PROT32, store, sizeof(store));
	r.gpr[EMUL_RAX] = 0xa1b2c3d4;
	x = vmx_exit(DEV_GPA + 0x10, DEV_GPA + 0x10, true);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0x10 && e.access.size == 4 &&
	      fe_answer(&f, &e) == EMUL_DONE && dev[0x10] == 0xd4 && dev[0x13] == 0xa1 &&
	      r.rip == RAM_GPA + 6, "prot32_flat_exit", "wrong store");

	guest(EMUL_MODE_PROT32, store, sizeof(store));
	r.seg[SEG_DS].base = 0x100;
	x = vmx_exit(DEV_GPA + 0x110, DEV_GPA + 0x110, true);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0x110, "prot32_ds_base_exit",
	      "DS.base not added");

	guest(EMUL_MODE_PROT32, store, sizeof(store));
	r.seg[SEG_DS].attr &= ~2u; /* read-only data */
	x = vmx_exit(DEV_GPA + 0x10, DEV_GPA + 0x10, true);
	st = emul_start(&e, &f.env, &r, &x);
	check(st == EMUL_FAULT && e.fault.vector == 13 && f.accesses == 0, "prot32_readonly_ds_gp",
	      "no #GP(0) for a store through a read-only DS");
}

/* The accesses one instruction makes: direction and RMW flag of each, in order ('r'/'w', then
 * 'm' for EMUL_ACCESS_RMW or '-'); the device answers from dev[]. */
static void rmw_trace(const uint8_t *code, unsigned len, char *out)
{
	guest(EMUL_MODE_LONG64, code, len);
	r.gpr[EMUL_RAX] = DEV_GPA + 0x10;
	r.gpr[EMUL_RSI] = RAM_GPA + 0x800;
	r.gpr[EMUL_RDI] = DEV_GPA + 0x100;
	r.gpr[EMUL_RCX] = 4;
	int st = emul_start(&e, &f.env, &r, NULL);
	for (int n = 0; st == EMUL_ACCESS && n < 8; n++) {
		*out++ = e.access.dir == EMUL_DIR_READ ? 'r' : 'w';
		*out++ = (e.access.flags & EMUL_ACCESS_RMW) ? 'm' : '-';
		st = fe_answer(&f, &e);
	}
	*out = st == EMUL_DONE ? 0 : '!';
}

/* EMUL_ACCESS_RMW marks both halves of an operand the instruction reads and writes back (SDM
 * Vol. 2: OR/XCHG/CMPXCHG/NOT read their destination and write it), and nothing else: a plain
 * load or store, a compare (no write-back) and a string move (two operands) carry no flag. */
static void t_rmw_flag(void)
{
	static const struct {
		const char *name;
		uint8_t code[4];
		unsigned len;
		const char *want;
	} cases[] = {
		{ "or", { 0x83, 0x08, 0x01 }, 3, "rmwm" },   /* or dword [rax], 1 */
		{ "xchg", { 0x87, 0x08 }, 2, "rmwm" },       /* xchg [rax], ecx */
		{ "cmpxchg", { 0x0f, 0xb1, 0x08 }, 3, "rmwm" }, /* cmpxchg [rax], ecx */
		{ "not", { 0xf7, 0x10 }, 2, "rmwm" },        /* not dword [rax] */
		{ "mov-store", { 0x89, 0x08 }, 2, "w-" },    /* mov [rax], ecx */
		{ "mov-load", { 0x8b, 0x08 }, 2, "r-" },     /* mov ecx, [rax] */
		{ "cmp", { 0x83, 0x38, 0x01 }, 3, "r-" },    /* cmp dword [rax], 1 */
		{ "rep-movsd", { 0xf3, 0xa5 }, 2, "w-" },    /* RAM to device: one write batch */
	};
	char got[24], name[32];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rmw_trace(cases[i].code, cases[i].len, got);
		snprintf(name, sizeof(name), "rmw_flag_%s", cases[i].name);
		check(!strcmp(got, cases[i].want), name, got);
	}
}

int main(void)
{
	t_rmw_flag();
	t_rep_ins();
	t_rep_outs_down();
	t_real_mode();
	t_si_wrap();
	t_faults();
	t_rep_counts();
	t_cmpxchg_writes();
	t_state();
	t_ip_wrap_in();
	t_length_only();
	t_fetch();
	t_data_walk();
	t_exit_translation();
	t_exit_writes();
	t_string_pages();
	t_exit_prot32();
	return failures ? 1 : 0;
}
