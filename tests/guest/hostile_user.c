/* Hypercalls from a user process: VMCALL and VMMCALL exit at every CPL, so Keel itself must
 * refuse them at CPL > 0 (KEEL_EPERM, registers untouched). The payload gives itself user
 * segments, marks its identity map user-accessible for the duration and runs each call at CPL 3
 * through SYSRET/SYSCALL (hostile_sysret.S). Two of the calls would end the run (KEEL_HC_EXIT) or
 * make it fail (KEEL_HC_VERDICTS with failures) if Keel obeyed them. */
#include "hostile.h"

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define EFER_SCE 1ull
#define PTE_U 4ull
#define GDT_USER_DATA 0x00cff2000000ffffull /* DPL 3, writable */
#define GDT_USER_CODE 0x00affa000000ffffull /* DPL 3, 64-bit */
#define SEL_SYSRET_BASE 0x28u /* SYSRET: SS = base + 8 (0x30), CS = base + 16 (0x38) */
#define SEL_KERNEL_CS 0x08u

void user_hcall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t out[5], uint64_t intel);
void user_hcall_back(void);

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct dtr old_gdtr;

/* Keel's GDT (guest-boot.md: six slots, the TSS in the last two) with user data and code after. */
static void gdt_load_user(void)
{
	struct dtr d = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
	__asm__ volatile("sgdt %0" : "=m"(old_gdtr));
	memcpy(gdt, (const void *)(uintptr_t)old_gdtr.base, 6 * sizeof(uint64_t));
	gdt[6] = GDT_USER_DATA;
	gdt[7] = GDT_USER_CODE;
	__asm__ volatile("lgdt %0" : : "m"(d) : "memory");
}

static void gdt_restore(void) { __asm__ volatile("lgdt %0" : : "m"(old_gdtr) : "memory"); }

/* Sets (or clears) U on the present entries of the first 4 GiB of the current tables: directory
 * entries and 2 MiB leaves, the form Keel's identity map has (SDM Vol. 3A 4.6.1: user access
 * needs U at every level). */
static void user_map(bool on)
{
	uintptr_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(cr3 & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & 0xffffffffff000ull);
	pml4[0] = on ? pml4[0] | PTE_U : pml4[0] & ~PTE_U;
	for (int i = 0; i < 4; i++) {
		if (!(pdpt[i] & 1))
			continue;
		pdpt[i] = on ? pdpt[i] | PTE_U : pdpt[i] & ~PTE_U;
		uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[i] & 0xffffffffff000ull);
		for (int j = 0; j < 512; j++)
			if (pd[j] & 1)
				pd[j] = on ? pd[j] | PTE_U : pd[j] & ~PTE_U;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void user_setup(bool on)
{
	if (on) {
		gdt_load_user();
		user_map(true);
		wrmsr(MSR_STAR, (uint64_t)SEL_SYSRET_BASE << 48 | (uint64_t)SEL_KERNEL_CS << 32);
		wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)user_hcall_back);
		wrmsr(MSR_FMASK, 0x4700); /* TF, IF, DF, NT clear at the kernel entry */
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
		return;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
	user_map(false);
	gdt_restore();
}

void hostile_user(void)
{
	static const struct {
		const char *name;
		uint64_t nr, a, b, c;
	} calls[] = {
		{ "user-hc-version", KEEL_HC_VERSION, 0x1111, 0x2222, 0x3333 },
		{ "user-hc-stat", KEEL_HC_STAT, KEEL_STAT_EXITS, 0x2222, 0x3333 },
		{ "user-hc-verdicts", KEEL_HC_VERDICTS, 1000, 0, 0 },
		{ "user-hc-exit", KEEL_HC_EXIT, 77, 0x2222, 0x3333 },
		{ "user-hc-unknown", 0x7777, 0x1111, 0x2222, 0x3333 },
	};
	bool intel = vendor_intel();
	user_setup(true);
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		uint64_t out[5] = { 0 };
		user_hcall(calls[i].nr, calls[i].a, calls[i].b, calls[i].c, out, intel);
		bool kept = out[1] == calls[i].a && out[2] == calls[i].b && out[3] == calls[i].c;
		verdict_report(S, calls[i].name, (out[4] & 3) == 3 && out[0] == KEEL_EPERM && kept,
			       "CS 0x%lx status %lu (want %u), registers %s", (unsigned long)out[4],
			       (unsigned long)out[0], KEEL_EPERM, kept ? "kept" : "changed");
	}
	user_setup(false);
	struct hc_result r = hc(KEEL_HC_VERSION, 0, 0, 0);
	verdict_report(S, "kernel-hc-version", r.status == KEEL_OK && r.rbx == KEEL_ABI_VERSION,
		       "status %lu version %lu", (unsigned long)r.status, (unsigned long)r.rbx);
}
