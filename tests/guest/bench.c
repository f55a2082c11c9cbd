/* Exit-path benchmark payload: Keel's cost per exit, measured with RDTSC around REPS runs of a
 * loop whose body holds one exit-causing instruction, minus the same loop with a NOP of the same
 * length in its place. Under `qemu -icount shift=0` (and in Bochs) the TSC counts one per
 * instruction, so (exit loop - NOP loop) / REPS is the instructions Keel runs per exit, plus the
 * world switch (about one). tests/guest/bench_exits.py turns the `bench-exit` lines into
 * `bench <name> <value> instructions`. The verdicts check the measurement's premise: each exit
 * loop exits exactly once per iteration (Keel's own counters), the NOP loops never, and the
 * device saw every access. */
#include "lib/guest.h"

#define S "bench"
#define REPS 1000u
#define RUNS 3
#define UART_LSR 0x3fd
#define UART_SCR 0x3ff

/* One timed loop: RDTSC, REPS × (setup; the instruction as bytes; dec; jnz), RDTSC. Only the
 * low 32 bits of the TSC are kept (a run is far below 2^32 ticks). ESI counts, EDI points at the
 * device, EAX-EDX are free for the instruction. */
#define BENCH_LOOP(fn, setup, bytes)                                                     \
	static uint32_t fn(uint32_t n, ureg ptr)                                           \
	{                                                                                  \
		uint32_t t0, t1;                                                           \
		__asm__ volatile("rdtsc\n\t"                                               \
				 "mov %%eax, %[t0]\n\t"                                    \
				 "1:\n\t" setup "\n\t"                                     \
				 ".byte " bytes "\n\t"                                     \
				 "dec %[n]\n\t"                                            \
				 "jnz 1b\n\t"                                              \
				 "rdtsc"                                                   \
				 : "=a"(t1), [t0] "=m"(t0), [n] "+S"(n), "+D"(ptr)         \
				 :                                                         \
				 : "ebx", "ecx", "edx", "memory", "cc");                   \
		return t1 - t0;                                                            \
	}

#define NOP1 "0x90"
#define NOP2 "0x66, 0x90"             /* xchg ax, ax */
#define NOP3 "0x0f, 0x1f, 0x00"       /* nop dword [eax] */

BENCH_LOOP(loop_cpuid0, "xor %%eax, %%eax", "0x0f, 0xa2")           /* cpuid, leaf 0 */
BENCH_LOOP(loop_cpuid0_nop, "xor %%eax, %%eax", NOP2)
BENCH_LOOP(loop_cpuid1, "mov $1, %%eax", "0x0f, 0xa2")              /* cpuid, leaf 1 */
BENCH_LOOP(loop_cpuid1_nop, "mov $1, %%eax", NOP2)
BENCH_LOOP(loop_vmmcall, "xor %%eax, %%eax", "0x0f, 0x01, 0xd9")    /* KEEL_HC_VERSION */
BENCH_LOOP(loop_vmcall, "xor %%eax, %%eax", "0x0f, 0x01, 0xc1")
BENCH_LOOP(loop_hcall_nop, "xor %%eax, %%eax", NOP3)
BENCH_LOOP(loop_mmio_read, "", "0x8b, 0x07")                         /* mov eax, [edi] */
BENCH_LOOP(loop_mmio_write, "mov $0x5a5a5a5a, %%eax", "0x89, 0x07")  /* mov [edi], eax */
BENCH_LOOP(loop_mmio_read_nop, "", NOP2)
BENCH_LOOP(loop_mmio_write_nop, "mov $0x5a5a5a5a, %%eax", NOP2)
BENCH_LOOP(loop_pio_in, "mov $" "0x3ff" ", %%edx", "0xec")           /* in al, dx (SCR) */
BENCH_LOOP(loop_pio_out, "mov $" "0x3ff" ", %%edx", "0xee")          /* out dx, al (SCR) */
BENCH_LOOP(loop_pio_nop, "mov $" "0x3fd" ", %%edx", NOP1)

typedef uint32_t (*loop_fn)(uint32_t n, ureg ptr);

struct bench {
	const char *name;      /* the figure: bench <name>_instructions */
	loop_fn exit, nop;
	ureg ptr;
	enum keel_stat stat;   /* the counter each exit of this kind bumps */
};

static uint64_t exits_during(loop_fn fn, ureg ptr, enum keel_stat stat)
{
	uint64_t before = hc_stat(stat);
	fn(REPS, ptr);
	return hc_stat(stat) - before;
}

/* The figure, the arithmetic behind it, and a verdict that each exit loop iteration exited
 * exactly once (the stat hypercall after the loop counts itself for KEEL_STAT_EXITS) and the
 * NOP loop never. */
static void bench_run(const struct bench *b)
{
	uint32_t te = ~0u, tn = ~0u;
	unsigned self = b->stat == KEEL_STAT_EXITS;
	b->exit(REPS, b->ptr); /* warm up: Keel's caches, the device's state */
	b->nop(REPS, b->ptr);
	for (int i = 0; i < RUNS; i++) {
		uint32_t e = b->exit(REPS, b->ptr), n = b->nop(REPS, b->ptr);
		te = e < te ? e : te;
		tn = n < tn ? n : tn;
	}
	uint64_t xe = exits_during(b->exit, b->ptr, b->stat);
	uint64_t xn = exits_during(b->nop, b->ptr, b->stat);
	uint32_t d = te - tn;
	g_printf("bench-exit %s %u %u %u\n", b->name, REPS, te, tn);
	g_printf("bench: %s: (%u - %u) / %u = %u.%03u instructions per exit\n", b->name, te, tn,
		 REPS, d / REPS, d % REPS);
	verdict_check(S, b->name, xe == REPS + self && xn == self && te > tn,
		      "%lu exits in the exit loop, %lu in the NOP loop, ticks %u vs %u",
		      (unsigned long)xe, (unsigned long)xn, te, tn);
}

/* Exit loops bench_run runs: the warm-up, RUNS timed ones, the counted one. */
#define EXIT_LOOPS (1 + RUNS + 1)

/* The device saw one 4-byte access per iteration of every MMIO loop since the reset; the log
 * keeps the first entries, all reads of the value poked before. */
static void check_device(void)
{
	uint64_t want = 2ull * REPS * EXIT_LOOPS, got = tdev_log_count();
	uint32_t off;
	uint8_t size, dir;
	uint64_t data;
	bool ok = got == want;
	for (uint32_t i = 0; ok && i < KEEL_TESTDEV_LOG_MAX; i += KEEL_TESTDEV_LOG_MAX - 1)
		ok = tdev_log_entry(i, &off, &size, &dir, &data) && off == 0 && size == 4 &&
		     dir == KEEL_TESTDEV_DIR_READ && data == 0x11223344u;
	verdict_check(S, "mmio-device-log", ok, "%lu accesses logged, %lu expected",
		      (unsigned long)got, (unsigned long)want);
	verdict_check(S, "mmio-write-landed", (uint32_t)tdev_peek(0) == 0x5a5a5a5au, "peek %lx",
		      (unsigned long)tdev_peek(0));
}

int guest_main(const struct keel_start_info *si)
{
	uint32_t r[4];
	ureg dev = (ureg)KEEL_TESTDEV_GPA;
	cpuid(0x40000001, 0, r);
	bool amd = r[1] == 1;
	g_printf("bench: partition %s, %s, %s\n", si->name, sizeof(ureg) == 8 ? "long mode" :
		 "protected mode", amd ? "VMMCALL" : "VMCALL");
	tdev_reset(0);
	tdev_poke(0, 0x11223344u);
	const struct bench mmio[] = {
		{ "mmio_incore_read", loop_mmio_read, loop_mmio_read_nop, dev, KEEL_STAT_MMIO_EXITS },
		{ "mmio_incore_write", loop_mmio_write, loop_mmio_write_nop, dev,
		  KEEL_STAT_MMIO_EXITS },
	};
	bench_run(&mmio[0]);
	bench_run(&mmio[1]);
	check_device();
	const struct bench others[] = {
		{ "exit_cpuid", loop_cpuid0, loop_cpuid0_nop, 0, KEEL_STAT_EXITS },
		{ "exit_cpuid_leaf1", loop_cpuid1, loop_cpuid1_nop, 0, KEEL_STAT_EXITS },
		{ "exit_hypercall", amd ? loop_vmmcall : loop_vmcall, loop_hcall_nop, 0,
		  KEEL_STAT_EXITS },
		{ "pio_incore", loop_pio_in, loop_pio_nop, 0, KEEL_STAT_PIO_EXITS },
		{ "pio_incore_out", loop_pio_out, loop_pio_nop, 0, KEEL_STAT_PIO_EXITS },
	};
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		bench_run(&others[i]);
	return 0;
}
