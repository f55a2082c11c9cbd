/* The instruction memo (Keel's per-vCPU record of the instruction fetched at RIP, reused while
 * everything the fetch read is unchanged): the guest changes, at the same RIP, the bytes (SMC),
 * the page table entry, the page directory entry or CR3 so that an intercepted CPUID, or an MMIO
 * load, gets another length. Keel must follow each change as the CPU does. The guest CPU is the
 * judge: a stale length lands RIP inside or past the instruction, on bytes that fault (the
 * padding is INT3, and `A2 <moffs>` stores to a non-canonical or unbacked address), and a stale
 * MMIO instruction makes the wrong access (the test device's log shows it). Keel's memo
 * counters show the memo was in use: each variant is run several times. */
#include "lib/guest.h"

#define S "insn-memo"
#define RUNS 3
#define X_LA 0x40000000ul /* a linear window the payload maps itself (long mode) */
#define PD_1G (KEEL_GUEST_PML4 + 0x3000) /* the boot page directory for 1-2 GiB */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull

struct variant {
	const char *name;
	uint8_t bytes[8];
	unsigned len;
};

/* CPUID with 0, 1 or 2 ignored prefixes (66h operand size, 2Eh CS override), then RET. */
static const struct variant cpuid_v[] = {
	{ "cpuid", { 0x0f, 0xa2 }, 2 },
	{ "66-cpuid", { 0x66, 0x0f, 0xa2 }, 3 },
	{ "66-2e-cpuid", { 0x66, 0x2e, 0x0f, 0xa2 }, 4 },
	{ "cpuid-again", { 0x0f, 0xa2 }, 2 },
};

static uint8_t code[64] __attribute__((aligned(64)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t page_c[4096] __attribute__((aligned(4096)));
static uint64_t pt1[512] __attribute__((aligned(4096)));
static uint64_t pt2[512] __attribute__((aligned(4096)));
static uint64_t pml4b[512] __attribute__((aligned(4096)));
static uint64_t pdptb[512] __attribute__((aligned(4096)));
static uint64_t pdb[512] __attribute__((aligned(4096)));
static uint32_t max_leaf;

/* The instruction, RET, then INT3s: any other landing point faults. */
static void place(uint8_t *at, const uint8_t *bytes, unsigned len)
{
	memcpy(at, bytes, len);
	at[len] = 0xc3;
	memset(at + len + 1, 0xcc, 16);
}

struct call {
	uintptr_t target;
	uintptr_t rdi;
	uint32_t eax;
};

/* Calls target with EAX = 0 (CPUID leaf 0) and EDI as given; returns EAX. */
static void call_target(void *arg)
{
	struct call *c = arg;
	uintptr_t a = 0, d = c->rdi;
	__asm__ volatile("call *%[t]"
			 : "+a"(a), "+D"(d)
			 : [t] "r"(c->target)
			 : "ebx", "ecx", "edx", "esi", "memory", "cc");
	c->eax = (uint32_t)a;
}

/* Runs the code at target RUNS times: CPUID leaf 0 must return the CPU's maximum leaf. */
static bool run_cpuid(uintptr_t target)
{
	for (int i = 0; i < RUNS; i++) {
		struct call c = { target, 0, 0 };
		struct guest_exc x;
		exc_try(call_target, &c, &x);
		if (x.raised || c.eax != max_leaf) {
			if (x.raised)
				g_printf("insn-memo: exception %u at %p (run %d)\n", x.vector,
					 (void *)x.rip, i);
			else
				g_printf("insn-memo: eax %x, want %x (run %d)\n", c.eax, max_leaf, i);
			return false;
		}
	}
	return true;
}

static uint64_t hits(void) { return hc_stat(KEEL_STAT_INSN_MEMO_HITS); }

/* Hardware that reports instruction lengths (VMX, SVM with nRIP) never needs the memo for
 * CPUID; there the runs only check that the guest still works. */
static bool memo_used;

static void verdict_runs(const char *name, bool ok, uint64_t hits0, unsigned variants)
{
	uint64_t h = hits() - hits0;
	bool used = !memo_used || h >= (uint64_t)variants * (RUNS - 1);
	verdict_check(S, name, ok && used, "%s, %lu memo hits for %u variants",
		      ok ? "every run returned" : "a run faulted or returned a wrong value",
		      (unsigned long)h, variants);
}

static void test_smc(void)
{
	bool ok = true;
	uint64_t h0 = hits();
	for (unsigned i = 0; ok && i < sizeof(cpuid_v) / sizeof(cpuid_v[0]); i++) {
		place(code, cpuid_v[i].bytes, cpuid_v[i].len);
		ok = run_cpuid((uintptr_t)code);
	}
	verdict_runs("smc-cpuid-length", ok, h0, 4);
}

static inline void invlpg(uintptr_t la) { __asm__ volatile("invlpg (%0)" : : "r"(la) : "memory"); }
static inline uintptr_t get_cr3(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void set_cr3(uintptr_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

static volatile uint64_t *pd_1g(void) { return (volatile uint64_t *)(uintptr_t)PD_1G; }

/* X_LA's 2 MiB through pt (4 KiB pages). */
static void map_window(uint64_t *pt)
{
	pd_1g()[0] = (uintptr_t)pt | PTE_P | PTE_RW;
	set_cr3(get_cr3());
}

static void map_page(uint64_t *pt, unsigned i, void *page)
{
	pt[i] = (uintptr_t)page | PTE_P | PTE_RW;
	invlpg(X_LA + i * 4096ul);
}

/* Same linear address, same CR3, the PTE moved to another page; the old page unchanged. */
static void test_pte(void)
{
	uint64_t h0 = hits();
	place(page_a + 0x100, cpuid_v[0].bytes, cpuid_v[0].len);
	place(page_b + 0x100, cpuid_v[2].bytes, cpuid_v[2].len);
	map_window(pt1);
	map_page(pt1, 0, page_a);
	bool ok = run_cpuid(X_LA + 0x100);
	map_page(pt1, 0, page_b);
	ok = ok && run_cpuid(X_LA + 0x100);
	map_page(pt1, 0, page_a);
	ok = ok && run_cpuid(X_LA + 0x100);
	verdict_runs("pte-remap", ok, h0, 3);
}

/* The PDE moved to another page table whose entry maps the other page. */
static void test_pde(void)
{
	uint64_t h0 = hits();
	map_page(pt1, 0, page_a);
	map_page(pt2, 0, page_b);
	map_window(pt1);
	bool ok = run_cpuid(X_LA + 0x100);
	map_window(pt2);
	ok = ok && run_cpuid(X_LA + 0x100);
	map_window(pt1);
	ok = ok && run_cpuid(X_LA + 0x100);
	verdict_runs("pde-remap", ok, h0, 3);
}

/* A second address space sharing everything but X_LA, which maps page_b there. */
static void test_cr3(void)
{
	uint64_t h0 = hits();
	uintptr_t cr3a = get_cr3();
	memcpy(pml4b, (void *)(uintptr_t)KEEL_GUEST_PML4, 4096);
	memcpy(pdptb, (void *)(uintptr_t)(KEEL_GUEST_PML4 + 0x1000), 4096);
	memcpy(pdb, (void *)(uintptr_t)PD_1G, 4096);
	pml4b[0] = (uintptr_t)pdptb | PTE_P | PTE_RW;
	pdptb[1] = (uintptr_t)pdb | PTE_P | PTE_RW;
	pdb[0] = (uintptr_t)pt2 | PTE_P | PTE_RW;
	map_page(pt1, 0, page_a);
	map_page(pt2, 0, page_b);
	map_window(pt1);
	bool ok = run_cpuid(X_LA + 0x100);
	set_cr3((uintptr_t)pml4b);
	ok = ok && run_cpuid(X_LA + 0x100);
	set_cr3(cr3a);
	ok = ok && run_cpuid(X_LA + 0x100);
	verdict_runs("cr3-switch", ok, h0, 3);
}

/* Maps the second page of the crossing instruction. Bochs 2.7 keeps a decoded instruction
 * that crosses a page in its trace cache under the first page only, and runs it stale after
 * the second page is remapped; writing the first page's byte again (the same value, no
 * architectural effect, nothing Keel's memo sees) drops that entry. */
static void map_second(void *page)
{
	map_page(pt1, 1, page);
	*(volatile uint8_t *)&page_c[0xfff] = 0x2e;
}

/* CPUID across a page boundary: 2Eh ends the first page, the second page is remapped between
 * `0F A2` and `66 0F A2`. */
static void test_crossing(void)
{
	static const uint8_t tail1[] = { 0x0f, 0xa2 }, tail2[] = { 0x66, 0x0f, 0xa2 };
	uint64_t h0 = hits();
	page_c[0xfff] = 0x2e;
	place(page_a, tail1, sizeof(tail1));
	place(page_b, tail2, sizeof(tail2));
	map_page(pt1, 0, page_c);
	map_second(page_a);
	map_window(pt1);
	bool ok = run_cpuid(X_LA + 0xfff);
	map_second(page_b);
	ok = ok && run_cpuid(X_LA + 0xfff);
	map_second(page_a);
	ok = ok && run_cpuid(X_LA + 0xfff);
	verdict_runs("page-crossing", ok, h0, 3);
}

/* MMIO loads at one RIP: `mov eax,[rdi]`, `mov ax,[rdi]`, `movzx eax, byte [rdi]`. */
static void test_mmio(void)
{
	static const struct variant v[] = {
		{ "mov32", { 0x8b, 0x07 }, 2 },
		{ "mov16", { 0x66, 0x8b, 0x07 }, 3 },
		{ "movzx8", { 0x0f, 0xb6, 0x07 }, 3 },
	};
	static const uint8_t sizes[] = { 4, 2, 1 };
	static const uint32_t want[] = { 0x44332211u, 0x2211u, 0x11u };
	uint64_t h0 = hits();
	bool ok = true;
	tdev_reset(0);
	tdev_poke(0, 0x8877665544332211ull);
	for (unsigned i = 0; ok && i < 3; i++) {
		place(code, v[i].bytes, v[i].len);
		for (int r = 0; ok && r < RUNS; r++) {
			struct call c = { (uintptr_t)code, (uintptr_t)KEEL_TESTDEV_GPA, 0 };
			struct guest_exc x;
			uint32_t off;
			uint8_t size, dir;
			uint64_t data;
			uint64_t n = tdev_log_count();
			exc_try(call_target, &c, &x);
			/* mov ax leaves EAX's upper half: EAX was 0 before the call */
			ok = !x.raised && c.eax == want[i] && tdev_log_count() == n + 1 &&
			     tdev_log_entry((uint32_t)n, &off, &size, &dir, &data) && off == 0 &&
			     size == sizes[i] && dir == KEEL_TESTDEV_DIR_READ;
			if (!ok)
				g_printf("insn-memo: %s run %d: raised %u eax %x size %u\n", v[i].name,
					 r, x.raised, c.eax, size);
		}
	}
	verdict_runs("smc-mmio-load", ok, h0, 3);
}

int guest_main(const struct keel_start_info *si)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	max_leaf = r[0];
	/* CPUID exits with a hardware length on VMX and on SVM with nRIP: there Keel measures
	 * nothing, and only MMIO instructions go through the memo. */
	uint64_t h0 = hits();
	place(code, cpuid_v[0].bytes, cpuid_v[0].len);
	run_cpuid((uintptr_t)code);
	memo_used = hits() - h0 >= RUNS - 1;
	g_printf("insn-memo: %s, %s\n", sizeof(ureg) == 8 ? "long mode" : "protected mode",
		 memo_used ? "Keel measures CPUID itself" : "the hardware measures CPUID");
	test_smc();
	if (sizeof(ureg) == 8 && si->entry_mode == KEEL_ENTRY_LONG64) {
		test_pte();
		test_pde();
		test_cr3();
		test_crossing();
	} else {
		const char *why_skip = "the prot32 entry runs without paging";
		verdict_skip(S, "pte-remap", why_skip);
		verdict_skip(S, "pde-remap", why_skip);
		verdict_skip(S, "cr3-switch", why_skip);
		verdict_skip(S, "page-crossing", why_skip);
	}
	memo_used = true; /* MMIO loads always go through the memo */
	test_mmio();
	/* With lencheck=1 Keel compares both its fresh and its memoized length with the
	 * hardware's at every exit that reports one (Bochs VMX, SVM with nRIP). */
	uint64_t checked = hc_stat(KEEL_STAT_LEN_CHECKED), bad = hc_stat(KEEL_STAT_LEN_MISMATCH);
	if (checked)
		verdict_check(S, "lengths-vs-hardware", bad == 0, "%lu of %lu lengths differ",
			      (unsigned long)bad, (unsigned long)checked);
	else
		verdict_skip(S, "lengths-vs-hardware", "no hardware lengths compared (lencheck=0)");
	return 0;
}
