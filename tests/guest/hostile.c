/* The hostile payload's order of battle: IPIs out of the partition while its second vCPU still
 * waits, then that vCPU started to spin with interrupts disabled for the rest of the run, the
 * CPU and hypercall attacks, memory, ports, and finally a triple fault. Keel must stop the
 * partition there, spinner included, and the other partitions must not notice any of it. */
#include "hostile.h"

#define SPIN_VECTOR 0x20u   /* the spinner's SIPI vector: real mode at 0x20000 */
#define SPIN_FLAG 0x20100u  /* the spinner writes 1 here before it spins */

/* cli; mov byte [cs:0x100], 1; jmp $ (16-bit code, no PAUSE: it spins as hard as it can) */
static const uint8_t spinner[] = { 0xfa, 0x2e, 0xc6, 0x06, 0x00, 0x01, 0x01, 0xeb, 0xfe };

static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	g_vsnprintf(buf, size, f, ap);
	va_end(ap);
}

void attempt_run(struct attempt *a, void (*fn)(void *), void *arg)
{
	exc_try(fn, arg, &a->x);
	if (a->x.raised)
		fmt(a->got, sizeof(a->got), "vector %u error 0x%x cr2 0x%lx", a->x.vector, a->x.error,
		    (unsigned long)a->x.cr2);
	else
		fmt(a->got, sizeof(a->got), "no exception");
}

bool attempt_is(const struct attempt *a, int vector)
{
	return vector < 0 ? !a->x.raised : a->x.raised && a->x.vector == vector;
}

void attempt_expect(const char *name, int vector, void (*fn)(void *), void *arg)
{
	struct attempt a;
	attempt_run(&a, fn, arg);
	verdict_report(S, name, attempt_is(&a, vector), "%s", a.got);
}

uint64_t stat(enum keel_stat s) { return hc_stat(s); }

uint64_t arg_u64(const struct keel_start_info *si, const char *key, uint64_t dflt)
{
	const char *s = cmdline_get(si, key);
	uint64_t v = 0, base = 10;
	if (!s || !*s || *s == ' ')
		return dflt;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, base = 16;
	for (; *s && *s != ' '; s++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
			   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) : 99;
		if (d >= base)
			return dflt;
		v = v * base + d;
	}
	return v;
}

/* Its own second vCPU, started the regular way (INIT, SIPI) into a real-mode loop with
 * interrupts disabled that never ends on its own. */
static void start_spinner(void)
{
	volatile uint8_t *flag = (volatile uint8_t *)(uintptr_t)SPIN_FLAG;
	memcpy((void *)(uintptr_t)(SPIN_VECTOR << 12), spinner, sizeof(spinner));
	*flag = 0;
	lapic_ipi(1, ICR_INIT | ICR_ASSERT);
	lapic_ipi(1, ICR_SIPI | SPIN_VECTOR);
	uint64_t t0 = rdtsc(), limit = 2000 * tsc_khz();
	while (!*flag && rdtsc() - t0 < limit)
		pause();
	verdict_report(S, "spinner-started", *flag == 1, "vCPU 1 spins with IF=0 from 0x%x: %s",
		       SPIN_VECTOR << 12, *flag == 1 ? "running" : "never started");
}

/* IDTR limit 0: INT3 raises #GP, which cannot be delivered either (#DF), nor can the #DF:
 * a shutdown (SDM Vol. 3A 6.15, interrupt 8). */
static void __attribute__((noreturn)) triple_fault(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(none) : "memory");
	for (;;)
		__asm__ volatile("hlt");
}

int guest_main(const struct keel_start_info *si)
{
	unsigned passed, failed;
	g_printf("hostile: partition %s, %u vCPUs, %lu MiB of RAM\n", si->name, si->nr_vcpus,
		 (unsigned long)(si->ram_size >> 20));
	lapic_enable();
	hostile_ipis();
	if (si->nr_vcpus > 1)
		start_spinner();
	else
		verdict_skip(S, "spinner-started", "one vCPU only");
	hostile_cpu();
	hostile_user();
	hostile_memory(si);
	hostile_ports(si);
	verdict_counts(&passed, &failed);
	if (!arg_u64(si, "triple", 1)) { /* Bochs 2.7 SVM panics on a guest's triple fault (docs/svm.md) */
		g_printf("hostile: %u passed, %u failed; exiting (triple=0)\n", passed, failed);
		guest_exit(failed ? 1 : 0);
	}
	hc(KEEL_HC_VERDICTS, failed, passed, 0);
	g_printf("hostile: %u passed, %u failed; a triple fault comes next\n", passed, failed);
	triple_fault();
}
