/* Host-CPU oracle: every manifest entry that a 64-bit process can run is executed natively on a
 * buffer and by emul/ (the buffer presented as device memory, answered through ACCESS/complete
 * by a fake device over a copy of the same bytes); registers, RFLAGS (less the flags the SDM
 * leaves undefined, per the manifest), memory and vector registers must be equal. */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu_oracle.h"
#include "emul/emul.h"
#include "fakeenv.h"
#include "rng.h"

extern struct cpu_ctx cpu_ctx;
void cpu_run_avx(void), cpu_back_avx(void), cpu_run_sse(void), cpu_back_sse(void);

static struct mf_entry ents[MF_MAX];
static const struct cpu_case *cur;

/* A case the generator got wrong must still end in a verdict, not a silent crash. */
static void on_fault(int sig)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "VERDICT FAIL emul_cpu/%s signal %d while running a case\n",
			 cur ? cur->m->form : "setup", sig);

	(void)!write(1, msg, (size_t)n);
	_exit(1);
}
static bool have_avx;

static bool cpu_has(const char *f)
{
	unsigned a = 0, b = 0, c = 0, d = 0, b7 = 0, c7 = 0, d7 = 0, a7 = 0;

	__get_cpuid(1, &a, &b, &c, &d);
	__get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
	if (!strcmp(f, "base") || !strcmp(f, "sse") || !strcmp(f, "sse2"))
		return true;
	if (!strcmp(f, "clflush"))
		return d & (1u << 19);
	if (!strcmp(f, "movbe"))
		return c & (1u << 22);
	if (!strcmp(f, "avx")) {
		unsigned lo, hi;
		if (!(c & (1u << 27)) || !(c & (1u << 28)))
			return false;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		return (lo & 6) == 6;
	}
	if (!strcmp(f, "bmi1"))
		return b7 & (1u << 3);
	if (!strcmp(f, "clflushopt"))
		return b7 & (1u << 23);
	if (!strcmp(f, "clwb"))
		return b7 & (1u << 24);
	return false;
}

static void native_run(const struct cpu_case *c, uint8_t *area, struct cpu_state *out)
{
	uint64_t back = (uint64_t)(have_avx ? cpu_back_avx : cpu_back_sse);
	uint8_t *code = area;

	memcpy(code, c->code, (size_t)c->len);
	code[c->len] = 0xff; /* jmp [rip+0] */
	code[c->len + 1] = 0x25;
	memset(code + c->len + 2, 0, 4);
	memcpy(code + c->len + 6, &back, 8);
	memcpy(area + CPU_DEV_OFF, c->in.dev, CPU_DEV_LEN);
	memcpy(area + CPU_STK_OFF, c->in.stk, CPU_STK_LEN);
	memcpy(cpu_ctx.gpr, c->in.gpr, sizeof(cpu_ctx.gpr));
	memcpy(cpu_ctx.ymm, c->in.ymm, sizeof(cpu_ctx.ymm));
	cpu_ctx.rflags = c->in.rflags;
	cpu_ctx.target = (uint64_t)code;
	if (have_avx)
		cpu_run_avx();
	else
		cpu_run_sse();
	memcpy(out->gpr, cpu_ctx.gpr, sizeof(out->gpr));
	memcpy(out->ymm, cpu_ctx.ymm, sizeof(out->ymm));
	out->rflags = cpu_ctx.rflags;
	memcpy(out->dev, area + CPU_DEV_OFF, CPU_DEV_LEN);
	memcpy(out->stk, area + CPU_STK_OFF, CPU_STK_LEN);
}

/* The fake guest of a case: code, the RAM page and the device window over `st`'s buffers. */
static void keel_guest(const struct cpu_case *c, uint8_t *area, uint8_t *code,
		       struct cpu_state *st, struct fake_env *f, struct emul_regs *r)
{
	memset(code, 0xcc, 0x1000);
	memcpy(code, c->code, (size_t)c->len);
	fe_init(f);
	fe_add_ram(f, (uint64_t)area, code, 0x1000);
	fe_add_ram(f, (uint64_t)area + CPU_STK_OFF, st->stk, CPU_STK_LEN);
	fe_add_dev(f, (uint64_t)area + CPU_DEV_OFF, st->dev, CPU_DEV_LEN);
	memcpy(f->vec, c->in.ymm, sizeof(f->vec));
	*r = (struct emul_regs){ 0 };
	fe_regs_mode(r, EMUL_MODE_LONG64);
	memcpy(r->gpr, c->in.gpr, sizeof(r->gpr));
	r->rflags = c->in.rflags;
	r->rip = (uint64_t)area;
}

/* What a VMX CPU reports when the case's instruction exits: its first device access, with the
 * linear address (VMX's guest-linear address), the guest-physical one (identity paging) and
 * whether it writes; found by starting the emulation on a scratch copy of the guest. Kind
 * NONE when the instruction touches no device. */
static struct emul_exit probe_exit(const struct cpu_case *c, uint8_t *area)
{
	static unsigned probes;
	static uint8_t code[0x1000];
	static struct cpu_state scratch;
	struct emul_exit x = { .kind = EMUL_EXIT_NONE };
	struct fake_env f;
	struct emul e;
	struct emul_regs r;

	scratch = c->in;
	keel_guest(c, area, code, &scratch, &f, &r);
	if (emul_start(&e, &f.env, &r, NULL) != EMUL_ACCESS)
		return x;
	for (unsigned k = 0; k < e.nmop; k++) {
		const struct emul_memop *m = &e.mop[k];
		if (!m->dev[0] && !m->dev[1])
			continue;
		x = (struct emul_exit){ .kind = EMUL_EXIT_MMIO, .la_valid = true, .write = m->write,
					.la = m->dev[0] ? m->la : (m->la | 0xfff) + 1,
					.gpa = m->dev[0] ? m->gpa[0] : m->gpa[1] };
		/* every other exit says what the core knows of a page without RAM (the hint) */
		x.dev = (++probes & 1) &&
			f.env.classify(f.env.ctx, x.gpa & ~0xfffull, 0x1000) == EMUL_GPA_DEVICE;
		break;
	}
	emul_abort(&e);
	return x;
}

/* emul/ on the same case, the first start with the exit's information if `exit`; returns
 * false with *why set if it did not finish. */
static bool keel_run(const struct cpu_case *c, uint8_t *area, struct cpu_state *out, bool exit,
		     char *why)
{
	static uint8_t code[0x1000];
	struct fake_env f;
	struct emul e;
	struct emul_regs r;
	struct emul_exit x = exit ? probe_exit(c, area) : (struct emul_exit){ 0 };
	int st = EMUL_DONE, rounds = 0;

	*out = c->in;
	keel_guest(c, area, code, out, &f, &r);
	do {
		st = fe_run_exit(&f, &e, &r, rounds ? NULL : &x, 64);
		if (st != EMUL_DONE) {
			sprintf(why, "emul status %d (fault vector %u)", st, e.fault.vector);
			return false;
		}
	} while (!e.rip_advanced && ++rounds < 1000);
	if (r.rip != (uint64_t)area + (unsigned)c->len || f.bad) {
		sprintf(why, "rip %#llx after %d rounds, %u stray accesses",
			(unsigned long long)r.rip, rounds, f.bad);
		return false;
	}
	memcpy(out->gpr, r.gpr, sizeof(out->gpr));
	memcpy(out->ymm, f.vec, sizeof(out->ymm));
	out->rflags = r.rflags;
	return true;
}

static bool compare(const struct cpu_case *c, const struct cpu_state *n, const struct cpu_state *k,
		    char *why)
{
	static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	uint64_t mask = (EMUL_RFLAGS_ARITH | EMUL_RFLAGS_DF) & ~(uint64_t)c->m->undef;

	for (int i = 0; i < 16; i++)
		if (n->gpr[i] != k->gpr[i]) {
			sprintf(why, "%s cpu %#llx keel %#llx", names[i], (unsigned long long)n->gpr[i],
				(unsigned long long)k->gpr[i]);
			return false;
		}
	if ((n->rflags ^ k->rflags) & mask) {
		sprintf(why, "rflags cpu %#llx keel %#llx (compared %#llx)",
			(unsigned long long)n->rflags, (unsigned long long)k->rflags,
			(unsigned long long)mask);
		return false;
	}
	for (unsigned i = 0; i < CPU_DEV_LEN; i++)
		if (n->dev[i] != k->dev[i]) {
			sprintf(why, "device byte %#x cpu %02x keel %02x", i, n->dev[i], k->dev[i]);
			return false;
		}
	for (unsigned i = 0; i < CPU_STK_LEN; i++)
		if (n->stk[i] != k->stk[i]) {
			sprintf(why, "RAM byte %#x cpu %02x keel %02x", i, n->stk[i], k->stk[i]);
			return false;
		}
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(n->ymm[i], k->ymm[i], have_avx ? 32 : 16)) {
			sprintf(why, "ymm%u differs", i);
			return false;
		}
	return true;
}

static void show(const struct cpu_case *c, const char *why)
{
	char h[64] = "";

	for (int i = 0; i < c->len; i++)
		sprintf(h + 3 * i, "%02x ", c->code[i]);
	printf("  %s: bytes %s: %s\n", c->m->form, h, why);
}

int main(void)
{
	uint64_t seed = rng_seed(), rng;
	const char *ce = getenv("EMUL_CPU_CASES");
	unsigned long total = ce ? strtoul(ce, NULL, 0) : 110000, cases = 0, bad = 0;
	int n = mf_load("emul/manifest.tsv", ents, MF_MAX), runnable = 0;
	static struct cpu_case c;
	static struct cpu_state sn, sk;
	uint8_t *area;
	char why[256];

	if (n <= 0) {
		printf("VERDICT FAIL emul_cpu/manifest cannot load emul/manifest.tsv\n");
		return 1;
	}
	area = mmap(NULL, CPU_AREA_LEN, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (area == MAP_FAILED) {
		printf("VERDICT FAIL emul_cpu/setup mmap of an executable page below 2 GiB failed\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	signal(SIGILL, on_fault);
	have_avx = cpu_has("avx");
	printf("emul_cpu: seed %#llx (set EMUL_SEED to repeat), host AVX %s\n",
	       (unsigned long long)seed, have_avx ? "yes" : "no");
	for (int i = 0; i < n; i++)
		runnable += !ents[i].io && !ents[i].len && (ents[i].modes & MF_MODE_L64) &&
			    cpu_has(ents[i].cpu);
	rng = seed;
	for (int i = 0; i < n; i++) {
		const struct mf_entry *m = &ents[i];
		unsigned long per = total / (unsigned long)runnable + 1, ok = 0, fail = 0;
		if (m->len)
			continue; /* length-only: never emulated (the Zydis oracle checks it) */
		if (m->io || !(m->modes & MF_MODE_L64)) {
			printf("VERDICT SKIP emul_cpu/%s port I/O or not a 64-bit form: covered by the Zydis oracle and unit tests\n",
			       m->form);
			continue;
		}
		if (!cpu_has(m->cpu)) {
			printf("VERDICT SKIP emul_cpu/%s host CPU lacks %s (CPUID)\n", m->form, m->cpu);
			continue;
		}
		for (unsigned long k = 0; k < per; k++) {
			if (!cpu_case_make(&c, m, area, &rng))
				continue;
			cur = &c;
			native_run(&c, area, &sn);
			if (!keel_run(&c, area, &sk, k % 3 != 0, why) || !compare(&c, &sn, &sk, why)) {
				if (fail++ < 3)
					show(&c, why);
			} else {
				ok++;
			}
		}
		cases += ok + fail;
		bad += fail;
		if (fail || !ok)
			printf("VERDICT FAIL emul_cpu/%s %lu of %lu cases differ\n", m->form, fail, ok + fail);
		else
			printf("VERDICT PASS emul_cpu/%s %lu cases\n", m->form, ok);
	}
	printf("emul_cpu: %lu cases, %lu mismatches, seed %#llx\n", cases, bad, (unsigned long long)seed);
	printf("%s emul_cpu/total %lu cases, %lu mismatches\n", bad || cases < 100000 ? "VERDICT FAIL" :
	       "VERDICT PASS", cases, bad);
	return bad || cases < 100000 ? 1 : 0;
}
