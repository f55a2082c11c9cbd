/* emul_exit.gpa_final (docs/emulator.md, docs/performance.md): an SVM nested fault on the final
 * translation gives the faulting access's own GPA and no linear address. The fake guest maps
 * every linear address to the same physical one; the exit names a GPA on another device page at
 * the operand's page offset, so the access's address shows whether the emulator took the
 * exit's page (only for the one memory operand of a ModRM/moffs form, at the same page offset,
 * for a write only from a write fault) or walked the tables (then the instruction does not
 * match the exit: RETRY). emul_start_kept: a kept decode is made once and used while the mode
 * is the same (given other bytes on purpose, the kept decode shows it was used), and a mode
 * change decodes again. */
#include <stdio.h>
#include <string.h>

#include "emul/emul.h"
#include "fakeenv.h"

#define RAM_GPA 0x10000ull
#define DEV_GPA 0x80000ull  /* where the operands point (identity-mapped) */
#define OTHER_GPA 0x90000ull /* the page the exit reports */

static int failures;
static struct fake_env f;
static struct emul e;
static struct emul_regs r;
static uint8_t ram[0x2000], dev[0x2000], other[0x2000];

static void check(bool ok, const char *name, const char *what)
{
	printf("VERDICT %s emul_exit_gpa/%s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : " ",
	       ok ? "" : what);
	failures += !ok;
}

static struct emul_exit x;

/* A guest in `mode` running `code` at RAM_GPA with RDI (and RSI) pointing into DEV_GPA. */
static void setup(enum emul_mode mode, const uint8_t *code, unsigned len, uint64_t rdi,
		  uint64_t exit_gpa, bool write)
{
	memset(&r, 0, sizeof(r));
	fe_init(&f);
	fe_add_ram(&f, RAM_GPA, ram, sizeof(ram));
	fe_add_dev(&f, DEV_GPA, dev, sizeof(dev));
	fe_add_dev(&f, OTHER_GPA, other, sizeof(other));
	fe_regs_mode(&r, mode);
	memcpy(ram, code, len);
	r.rip = RAM_GPA;
	r.rflags = 2;
	r.gpr[EMUL_RDI] = rdi;
	r.gpr[EMUL_RSI] = rdi;
	r.gpr[EMUL_RCX] = 1;
	x = (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .write = write, .gpa = exit_gpa,
				.gpa_final = true };
}

static int start(const uint8_t *code, unsigned len, uint64_t rdi, uint64_t exit_gpa, bool write)
{
	setup(EMUL_MODE_LONG64, code, len, rdi, exit_gpa, write);
	return emul_start(&e, &f.env, &r, &x);
}

/* emul_start_kept on `code` and RIP's advance once the access is answered (0: no access). */
static unsigned run_kept(enum emul_mode mode, const uint8_t *code, unsigned len,
			 struct emul_kept *k, uint8_t *size)
{
	setup(mode, code, len, DEV_GPA + 0x10, OTHER_GPA + 0x10, false);
	k->bytes = code;
	k->len = (uint8_t)len;
	int st = emul_start_kept(&e, &f.env, &r, &x, k);
	*size = st == EMUL_ACCESS ? e.access.size : 0;
	if (st != EMUL_ACCESS || fe_answer(&f, &e) != EMUL_DONE)
		return 0;
	return (unsigned)(r.rip - RAM_GPA);
}

static void test_kept(void)
{
	static const uint8_t load[] = { 0x8b, 0x07 };             /* mov eax, [rdi] */
	static const uint8_t load16[] = { 0x66, 0x8b, 0x07 };     /* mov ax, [rdi] */
	/* mov eax, [moffs]: an 8-byte offset in 64-bit mode, 4 bytes in 32-bit mode */
	static const uint8_t moffs[] = { 0xa1, 0x10, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct emul_kept k = { .mode = 0 };
	uint8_t s1, s2, s3;

	unsigned a1 = run_kept(EMUL_MODE_LONG64, load, sizeof(load), &k, &s1);
	bool made = k.mode != 0;
	unsigned a2 = run_kept(EMUL_MODE_LONG64, load16, sizeof(load16), &k, &s2);
	k.mode = 0;
	unsigned a3 = run_kept(EMUL_MODE_LONG64, load16, sizeof(load16), &k, &s3);
	check(a1 == 2 && s1 == 4 && made, "kept-made", "the first start kept no decode");
	check(a2 == 2 && s2 == 4, "kept-used", "the kept decode was not used for the same mode");
	check(a3 == 3 && s3 == 2, "kept-emptied", "an emptied kept decode was used");
	k.mode = 0;
	unsigned m64 = run_kept(EMUL_MODE_LONG64, moffs, sizeof(moffs), &k, &s1);
	unsigned m32 = run_kept(EMUL_MODE_PROT32, moffs, sizeof(moffs), &k, &s2);
	check(m64 == 9 && m32 == 5 && s1 == 4 && s2 == 4, "kept-mode-change",
	      "a decode kept in 64-bit mode was used in protected mode");
}

int main(void)
{
	static const uint8_t load[] = { 0x8b, 0x07 };        /* mov eax, [rdi] */
	static const uint8_t store[] = { 0x89, 0x07 };       /* mov [rdi], eax */
	static const uint8_t add[] = { 0x01, 0x07 };         /* add [rdi], eax */
	static const uint8_t movsb[] = { 0xa4 };             /* movsb [rdi], [rsi] */
	int st;

	st = start(load, sizeof(load), DEV_GPA + 0x10, OTHER_GPA + 0x10, false);
	check(st == EMUL_ACCESS && e.access.addr == OTHER_GPA + 0x10 && e.access.size == 4,
	      "load-takes-exit-page", "the load did not go to the exit's page");
	st = start(store, sizeof(store), DEV_GPA + 0x10, OTHER_GPA + 0x10, true);
	check(st == EMUL_ACCESS && e.access.addr == OTHER_GPA + 0x10 &&
	      e.access.dir == EMUL_DIR_WRITE, "store-takes-exit-page",
	      "the store did not go to the exit's page");
	st = start(load, sizeof(load), DEV_GPA + 0x10, OTHER_GPA + 0x20, false);
	check(st == EMUL_RETRY, "other-offset-walks", "a GPA at another page offset was used");
	st = start(add, sizeof(add), DEV_GPA + 0x10, OTHER_GPA + 0x10, false);
	check(st == EMUL_RETRY, "rmw-read-fault-walks",
	      "a read fault's page was used for a write (read-modify-write)");
	st = start(movsb, sizeof(movsb), DEV_GPA + 0x10, OTHER_GPA + 0x10, false);
	check(st == EMUL_RETRY, "string-walks", "a string operand took the exit's page");
	/* 4 bytes at 0xffe: the first piece is walked, the second (offset 0) faulted */
	st = start(load, sizeof(load), DEV_GPA + 0xffe, OTHER_GPA + 0x1000, false);
	bool first = st == EMUL_ACCESS && e.access.addr == DEV_GPA + 0xffe && e.access.size == 2;
	st = first ? fe_answer(&f, &e) : st;
	check(first && st == EMUL_ACCESS && e.access.addr == OTHER_GPA + 0x1000 &&
	      e.access.size == 2, "crossing-second-piece", "wrong pieces for a page-crossing load");
	test_kept();
	return failures != 0;
}
