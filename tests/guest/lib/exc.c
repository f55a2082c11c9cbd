/* Exception capture for payloads: an IDT whose handler returns to the exc_try caller. */
#include "guest.h"
#include "apic.h"

struct g_jmpbuf {
	ureg regs[8];
};
int g_setjmp(struct g_jmpbuf *j) __attribute__((returns_twice));
void g_longjmp(struct g_jmpbuf *j, int v) __attribute__((noreturn));


extern const char exc_stubs[], intr_stubs[];
static struct g_jmpbuf *volatile exc_active;
static struct guest_exc *volatile exc_out;

#define GATE_BYTES (sizeof(ureg) == 8 ? 16 : 8)
static uint8_t idt[256 * 16] __attribute__((aligned(16)));

static ureg read_cr2(void)
{
	ureg v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static uint16_t code_selector(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/* Interrupt gates, DPL 0, present (SDM Vol. 3A 6.11 and 6.14.1). */
static void idt_set(unsigned v, uintptr_t handler, uint16_t cs)
{
	uint8_t *g = idt + v * GATE_BYTES;
	memset(g, 0, GATE_BYTES);
	g[0] = (uint8_t)handler;
	g[1] = (uint8_t)(handler >> 8);
	g[2] = (uint8_t)cs;
	g[3] = (uint8_t)(cs >> 8);
	g[5] = 0x8e;
	g[6] = (uint8_t)(handler >> 16);
	g[7] = (uint8_t)(handler >> 24);
	if (GATE_BYTES == 16)
		for (int i = 0; i < 4; i++)
			g[8 + i] = (uint8_t)((uint64_t)handler >> (32 + 8 * i));
}

/* Exceptions go to the capture stubs; NMI and vectors 32-255 to the interrupt stubs
 * (lib/intr.c dispatches them). */
void exc_init(void)
{
	uint16_t cs = code_selector();
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, (uintptr_t)(v < 32 && v != 2 ? exc_stubs : intr_stubs) + 16 * v, cs);
	exc_load();
}

void exc_load(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uintptr_t base;
	} idtr = { 256 * GATE_BYTES - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void (*exc_hook)(struct exc_frame *f);

void exc_handler(struct exc_frame *f);
void exc_handler(struct exc_frame *f)
{
	if (exc_hook)
		exc_hook(f);
	struct g_jmpbuf *j = exc_active;
	if (!j) {
		verdict_fail("guest", "unexpected-exception", "vector %u error %x rip %p cr2 %p",
			     (unsigned)f->vector, (unsigned)f->error, (void *)f->rip,
			     (void *)read_cr2());
		guest_exit(1);
	}
	struct guest_exc *x = exc_out;
	x->raised = true;
	x->vector = (uint8_t)f->vector;
	x->error = (uint32_t)f->error;
	x->rip = f->rip;
	x->cr2 = read_cr2();
	exc_active = 0;
	g_longjmp(j, 1);
}

void exc_try(void (*fn)(void *), void *arg, struct guest_exc *x)
{
	struct g_jmpbuf j;
	memset(x, 0, sizeof(*x));
	exc_out = x;
	if (g_setjmp(&j) == 0) {
		exc_active = &j;
		fn(arg);
		exc_active = 0;
	}
}

struct msr_op {
	uint32_t msr;
	uint64_t val;
};

static void msr_op_read(void *arg)
{
	struct msr_op *m = arg;
	m->val = rdmsr(m->msr);
}

static void msr_op_write(void *arg)
{
	struct msr_op *m = arg;
	wrmsr(m->msr, m->val);
}

void msr_read_try(uint32_t msr, uint64_t *val, struct guest_exc *x)
{
	struct msr_op m = { msr, 0 };
	exc_try(msr_op_read, &m, x);
	*val = m.val;
}

void msr_write_try(uint32_t msr, uint64_t val, struct guest_exc *x)
{
	struct msr_op m = { msr, val };
	exc_try(msr_op_write, &m, x);
}
