/* The service VM's runtime (docs/service.md): entry, console, interrupts, hypercalls, heap. */
#ifndef SERVICE_RT_H
#define SERVICE_RT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <abi/guest_boot.h>
#include "../svc.h"

/* What rt_trap_common pushed, lowest address first. */
struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

/* The polled 16550 at 0x3f8 of the service VM's own partition (Keel's in-core model). */
void rt_console_init(void);
void rt_console_write(const char *s, size_t n);
void rt_console_puts(const char *s);

/* VMCALL or VMMCALL, as Keel's CPUID leaf 0x40000001 says; false when not under Keel. */
bool rt_hcall_init(void);
struct svc_hc rt_hcall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c);

/* Interrupts: the IDT, exception reports, the ring's notify vector (EOI through the LAPIC). */
void rt_trap_init(void);
void rt_trap_notify(uint8_t vector);
uint64_t rt_trap_notifications(void);
/* The report an exception prints, as text. */
void rt_trap_format(const struct rt_frame *f, uint64_t cr2, char *buf, size_t size);

/* Exception capture for self-tests: rt_catch_begin returns 0, or 1 after an exception, with
 * the frame and CR2 in *out. Only one capture at a time; rt_catch_end disarms it. */
struct rt_catch {
	jmp_buf jb;
	struct rt_frame frame;
	uint64_t cr2;
};
void rt_catch_arm(struct rt_catch *c);
void rt_catch_end(void);
#define rt_catch_begin(c) (rt_catch_arm(c), setjmp((c)->jb))

bool rt_lapic_present(void);
void rt_lapic_enable(void);
void rt_lapic_eoi(void);
/* The timer that bounds the loop's sleeps (vector RT_TIMER_VECTOR). */
#define RT_TIMER_VECTOR 0xfe
void rt_lapic_timer_init(void);
bool rt_lapic_oneshot(uint32_t us);

/* The heap sbrk hands out: [lo, hi) of the service VM's RAM. */
void rt_heap_init(uintptr_t lo, uintptr_t hi);
void rt_heap_bounds(uintptr_t *lo, uintptr_t *hi);

/* Reports verdict counts (if any were printed) and stops this vCPU with KEEL_HC_EXIT. */
void rt_exit(unsigned code) __attribute__((noreturn));
void rt_verdicts(unsigned failed, unsigned passed);

/* The service's main program (service/main.c). */
int svc_main(const struct keel_start_info *si);

#endif
