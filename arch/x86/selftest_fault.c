/* fault=KIND: the last CPU takes the fault; the handler must print its report and stop that CPU
 * only (never a triple fault), with the vector recorded. The BSP checks and carries on. */
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <keel/format.h>
#include <keel/panic.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/selftest.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/verdict.h>

static volatile u64 fault_depth;

static __attribute__((noinline)) u64 fault_recurse(u64 n)
{
	volatile u8 pad[256];
	pad[0] = (u8)n;
	fault_depth = n;
	if (n < (1u << 20))
		return fault_recurse(n + 1) + pad[0];
	return pad[0];
}

static void fault_ud(void) { __asm__ volatile("ud2"); }
static void fault_bp(void) { __asm__ volatile("int3"); }
static void fault_de(void) { __asm__ volatile("xor %%edx, %%edx; xor %%ecx, %%ecx; div %%ecx" ::: "rax", "rcx", "rdx"); }
static void fault_gp(void) { (void)*(volatile u64 *)0x8000000000000000ULL; }
static void fault_pf(void) { (void)*(volatile u64 *)(1ULL << 46); }
static void fault_stack(void) { fault_recurse(0); }
/* A RET in a freshly allocated data page: with EFER.NXE and NX set on data, the fetch faults. */
static void fault_nx(void)
{
	u64 pa = pmm_alloc_page();
	u8 *p = pa ? phys_map(pa, PAGE_SIZE) : NULL;
	if (!p)
		return;
	p[0] = 0xc3;
	((void (*)(void))p)();
	panic("fault=nx: code ran from data page %#llx", (unsigned long long)pa);
}

static void fault_panic(void) { panic("fault=panic self-test on cpu %u", this_cpu()->index); }

/* RSP at the bottom of the stack: the push faults in the guard page, and so does delivering that
 * #PF on the same stack, which makes a #DF (SDM Vol. 3A 6.15, table 6-5). */
static void fault_df(void)
{
	__asm__ volatile("mov %0, %%rsp; pushq $0" : : "r"(this_cpu()->stack_base) : "memory");
}

static const struct {
	const char *kind;
	void (*fn)(void);
	unsigned vector;
} fault_kinds[] = {
	{ "ud", fault_ud, 6 }, { "bp", fault_bp, 3 }, { "de", fault_de, 0 }, { "gp", fault_gp, 13 },
	{ "pf", fault_pf, 14 }, { "df", fault_df, 8 }, { "stack", fault_stack, 8 }, { "nmi", NULL, 2 },
	{ "nx", fault_nx, 14 }, { "panic", fault_panic, STOP_PANIC },
};

static void fault_run(void *fn) { ((void (*)(void))fn)(); }
static bool cpu_stopped(void *c) { return ((struct percpu *)c)->stopped; }

void selftest_fault(const char *kind)
{
	char name[32];
	unsigned k = 0;
	while (k < ARRAY_SIZE(fault_kinds) && strcmp(fault_kinds[k].kind, kind))
		k++;
	snprintf(name, sizeof(name), "boot/fault-%s", kind);
	struct percpu *c = percpu_get(percpu_count() - 1);
	if (k == ARRAY_SIZE(fault_kinds) || !c || c->index == 0 || !c->online) {
		verdict_skip(name, "needs a second online cpu");
		return;
	}
	int r = fault_kinds[k].fn ? smp_call(c->index, fault_run, (void *)fault_kinds[k].fn)
				  : lapic_send_ipi(c->apic_id, ICR_NMI | ICR_ASSERT);
	if (r || !time_wait_us(cpu_stopped, c, 2000000))
		verdict_fail(name, "cpu %u did not stop (r=%d)", c->index, r);
	else if (c->stop_vector != fault_kinds[k].vector)
		verdict_fail(name, "cpu %u stopped with vector %u, expected %u", c->index, c->stop_vector,
			     fault_kinds[k].vector);
	else
		verdict_pass(name);
}
