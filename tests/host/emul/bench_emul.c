/* Decode+emulate cost on the 49-encoding MMIO mix (tests/bench/mmio-mix.tsv), the unit bhyve's
 * figures measure: everything in bench_unit(): emul_start_bytes (mode, decode, translate, check
 * against the exit) on the caller's own register file (used in place), answer each device access
 * in-process, emul_complete until DONE. The registers a case changes are reset before each unit,
 * outside the count (bench_prep).
 *   bench_emul callgrind   – run under valgrind --tool=callgrind --toggle-collect=bench_unit:
 *                            dumps one counter set per segment (loop per case, mixes)
 *   bench_emul time        – wall-clock ns per unit on the mixed stream (report only)
 *   bench_emul coverage    – manifest forms the decoder accepts in every listed mode
 *   bench_emul profile     – the mixed stream only (for callgrind_annotate) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "emul/emul.h"
#include "fakeenv.h"
#include "manifest.h"

#define NCASE 49
#define DEV_BASE 0xfebf0000ull
#define APIC_BASE 0xfee00000ull
#define RAM_BASE 0x100000ull

struct bcase {
	uint8_t bytes[16];
	unsigned len;
	enum emul_mode mode;
	int bhyve_ir;
	struct emul_exit exit;
	uint64_t rsi, rdi;
};

static struct bcase cases[NCASE];
static struct emul_regs base64, base32;
static struct emul E;
static struct emul_env env;
static uint8_t ram[0x1000], dev[0x1000];

static void bench_copy(void *d, const void *s, unsigned n)
{
	switch (n) {
	case 1:
		__builtin_memcpy(d, s, 1);
		break;
	case 2:
		__builtin_memcpy(d, s, 2);
		break;
	case 4:
		__builtin_memcpy(d, s, 4);
		break;
	case 8:
		__builtin_memcpy(d, s, 8);
		break;
	default:
		memcpy(d, s, n);
		break;
	}
}

/* Guest RAM: the page tables (a copy of fakeenv's, read-only) and one page. */
static uint8_t tables[4][0x1000];

static int b_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	uint64_t t = gpa - FE_PT_GPA, r = gpa - RAM_BASE;

	(void)ctx;
	if (t < sizeof(tables) && len <= sizeof(tables) - t)
		bench_copy(buf, (uint8_t *)tables + t, len);
	else if (r < sizeof(ram) && len <= sizeof(ram) - r)
		bench_copy(buf, ram + r, len);
	else
		return -1;
	return 0;
}

static int b_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	uint64_t r = gpa - RAM_BASE;

	(void)ctx;
	if (r >= sizeof(ram) || len > sizeof(ram) - r)
		return -1;
	bench_copy(ram + r, buf, len);
	return 0;
}

static enum emul_gpa_class b_classify(void *ctx, uint64_t gpa, uint32_t len)
{
	(void)ctx;
	return gpa >= RAM_BASE && gpa + len <= RAM_BASE + sizeof(ram) ? EMUL_GPA_RAM : EMUL_GPA_DEVICE;
}

static void b_vread(void *ctx, unsigned reg, void *buf, unsigned len)
{
	(void)ctx;
	(void)reg;
	memset(buf, 0x5a, len);
}

static void b_vwrite(void *ctx, unsigned reg, const void *buf, unsigned len, unsigned zero_to)
{
	(void)ctx;
	(void)reg;
	(void)buf;
	(void)len;
	(void)zero_to;
}

/* The device: reads return its bytes, writes are stored (the in-process answer). As the core's
 * caller (arch/x86/mmio.c) does, one element outside a read-modify-write goes by value: the
 * device reads or writes the low `size` bytes of a 64-bit value (x86: little-endian), and the
 * answer goes back by emul_complete_value; anything else through the access's buffer. */
static int bench_answer(struct emul *e)
{
	const struct emul_access *a = &e->access;
	unsigned n = (unsigned)a->size * a->count, off = (unsigned)a->addr & 0xeff;
	uint64_t v;

	if (__builtin_expect(a->count == 1 && !(a->flags & EMUL_ACCESS_RMW), 1)) {
		if (a->dir == EMUL_DIR_WRITE) {
			bench_copy(dev + off, a->data, a->size);
			return emul_complete_value(e, 0);
		}
		__builtin_memcpy(&v, dev + off, 8);
		return emul_complete_value(e, v);
	}
	if (a->dir == EMUL_DIR_WRITE) {
		bench_copy(dev + off, a->data, n);
		return emul_complete(e, NULL, 0);
	}
	return emul_complete(e, dev + off, n);
}

/* Before each unit, outside the count (the bench's own set-up, not emul/'s work): reset the
 * registers a case can change that any case uses (RIP, rAX, rCX, rSI, rDI) in the caller's own
 * register file (as the core keeps the vCPU's). */
static struct emul_regs *bench_prep(const struct bcase *c)
{
	struct emul_regs *r = c->mode == EMUL_MODE_LONG64 ? &base64 : &base32;

	r->rip = 0x1000;
	r->gpr[EMUL_RAX] = DEV_BASE;
	r->gpr[EMUL_RCX] = 2;
	r->gpr[EMUL_RSI] = c->rsi;
	r->gpr[EMUL_RDI] = c->rdi;
	return r;
}

/* One unit: start, every device access answered in-process, complete until a final status. */
__attribute__((noinline)) int bench_unit(const struct bcase *c, struct emul_regs *r)
{
	int st = emul_start_bytes(&E, &env, r, &c->exit, c->bytes, c->len);

	while (st == EMUL_ACCESS)
		st = bench_answer(&E);
	return st;
}

static int bench_one(const struct bcase *c)
{
	return bench_unit(c, bench_prep(c));
}

static int load(void)
{
	FILE *f = fopen("tests/bench/mmio-mix.tsv", "r");
	char line[512], hex[64], mode[16];
	int n = 0, idx, ir;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < NCASE) {
		if (line[0] == '#' || !strncmp(line, "index", 5))
			continue;
		ir = 0;
		if (sscanf(line, "%d\t%63s\t%15s", &idx, hex, mode) != 3 || idx != n)
			return -1;
		char *last = strrchr(line, '\t');
		ir = last ? atoi(last + 1) : 0;
		struct bcase *c = &cases[n];
		c->len = (unsigned)strlen(hex) / 2;
		for (unsigned i = 0; i < c->len; i++)
			sscanf(hex + 2 * i, "%2hhx", &c->bytes[i]);
		c->mode = !strcmp(mode, "64-bit") ? EMUL_MODE_LONG64 : EMUL_MODE_PROT32;
		c->bhyve_ir = ir;
		c->rsi = c->rdi = DEV_BASE;
		if (n == 33)
			c->rsi = RAM_BASE + 0x100; /* rep movsd RAM -> MMIO */
		if (n == 34)
			c->rdi = RAM_BASE + 0x100; /* rep movsb MMIO -> RAM */
		/* the exit information: the device operand's first access (bhyve is handed the GPA) */
		struct bcase probe = *c;
		probe.exit.kind = EMUL_EXIT_NONE;
		bench_one(&probe);
		/* dev: the device page holds no RAM, which the core knows from the nested page fault
		 * (not present: the nested tables map all of RAM), so nothing classifies it */
		c->exit = (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = true, .dev = true };
		for (unsigned k = E.nmop; k-- > 0;)
			if (E.mop[k].dev[0]) {
				c->exit.la = E.mop[k].la;
				c->exit.gpa = E.mop[k].gpa[0];
				c->exit.write = E.mop[k].write; /* an RMW is walked for write */
			}
		if (n == 18) /* Linux's fixmap address of the xAPIC EOI register */
			c->exit.gpa = APIC_BASE + 0xb0;
		n++;
	}
	fclose(f);
	return n == NCASE ? 0 : -1;
}

static void setup(void)
{
	env = (struct emul_env){ .mem = { NULL, b_read, b_write, NULL }, .classify = b_classify,
				 .vec_read = b_vread, .vec_write = b_vwrite };
	for (unsigned i = 0; i < sizeof(tables) / 8; i++)
		if (fe_tables_read(FE_PT_GPA + i * 8, (uint8_t *)tables + i * 8, 8))
			abort();
	fe_regs_mode(&base64, EMUL_MODE_LONG64);
	fe_regs_mode(&base32, EMUL_MODE_PROT32);
	base32.cr0 = base64.cr0 = 0x11; /* paging off in 32-bit mode; the exit hint covers 64-bit */
	for (struct emul_regs *r = &base64; r; r = r == &base64 ? &base32 : NULL) {
		r->gpr[EMUL_RDX] = r->gpr[EMUL_R8] = r->gpr[EMUL_R11] = DEV_BASE;
		r->gpr[EMUL_RCX] = 2;
		r->gpr[EMUL_RBX] = DEV_BASE; /* the mix says 4: bhyve gets the GPA, Keel computes it */
		r->gpr[EMUL_RAX] = DEV_BASE;
	}
	base64.cr0 = 0x80000011;
}

static int run_callgrind(void)
{
	const unsigned loops = 200, rounds = 40;

	CALLGRIND_ZERO_STATS;
	for (int i = 0; i < NCASE; i++) {
		char name[32];
		for (unsigned k = 0; k < loops; k++)
			if (bench_one(&cases[i]) != EMUL_DONE)
				return 1;
		snprintf(name, sizeof(name), "loop %d %u", i, loops);
		CALLGRIND_DUMP_STATS_AT(name);
	}
	for (unsigned k = 0; k < rounds; k++)
		for (int i = 0; i < NCASE; i++)
			bench_one(&cases[i]);
	CALLGRIND_DUMP_STATS_AT("mix49 1960");
	for (unsigned k = 0; k < rounds; k++)
		for (int i = 0; i < 35; i++)
			bench_one(&cases[i]);
	CALLGRIND_DUMP_STATS_AT("mix35 1400");
	return 0;
}

static int run_time(void)
{
	const unsigned rounds = 20000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned k = 0; k < rounds; k++)
		for (int i = 0; i < NCASE; i++)
			bench_one(&cases[i]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
		    (rounds * NCASE);
	printf("bench emul_mix_ns %.1f ns\n", ns);
	return 0;
}

static int run_coverage(void)
{
	static struct mf_entry ents[MF_MAX];
	static const enum emul_mode modes[] = { EMUL_MODE_REAL, EMUL_MODE_PROT16, EMUL_MODE_PROT32,
						EMUL_MODE_LONG64 };
	int n = mf_load("emul/manifest.tsv", ents, MF_MAX), handled = 0, forms = 0, lenonly = 0;

	for (int i = 0; i < n; i++) {
		bool ok = true;
		if (ents[i].len) {
			lenonly++;
			continue;
		}
		forms++;
		for (unsigned mi = 0; mi < 4; mi++) {
			struct mf_enc v = { .mode = modes[mi], .asz = mi == 3 ? 64 : mi == 2 ? 32 : 16,
					    .osz = ents[i].osz == 1 ? 8 : ents[i].osz ? (mi >= 2 ? 32 : 16) : 0,
					    .mod = 1, .rm = mi == 3 ? 7 : 6 };
			uint8_t b[32];
			struct emul_insn in;
			int len = mf_encode(&ents[i], &v, b);
			if (!(ents[i].modes & mf_mode_bit(modes[mi])))
				continue;
			for (unsigned alt = 16; len < 0 && ents[i].osz && alt <= 64; alt *= 2) {
				v.osz = alt; /* the form lacks the mode's default size */
				len = mf_encode(&ents[i], &v, b);
			}
			ok = ok && len > 0 && emul_decode(b, (unsigned)len, modes[mi], &in) == EMUL_DEC_OK;
		}
		handled += ok;
		if (!ok)
			fprintf(stderr, "bench_emul: coverage probe declined %s\n", ents[i].form);
	}
	printf("bench emul_coverage %d/%d forms\n", handled, forms);
	printf("bench emul_length_only_forms %d forms\n", lenonly);
	return handled == forms ? 0 : 1;
}

int main(int argc, char **argv)
{
	setup();
	if (argc != 2 || load()) {
		fprintf(stderr, "bench_emul: usage: bench_emul callgrind|time|coverage (from the repo root)\n");
		return 2;
	}
	for (int i = 0; i < NCASE; i++)
		if (bench_one(&cases[i]) != EMUL_DONE) {
			fprintf(stderr, "bench_emul: case %d does not complete\n", i);
			return 1;
		}
	if (!strcmp(argv[1], "callgrind"))
		return run_callgrind();
	if (!strcmp(argv[1], "time"))
		return run_time();
	if (!strcmp(argv[1], "profile")) { /* the mixed stream alone, for callgrind_annotate */
		const char *one = getenv("BENCH_CASE"), *reps = getenv("BENCH_ROUNDS");
		int only = one ? atoi(one) : -1;
		unsigned rounds = reps ? (unsigned)atoi(reps) : 100u;
		CALLGRIND_TOGGLE_COLLECT;
		for (unsigned k = 0; k < rounds; k++)
			for (int i = only < 0 ? 0 : only; i < (only < 0 ? NCASE : only + 1); i++)
				bench_one(&cases[i]);
		CALLGRIND_TOGGLE_COLLECT;
		return 0;
	}
	return run_coverage();
}
