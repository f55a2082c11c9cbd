/* CPU attacks: the virtualization instructions of both vendors (a guest sees neither VMX nor
 * SVM, so each must be #UD: native on the other vendor, injected by Keel on its own), hypercalls
 * that do not exist or belong to the service VM, and the control bits and MSRs that would turn
 * virtualization on or move the APIC. */
#include "hostile.h"

static uint64_t region[512] __attribute__((aligned(4096)));

static void i_vmxon(void *a) { (void)a; __asm__ volatile("vmxon %0" : : "m"(region[0])); }
static void i_vmxoff(void *a) { (void)a; __asm__ volatile("vmxoff"); }
static void i_vmclear(void *a) { (void)a; __asm__ volatile("vmclear %0" : : "m"(region[0])); }
static void i_vmptrld(void *a) { (void)a; __asm__ volatile("vmptrld %0" : : "m"(region[0])); }
static void i_vmlaunch(void *a) { (void)a; __asm__ volatile("vmlaunch"); }
static void i_vmresume(void *a) { (void)a; __asm__ volatile("vmresume"); }
static void i_vmread(void *a)
{
	uint64_t v;
	(void)a;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(0x681eull));
}
static void i_vmwrite(void *a) { (void)a; __asm__ volatile("vmwrite %0, %1" : : "r"(0ull), "r"(0x681eull)); }
static void i_invept(void *a) { (void)a; __asm__ volatile("invept %0, %1" : : "m"(region[0]), "r"(2ull)); }
static void i_invvpid(void *a) { (void)a; __asm__ volatile("invvpid %0, %1" : : "m"(region[0]), "r"(2ull)); }
static void i_vmfunc(void *a) { (void)a; __asm__ volatile(".byte 0x0f, 0x01, 0xd4" : : "a"(0), "c"(0)); }
static void i_vmrun(void *a) { (void)a; __asm__ volatile("vmrun %%rax" : : "a"((uintptr_t)region)); }
static void i_vmload(void *a) { (void)a; __asm__ volatile("vmload %%rax" : : "a"((uintptr_t)region)); }
static void i_vmsave(void *a) { (void)a; __asm__ volatile("vmsave %%rax" : : "a"((uintptr_t)region)); }
static void i_stgi(void *a) { (void)a; __asm__ volatile("stgi"); }
static void i_clgi(void *a) { (void)a; __asm__ volatile("clgi"); }
static void i_skinit(void *a) { (void)a; __asm__ volatile("skinit %%eax" : : "a"((uint32_t)(uintptr_t)region)); }
static void i_invlpga(void *a) { (void)a; __asm__ volatile("invlpga %%rax, %%ecx" : : "a"(0ull), "c"(0)); }
/* The other vendor's hypercall instruction is not the hypercall: #UD natively. */
static void i_vmcall(void *a) { (void)a; __asm__ volatile("vmcall" : : "a"(KEEL_HC_VERSION) : "rbx", "rcx", "rdx"); }
static void i_vmmcall(void *a) { (void)a; __asm__ volatile("vmmcall" : : "a"(KEEL_HC_VERSION) : "rbx", "rcx", "rdx"); }

static const struct {
	const char *name;
	void (*fn)(void *);
	bool intel_only, amd_only; /* the hypercall instruction of that vendor: skipped there */
} insns[] = {
	{ "vmxon", i_vmxon, false, false },       { "vmxoff", i_vmxoff, false, false },
	{ "vmclear", i_vmclear, false, false },   { "vmptrld", i_vmptrld, false, false },
	{ "vmlaunch", i_vmlaunch, false, false }, { "vmresume", i_vmresume, false, false },
	{ "vmread", i_vmread, false, false },     { "vmwrite", i_vmwrite, false, false },
	{ "invept", i_invept, false, false },     { "invvpid", i_invvpid, false, false },
	{ "vmfunc", i_vmfunc, false, false },     { "vmrun", i_vmrun, false, false },
	{ "vmload", i_vmload, false, false },     { "vmsave", i_vmsave, false, false },
	{ "stgi", i_stgi, false, false },         { "clgi", i_clgi, false, false },
	{ "skinit", i_skinit, false, false },     { "invlpga", i_invlpga, false, false },
	{ "vmcall-on-amd", i_vmcall, true, false }, { "vmmcall-on-intel", i_vmmcall, false, true },
};

static void virt_insns(void)
{
	char name[40];
	bool intel = vendor_intel();
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		memcpy(name, "insn-", 5);
		memcpy(name + 5, insns[i].name, strlen(insns[i].name) + 1);
		if ((insns[i].intel_only && intel) || (insns[i].amd_only && !intel)) {
			verdict_skip(S, name, "this vendor's hypercall instruction");
			continue;
		}
		attempt_expect(name, 6, insns[i].fn, NULL);
	}
}

/* Hypercalls a guest must not get anywhere with: no such number, another partition's console,
 * the service VM's calls, a counter that does not exist. */
static void hypercalls(void)
{
	static const struct {
		const char *name;
		uint64_t nr, a, b, c, want;
	} calls[] = {
		{ "hc-unknown", 0x7777, 0, 0, 0, KEEL_ENOSYS },
		{ "hc-all-ones", ~0ull, ~0ull, ~0ull, ~0ull, KEEL_ENOSYS },
		{ "hc-high-bits", (1ull << 32) | KEEL_HC_VERSION, 0, 0, 0, KEEL_ENOSYS },
		{ "hc-ring-kick", KEEL_HC_RING_KICK, 0, 0, 0, KEEL_EPERM },
		{ "hc-irq-other", KEEL_HC_IRQ, 0, 4, 2, KEEL_EPERM },
		{ "hc-console-write-other", KEEL_HC_CONSOLE_WRITE, 0, 0x1000, 16, KEEL_EPERM },
		{ "hc-console-read-other", KEEL_HC_CONSOLE_READ, 0, 0, 0, KEEL_EPERM },
		{ "hc-stat-range", KEEL_HC_STAT, 1000000, 0, 0, KEEL_ERANGE },
	};
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct hc_result r = hc(calls[i].nr, calls[i].a, calls[i].b, calls[i].c);
		verdict_report(S, calls[i].name, r.status == calls[i].want,
			       "call 0x%lx: status %lu (want %lu)", (unsigned long)calls[i].nr,
			       (unsigned long)r.status, (unsigned long)calls[i].want);
	}
}

static void set_vmxe(void *a)
{
	uintptr_t cr4;
	(void)a;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1u << 13)));
}

/* A legal change still works where Keel checks CR4 writes itself (SVM): PGE off and on again
 * through R9, which needs REX.B to name (SDM Vol. 2B MOV—Move to Control Registers). */
static void cr4_toggle(void)
{
	uintptr_t before, off, after;
	__asm__ volatile("mov %%cr4, %0" : "=r"(before));
	__asm__ volatile("mov %1, %%r9; mov %%r9, %%cr4; mov %%cr4, %0" : "=r"(off)
			 : "r"(before & ~(uintptr_t)0x80) : "r9", "memory");
	__asm__ volatile("mov %1, %%r9; mov %%r9, %%cr4; mov %%cr4, %0" : "=r"(after)
			 : "r"(before | 0x80) : "r9", "memory");
	verdict_report(S, "cr4-legal", !(off & 0x80) && (after & 0x80) && (off | 0x80) == after,
		       "CR4 0x%lx, PGE off 0x%lx, on 0x%lx", (unsigned long)before, (unsigned long)off,
		       (unsigned long)after);
}

struct msr_try {
	uint32_t msr;
	bool write;
	uint64_t val;
};

static void msr_access(void *arg)
{
	struct msr_try *t = arg;
	if (t->write)
		wrmsr(t->msr, t->val);
	else
		t->val = rdmsr(t->msr);
}

/* Each must be #GP(0): the guest has no VMX, no SVM, no x2APIC, and its APIC cannot move. */
static void msrs(void)
{
	static const struct {
		const char *name;
		struct msr_try t;
	} tries[] = {
		{ "msr-efer-svme", { 0xc0000080u, true, 0x1500 } },
		{ "msr-vm-hsave", { 0xc0010117u, true, 0x1000 } },
		{ "msr-vm-cr", { 0xc0010114u, false, 0 } },
		{ "msr-feature-control", { 0x3au, true, 5 } },
		{ "msr-vmx-basic", { 0x480u, false, 0 } },
		{ "msr-x2apic-icr", { 0x830u, true, 0x200000500ull } },
		{ "msr-apic-base-move", { 0x1bu, true, 0xfed00900ull } },
	};
	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct msr_try t = tries[i].t;
		struct attempt a;
		attempt_run(&a, msr_access, &t);
		verdict_report(S, tries[i].name, attempt_is(&a, 13) && a.x.error == 0,
			       "%s MSR 0x%x: %s", t.write ? "write" : "read", t.msr, a.got);
	}
}

void hostile_cpu(void)
{
	virt_insns();
	hypercalls();
	cr4_toggle();
	attempt_expect("cr4-vmxe", 13, set_vmxe, NULL);
	msrs();
}
