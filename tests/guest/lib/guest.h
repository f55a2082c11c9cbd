/* The freestanding guest library for Keel's test payloads: console, verdicts, hypercalls,
 * exception capture. Builds for 64-bit long mode and 32-bit protected mode (GUEST_BITS). */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <abi/guest_boot.h>
#include <abi/hypercall.h>
#include <abi/testdev.h>

typedef uintptr_t ureg; /* a general register of the guest's mode */

/* Console: the 16550 at 0x3f8 (Keel's in-core model or the service VM's). */
void con_init(void);
void con_putc(char c);
void con_write(const char *s, size_t n);
int g_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int g_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void g_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Verdict lines (docs/architecture.md "Test protocol"). */
void verdict_pass(const char *suite, const char *name);
void verdict_fail(const char *suite, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void verdict_skip(const char *suite, const char *name, const char *why);
/* Pass iff cond; the detail is printed on failure. Returns cond. */
bool verdict_check(const char *suite, const char *name, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
unsigned verdict_failed(void);
/* PASS or FAIL as ok says, with the detail printed either way (evidence, not only a reason). */
void verdict_report(const char *suite, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void verdict_counts(unsigned *passed, unsigned *failed);

/* Hypercalls: VMCALL or VMMCALL, chosen from CPUID leaf 0x40000001 (hc_init). */
struct hc_result {
	ureg status, rbx, rcx, rdx;
};
bool hc_init(void);
struct hc_result hc(ureg nr, ureg a, ureg b, ureg c);
/* Report verdict counts to Keel and stop this vCPU. */
void guest_exit(unsigned code) __attribute__((noreturn));
uint64_t hc_stat(enum keel_stat s);
/* Report verdict counts, then CLI; HLT (the vCPU stops there). */
void guest_exit_hlt(void) __attribute__((noreturn));

/* Test device helpers. */
void tdev_reset(uint8_t fill);
void tdev_poke(uint32_t off, uint64_t v);
uint64_t tdev_peek(uint32_t off);
uint64_t tdev_log_count(void);
bool tdev_log_entry(uint32_t i, uint32_t *off, uint8_t *size, uint8_t *dir, uint64_t *data);
/* The port block (abi/testdev.h): bulk window access and the log as a stream. */
struct tdev_entry {
	uint32_t info; /* offset | size << 16 | dir << 24 | KEEL_TESTDEV_INFO_PORT */
	uint64_t data;
};
void tdev_cursor(uint32_t off);
void tdev_bulk_write(uint32_t off, const void *buf, size_t n);
void tdev_bulk_read(uint32_t off, void *buf, size_t n);
void tdev_log_clear(void);
uint32_t tdev_log_total(void);
/* Reads the first min(total, max) entries kept (total: tdev_log_total()), right after
 * tdev_log_clear() and the accesses (the stream starts at entry 0 after a clear). */
uint32_t tdev_log_fetch(struct tdev_entry *e, uint32_t total, uint32_t max);

/* Exception capture: run fn(arg); if it raises an exception, return with *x describing it. */
struct guest_exc {
	bool raised;
	uint8_t vector;
	uint32_t error;
	ureg cr2;
	ureg rip;
};
void exc_init(void);
void exc_load(void); /* loads the IDT exc_init built (application processors) */
void exc_try(void (*fn)(void *), void *arg, struct guest_exc *x);
/* RDMSR and WRMSR under exception capture (*val: what was read, when nothing was raised). */
void msr_read_try(uint32_t msr, uint64_t *val, struct guest_exc *x);
void msr_write_try(uint32_t msr, uint64_t val, struct guest_exc *x);
/* What the exception stubs pass on: the general registers at the exception (rsp's slot holds
 * the stub's own value), the vector and error code, then the CPU's frame. */
struct exc_frame {
	ureg gpr[8 * sizeof(ureg) / 4];
	ureg vector, error, rip, cs, rflags;
};
/* When set, called first for every exception (it may not return). */
extern void (*exc_hook)(struct exc_frame *f);

/* Interrupts (lib/intr.c): NMI and vectors 32-255 call the handler set for them; one without a
 * handler is a FAIL verdict (guest/unexpected-interrupt). */
typedef void (*intr_fn)(unsigned vector);
void intr_set(unsigned vector, intr_fn fn);

/* CPU helpers. */
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* The payload's entry, called with the start information. */
int guest_main(const struct keel_start_info *si);

#endif
