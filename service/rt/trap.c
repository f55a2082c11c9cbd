/* The service VM's IDT: exceptions are reported on its console and stop it (or return to a
 * self-test's capture point); the ring's notify vector and the loop's timer are acknowledged at
 * the LAPIC. The report
 * is formatted here without newlib, which the exception may have interrupted. */
#include <string.h>
#include "rt.h"

#define RT_SPURIOUS 0xff

struct rt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

extern const char rt_trap_stubs[];
static struct rt_gate rt_idt[256] __attribute__((aligned(16)));
static volatile uint8_t rt_notify_vector;
static volatile uint64_t rt_notified, rt_unexpected, rt_ticks;
static struct rt_catch *volatile rt_catching;

static const char *const rt_exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "?22", "?23",
	"?24", "?25", "?26", "?27", "#HV", "#VC", "#SX", "?31",
};

/* 64-bit interrupt gates, DPL 0, present (SDM Vol. 3A 6.14.1). */
void rt_trap_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(rt_idt) - 1, (uintptr_t)rt_idt };
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned v = 0; v < 256; v++) {
		uint64_t h = (uintptr_t)rt_trap_stubs + 16 * v;

		rt_idt[v] = (struct rt_gate){ (uint16_t)h, cs, 0, 0x8e, (uint16_t)(h >> 16),
					      (uint32_t)(h >> 32), 0 };
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void rt_trap_notify(uint8_t vector) { rt_notify_vector = vector; }
uint64_t rt_trap_notifications(void) { return rt_notified; }

void rt_catch_arm(struct rt_catch *c) { rt_catching = c; }
void rt_catch_end(void) { rt_catching = NULL; }

struct rt_out {
	char *buf;
	size_t size, len;
};

static void rt_emit(struct rt_out *o, const char *s)
{
	for (; *s; s++)
		if (o->len + 1 < o->size)
			o->buf[o->len++] = *s;
	if (o->size)
		o->buf[o->len] = 0;
}

static void rt_emit_hex(struct rt_out *o, const char *label, uint64_t v)
{
	char tmp[19] = "0x";
	int n = 0;
	char digits[16];

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	for (int i = 0; i < n; i++)
		tmp[2 + i] = digits[n - 1 - i];
	tmp[2 + n] = 0;
	rt_emit(o, label);
	rt_emit(o, tmp);
}

void rt_trap_format(const struct rt_frame *f, uint64_t cr2, char *buf, size_t size)
{
	static const char *const gpr_names[15] = {
		" r15 ", " r14 ", " r13 ", " r12 ", " r11 ", " r10 ", " r9 ", " r8 ",
		" rbp ", " rdi ", " rsi ", " rdx ", " rcx ", " rbx ", " rax ",
	};
	const uint64_t *gpr = &f->r15;
	struct rt_out o = { buf, size, 0 };

	rt_emit(&o, "svc: exception ");
	rt_emit(&o, f->vector < 32 ? rt_exc_names[f->vector] : "?");
	rt_emit_hex(&o, " vector ", f->vector);
	rt_emit_hex(&o, " error ", f->error);
	rt_emit_hex(&o, " rip ", f->rip);
	rt_emit_hex(&o, " rsp ", f->rsp);
	rt_emit_hex(&o, " rflags ", f->rflags);
	rt_emit_hex(&o, " cr2 ", cr2);
	rt_emit(&o, "\nsvc:");
	for (int i = 14; i >= 0; i--)
		rt_emit_hex(&o, gpr_names[i], gpr[i]);
	rt_emit(&o, "\n");
}

static uint64_t rt_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static void rt_exception(struct rt_frame *f)
{
	struct rt_catch *c = rt_catching;
	char report[512];

	if (c) {
		rt_catching = NULL;
		c->frame = *f;
		c->cr2 = rt_read_cr2();
		longjmp(c->jb, 1);
	}
	rt_trap_format(f, rt_read_cr2(), report, sizeof(report));
	rt_console_puts(report);
	rt_console_puts("svc: stopped\n");
	rt_exit(128 + (unsigned)f->vector);
}

void rt_trap(struct rt_frame *f);
void rt_trap(struct rt_frame *f)
{
	if (f->vector < 32) {
		rt_exception(f);
		return;
	}
	if (f->vector == RT_SPURIOUS)
		return; /* a spurious interrupt is not acknowledged (SDM Vol. 3A 10.9) */
	if (f->vector == rt_notify_vector)
		rt_notified++;
	else if (f->vector == RT_TIMER_VECTOR)
		rt_ticks++;
	else
		rt_unexpected++;
	rt_lapic_eoi();
}
