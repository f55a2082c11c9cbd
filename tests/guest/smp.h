/* The smp payload's shared state between the BSP and the AP (smp.c, smp_ipi.c). */
#ifndef SMP_H
#define SMP_H

#include "lib/apic.h"
#include "smp_tramp.h"

#define S "smp"
#define LOG_MAX 128
#define PAGE_A 0x0a /* trampoline pages, also the SIPI vectors */
#define PAGE_B 0x0c

struct cpu_log {
	volatile unsigned n;
	volatile uint8_t vec[LOG_MAX];
	volatile uint64_t tsc[LOG_MAX];
};

/* What the AP publishes, and the one call the BSP can hand it. */
struct ap_state {
	volatile unsigned starts;     /* entries into smp_ap_main */
	volatile uint32_t apic_id;    /* read by the AP */
	volatile uint32_t svr_at_start;
	volatile uint64_t alive;      /* incremented by its loop */
	volatile bool halt;           /* wait with STI; HLT instead of PAUSE */
	void (*volatile fn)(uintptr_t);
	volatile uintptr_t arg;
	volatile unsigned done;
};

extern struct cpu_log logs[SMP_MAX_CPUS];
extern struct ap_state ap;

unsigned my_apic_id(void);
void h_log(unsigned vector);      /* logs on the CPU that runs it, then EOI */
void h_log_noeoi(unsigned vector);
void log_reset(unsigned cpu);
unsigned log_count(unsigned cpu, uint8_t vector);
bool log_wait(unsigned cpu, unsigned n, uint64_t us);
/* Runs fn(arg) on the AP and waits for it (false after `us` without an answer). */
bool ap_call(void (*fn)(uintptr_t), uintptr_t arg, uint64_t us);
void ap_wake(void);
uint32_t tramp_count(unsigned page);
void send_init(uint8_t dest);

void smp_ipi_tests(void);

#endif
