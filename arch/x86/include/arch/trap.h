/* Exceptions and interrupts: one stub per vector (arch/x86/trap_entry.S) saves a trap_frame and
 * calls trap_dispatch. Exceptions print a full report and stop the CPU they hit. */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <keel/types.h>

#define VEC_WAKE 0xf0     /* smp_call's IPI */
#define VEC_TIMER 0xf2    /* the physical LAPIC timer backing a vCPU's timers */
#define VEC_SPURIOUS 0xff /* LAPIC spurious vector */

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU (SDM Vol. 3A 6.14.2) */
};

typedef void (*trap_handler_fn)(struct trap_frame *f);

void idt_init(void);
void idt_load(void);
void trap_register(unsigned vector, trap_handler_fn fn);
void trap_dispatch(struct trap_frame *f);

/* Prints the register block and stack trace of f, prefixed with `title`. */
void trap_dump(const char *title, const struct trap_frame *f);
void stack_trace(u64 rbp);
const char *trap_name(unsigned vector);

struct percpu;
/* Sends CPU c an NMI that its NMI handler takes as a kick, not as a fault: the way out of a guest
 * that runs with IF = 0 where a fixed IPI is held (Bochs VMX, docs/vmx.md). Any other NMI still
 * stops the CPU that takes it. */
void trap_nmi_kick(struct percpu *c);

/* Stops this CPU for good: marks it stopped, then cli; hlt forever. */
__noreturn void cpu_stop(unsigned vector);

#endif
