/* Memory attacks. Guest-physical addresses are the partition's own: where Keel's image lies in
 * host memory (0x100000), a guest finds its own RAM; beyond its RAM it must find nothing at all,
 * at one exit per access (no exit storm). Every page up to `sweep-top` is written at offset
 * 0xf00, where Keel keeps each partition's canary, so a leak into another partition's RAM
 * would break a canary Keel checks at the end. */
#include "hostile.h"

#define KEEL_IMAGE 0x100000u       /* Keel's link address (linker.ld): a GPA = HPA guess */
#define OWN_END 0x200000u          /* ... up to this payload's own image */
#define CANARY_OFF 0xf00u          /* include/keel/isolation.h */
#define APIC_HOLE_LO 0xfec00000ull /* the IOAPIC and LAPIC windows answer: not swept */
#define APIC_HOLE_HI 0xff000000ull
#define HIGH_VA (1ull << 39)       /* PML4 entry 1: this payload's own window */
#define UNBACKED 0xe0000000ull     /* nothing is configured there */

static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t buf[64];

static uint64_t rd64(uint64_t a) { return *(volatile uint64_t *)(uintptr_t)a; }
static uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static void wr64(uint64_t a, uint64_t v) { *(volatile uint64_t *)(uintptr_t)a = v; }

/* Host memory at GPA = HPA: Keel's image would be at 0x100000; here it is this partition's own
 * RAM, which reads back what it wrote. */
static void own_ram_at_keel(void)
{
	uint64_t bad = 0;
	for (uint64_t a = KEEL_IMAGE; a < OWN_END; a += 8)
		wr64(a, a ^ 0x686f7374696c6521ull);
	for (uint64_t a = KEEL_IMAGE; a < OWN_END; a += 8)
		bad += rd64(a) != (a ^ 0x686f7374696c6521ull);
	verdict_report(S, "keel-image-gpa-is-own-ram", !bad,
		       "GPA 0x%x-0x%x: wrote and read back its own RAM (%lu words differ)", KEEL_IMAGE,
		       OWN_END, (unsigned long)bad);
}

/* Guesses from the command line (guess=ADDR, e.g. another partition's placed RAM): write the
 * canary offset of that page and read it back. */
static void guesses(const struct keel_start_info *si)
{
	uint64_t g = arg_u64(si, "guess", 0);
	if (!g) {
		verdict_skip(S, "guess-write", "no guess= on the command line");
		return;
	}
	bool own = g < si->ram_size;
	wr64(g + CANARY_OFF, 0x6775657373656421ull);
	uint64_t v = rd64(g + CANARY_OFF);
	verdict_report(S, "guess-write", own ? v == 0x6775657373656421ull : v == ~0ull,
		       "GPA 0x%lx (%s): read back 0x%lx", (unsigned long)(g + CANARY_OFF),
		       own ? "its own RAM" : "beyond its RAM", (unsigned long)v);
}

/* [RAM end, sweep-top): write the canary offset, read it and the page's first word. */
static void sweep(const struct keel_start_info *si)
{
	uint64_t top = arg_u64(si, "sweep-top", 0x8000000), step = arg_u64(si, "sweep-step", 0x1000);
	uint64_t pages = 0, bad = 0, e0 = stat(KEEL_STAT_EXITS), m0 = stat(KEEL_STAT_MMIO_EXITS);
	for (uint64_t a = si->ram_size; a < top && step >= 0x1000; a += step, pages++) {
		wr64(a + CANARY_OFF, 0);
		bad += rd64(a + CANARY_OFF) != ~0ull;
		bad += rd32(a) != 0xffffffffu;
	}
	uint64_t m = stat(KEEL_STAT_MMIO_EXITS) - m0, e = stat(KEEL_STAT_EXITS) - e0 - 3;
	verdict_report(S, "sweep-beyond-ram", pages && !bad, "%lu pages in [0x%lx, 0x%lx) step 0x%lx: "
		       "%lu accesses not all-ones", (unsigned long)pages, (unsigned long)si->ram_size,
		       (unsigned long)top, (unsigned long)step, (unsigned long)bad);
	verdict_report(S, "sweep-one-exit-each", m == 3 * pages && e - m < 64,
		       "%lu accesses, %lu MMIO exits, %lu other exits", (unsigned long)(3 * pages),
		       (unsigned long)m, (unsigned long)(e - m));
}

/* Every 2 MiB up to 4 GiB, the interrupt controllers' windows aside. */
static void sparse(const struct keel_start_info *si)
{
	uint64_t top = arg_u64(si, "sweep-top", 0x8000000), n = 0, bad = 0;
	for (uint64_t a = (top + 0x1fffff) & ~0x1fffffull; a < (1ull << 32); a += 0x200000) {
		if (a >= APIC_HOLE_LO && a < APIC_HOLE_HI)
			continue;
		bad += rd32(a + CANARY_OFF) != 0xffffffffu;
		n++;
	}
	verdict_report(S, "sparse-to-4g", n && !bad, "%lu reads every 2 MiB up to 4 GiB, %lu not all-ones",
		       (unsigned long)n, (unsigned long)bad);
}

static unsigned phys_bits(void)
{
	uint32_t r[4];
	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, r);
	return r[0] & 0xff;
}

struct high {
	uint64_t gpa;
	uint32_t val;
};

static void high_read(void *arg)
{
	struct high *h = arg;
	uint64_t big = h->gpa & ~0x1fffffull;
	pd[0] = big | 0x83; /* present, writable, 2 MiB (SDM Vol. 3A 4.5, table 4-17) */
	__asm__ volatile("invlpg (%0)" : : "r"(HIGH_VA) : "memory");
	h->val = rd32(HIGH_VA + (h->gpa - big));
}

/* Far above RAM through its own page tables: nothing there up to MAXPHYADDR, and past it the
 * CPU's own #PF with the reserved-bit flag (error code bit 3). */
static void high(void)
{
	unsigned bits = phys_bits();
	uint64_t *pml4 = (uint64_t *)(uintptr_t)KEEL_GUEST_PML4;
	pdpt[0] = (uintptr_t)pd | 3;
	pml4[1] = (uintptr_t)pdpt | 3;
	static const char *const names[] = { "high-4g", "high-64g", "high-maxphy" };
	uint64_t gpas[] = { 1ull << 32, 1ull << 36, (1ull << bits) - 0x200000 };
	for (unsigned i = 0; i < 3; i++) {
		struct high h = { gpas[i] + CANARY_OFF, 0 };
		struct attempt a;
		attempt_run(&a, high_read, &h);
		verdict_report(S, names[i], attempt_is(&a, -1) && h.val == 0xffffffffu,
			       "GPA 0x%lx: read 0x%x, %s", (unsigned long)h.gpa, h.val, a.got);
	}
	struct high h = { 1ull << bits, 0 };
	struct attempt a;
	attempt_run(&a, high_read, &h);
	verdict_report(S, "beyond-maxphy", attempt_is(&a, 14) && (a.x.error & 8),
		       "GPA 0x%lx (MAXPHYADDR %u): %s", (unsigned long)h.gpa, bits, a.got);
	pml4[1] = 0;
}

static void strings(void)
{
	uint64_t n = sizeof(buf) / 8, m0 = stat(KEEL_STAT_MMIO_EXITS);
	void *d = buf, *s = (void *)(uintptr_t)UNBACKED;
	__asm__ volatile("cld; rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	uint64_t bad = 0;
	for (unsigned i = 0; i < 64; i++)
		bad += buf[i] != ~0ull;
	n = 64;
	d = (void *)(uintptr_t)UNBACKED;
	__asm__ volatile("cld; rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
	uint64_t m = stat(KEEL_STAT_MMIO_EXITS) - m0;
	verdict_report(S, "rep-movs-stos", !bad && m >= 2 && m <= 128,
		       "64 qwords in and out of 0x%lx: %lu not all-ones, %lu MMIO exits",
		       (unsigned long)UNBACKED, (unsigned long)bad, (unsigned long)m);
}

static void rmw(void)
{
	uint32_t x = 5, c = 7;
	__asm__ volatile("lock xaddl %0, (%1)" : "+r"(x) : "r"(UNBACKED + 0x40) : "memory");
	__asm__ volatile("lock cmpxchgl %2, (%1)" : "+a"(c) : "r"(UNBACKED + 0x44), "r"(1u) : "memory");
	verdict_report(S, "rmw-unbacked", x == 0xffffffffu && c == 0xffffffffu,
		       "xadd returned 0x%x, cmpxchg loaded 0x%x", x, c);
}

static void fetch(void *arg)
{
	(void)arg;
	((void (*)(void))(uintptr_t)UNBACKED)();
}

void hostile_memory(const struct keel_start_info *si)
{
	own_ram_at_keel();
	guesses(si);
	sweep(si);
	sparse(si);
	high();
	strings();
	rmw();
	attempt_expect("fetch-unbacked", 6, fetch, NULL);
}
