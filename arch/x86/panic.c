/* panic() and fatal(): the two ways Keel stops on purpose. */
#include <arch/percpu.h>
#include <arch/trap.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/panic.h>
#include <keel/printk.h>

/* Captures the caller's registers into f (RIP/RSP/RBP describe panic's caller). */
static __attribute__((noinline)) void panic_capture(struct trap_frame *f)
{
	__asm__ volatile("mov %%rax, %0\n\tmov %%rbx, %1\n\tmov %%rcx, %2\n\tmov %%rdx, %3\n\t"
			 "mov %%rsi, %4\n\tmov %%rdi, %5\n\tmov %%r8, %6\n\tmov %%r9, %7"
			 : "=m"(f->rax), "=m"(f->rbx), "=m"(f->rcx), "=m"(f->rdx), "=m"(f->rsi), "=m"(f->rdi),
			   "=m"(f->r8), "=m"(f->r9));
	__asm__ volatile("mov %%r10, %0\n\tmov %%r11, %1\n\tmov %%r12, %2\n\tmov %%r13, %3\n\t"
			 "mov %%r14, %4\n\tmov %%r15, %5\n\tmov %%cs, %6\n\tmov %%ss, %7"
			 : "=m"(f->r10), "=m"(f->r11), "=m"(f->r12), "=m"(f->r13), "=m"(f->r14), "=m"(f->r15),
			   "=m"(f->cs), "=m"(f->ss));
	__asm__ volatile("pushfq; popq %0" : "=m"(f->rflags));
	const u64 *mine = __builtin_frame_address(0);
	const u64 *frame = (const u64 *)mine[0]; /* panic's frame: saved RBP, then return address */
	f->rbp = frame[0];
	f->rip = frame[1];
	f->rsp = (u64)(frame + 2);
}

__noreturn void panic(const char *fmt, ...)
{
	struct trap_frame f = { 0 };
	char msg[256];
	va_list ap;

	__asm__ volatile("cli");
	panic_capture(&f);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_break_lock();
	printk("keel: panic: %s\n", msg);
	trap_dump("panic", &f);
	cpu_stop(STOP_PANIC);
}

__noreturn void fatal(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("keel: fatal: %s\n", msg);
	console_flush();
	for (;;)
		__asm__ volatile("cli; hlt");
}
