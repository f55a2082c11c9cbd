/* emul_exit.gpa_final (docs/emulator.md, docs/performance.md): an SVM nested fault on the final
 * translation gives the faulting access's own GPA and no linear address. The fake guest maps
 * every linear address to the same physical one; the exit names a GPA on another device page at
 * the operand's page offset, so the access's address shows whether the emulator took the
 * exit's page (only for the one memory operand of a ModRM/moffs form, at the same page offset,
 * for a write only from a write fault) or walked the tables (then the instruction does not
 * match the exit: RETRY). */
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

/* A 64-bit guest running `code` at RAM_GPA with RDI (and RSI) pointing into DEV_GPA. */
static int start(const uint8_t *code, unsigned len, uint64_t rdi, uint64_t exit_gpa, bool write)
{
	memset(&r, 0, sizeof(r));
	fe_init(&f);
	fe_add_ram(&f, RAM_GPA, ram, sizeof(ram));
	fe_add_dev(&f, DEV_GPA, dev, sizeof(dev));
	fe_add_dev(&f, OTHER_GPA, other, sizeof(other));
	fe_regs_mode(&r, EMUL_MODE_LONG64);
	memcpy(ram, code, len);
	r.rip = RAM_GPA;
	r.rflags = 2;
	r.gpr[EMUL_RDI] = rdi;
	r.gpr[EMUL_RSI] = rdi;
	r.gpr[EMUL_RCX] = 1;
	struct emul_exit x = { .kind = EMUL_EXIT_MMIO, .write = write, .gpa = exit_gpa,
			       .gpa_final = true };
	return emul_start(&e, &f.env, &r, &x);
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
	return failures != 0;
}
