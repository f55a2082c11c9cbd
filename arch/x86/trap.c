/* Exception reports and interrupt dispatch. An exception in Keel is a bug: the CPU that took it
 * prints everything it knows and stops; the other CPUs carry on. */
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/printk.h>

static trap_handler_fn trap_handlers[256];

/* SDM Vol. 3A table 6-1. */
static const char *const trap_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
	"#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD exception", "#VE virtualization exception", "#CP control protection", "reserved 22",
	"reserved 23", "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved 31",
};

const char *trap_name(unsigned v) { return v < 32 ? trap_names[v] : "interrupt"; }

void trap_register(unsigned vector, trap_handler_fn fn)
{
	if (vector >= 32 && vector < 256)
		trap_handlers[vector] = fn;
}

void trap_dump(const char *title, const struct trap_frame *f)
{
	struct percpu *c = this_cpu_or_null();
	printk("keel: %s on cpu %d (apic %d)\n", title, c ? (int)c->index : -1, c ? (int)c->apic_id : -1);
	printk("keel:   rip %016llx cs %04llx rflags %016llx rsp %016llx ss %04llx\n",
	       (unsigned long long)f->rip, (unsigned long long)f->cs, (unsigned long long)f->rflags,
	       (unsigned long long)f->rsp, (unsigned long long)f->ss);
	printk("keel:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
	       (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	printk("keel:   rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n", (unsigned long long)f->rsi,
	       (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
	printk("keel:   r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n", (unsigned long long)f->r9,
	       (unsigned long long)f->r10, (unsigned long long)f->r11, (unsigned long long)f->r12);
	printk("keel:   r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)f->r13,
	       (unsigned long long)f->r14, (unsigned long long)f->r15);
	printk("keel:   cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n", (unsigned long long)read_cr0(),
	       (unsigned long long)read_cr2(), (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
	stack_trace(f->rbp);
}

__noreturn void cpu_stop(unsigned vector)
{
	struct percpu *c = this_cpu_or_null();
	printk("keel: cpu %d stopped\n", c ? (int)c->index : -1);
	console_flush();
	if (c) {
		c->stop_vector = vector;
		__atomic_store_n(&c->stopped, 1, __ATOMIC_RELEASE);
		c->online = 0;
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

static __noreturn void trap_exception(struct trap_frame *f)
{
	struct percpu *c = this_cpu_or_null();
	char title[96];
	console_break_lock();
	if (c && c->trap_depth++) {
		printk("keel: exception %s (rip %llx) while handling an exception on cpu %u\n",
		       trap_name((unsigned)f->vector), (unsigned long long)f->rip, c->index);
		cpu_stop((unsigned)f->vector);
	}
	snprintf(title, sizeof(title), "exception %s, error code %#llx,", trap_name((unsigned)f->vector),
		 (unsigned long long)f->error);
	trap_dump(title, f);
	cpu_stop((unsigned)f->vector);
}

void trap_nmi_kick(struct percpu *c)
{
	__atomic_add_fetch(&c->nmi_kicks, 1, __ATOMIC_ACQ_REL);
	lapic_send_ipi(c->apic_id, ICR_NMI | ICR_ASSERT);
}

/* Two NMIs sent while one is blocked arrive as one (SDM Vol. 3A 6.7.1): a kick left over is
 * harmless, it only makes a later stray NMI count as a kick. */
static bool trap_nmi_take(void)
{
	struct percpu *c = this_cpu_or_null();
	u32 n = c ? __atomic_load_n(&c->nmi_kicks, __ATOMIC_ACQUIRE) : 0;
	while (n)
		if (__atomic_compare_exchange_n(&c->nmi_kicks, &n, n - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
	return false;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == 2 && trap_nmi_take())
		return;
	if (f->vector < 32)
		trap_exception(f);
	if (trap_handlers[f->vector]) {
		trap_handlers[f->vector](f);
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return; /* no EOI for the spurious vector (SDM Vol. 3A 10.9) */
	pr_warn("unexpected interrupt vector %llu on cpu %u", (unsigned long long)f->vector, this_cpu()->index);
	lapic_eoi();
}
