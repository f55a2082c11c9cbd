/* The paged engine: the slot holds the instruction and a jump back to the thunk; run A uses
 * root 0 (the window on the device), run B root 1 (the window on RAM). */
#include "suite.h"
#include "paging.h"

_Static_assert(__builtin_offsetof(struct ctx, rflags) == 128, "ctx layout (flat*.S)");
_Static_assert(__builtin_offsetof(struct ctx, vec) == 160, "ctx layout (flat*.S)");
_Static_assert(SC_SLOT == 0xfeaf8000u, "slot address (flat*.S)");

int flat_exec(const struct ctx *in, struct ctx *out, uintptr_t cr3, unsigned vec);
void flat_ret(void);
void flat_abort(void) __attribute__((noreturn));
void flat_segments(const struct plan *p);

static struct ctx *run_out;
static struct xres *run_x;
extern ureg slot_addr;     /* where the thunk jumps */
static uint32_t slot_off;  /* the instruction's offset in the slot */
static const uint8_t *pro[2];
static unsigned pro_len[2];

/* Code that runs before the instruction (run A, run B), which then sits at offset off. */
void flat_prologue(const uint8_t *a, unsigned alen, const uint8_t *b, unsigned blen, uint32_t off)
{
	pro[0] = a, pro_len[0] = alen;
	pro[1] = b, pro_len[1] = blen;
	slot_off = off;
}

/* An exception in the run: its registers and what it was; back to the thunk. */
static void flat_hook(struct exc_frame *f)
{
	ureg *cpu = &f->rip;
	for (unsigned i = 0; i < 8 * sizeof(ureg) / 4; i++)
		run_out->gpr[i] = f->gpr[i];
	run_out->gpr[RSP] = sizeof(ureg) == 8 ? cpu[3] : (uintptr_t)&cpu[3];
	run_out->rflags = cpu[2];
	*run_x = (struct xres){ .exc = true, .vector = (uint8_t)f->vector, .error = (uint32_t)f->error,
				.rip = f->rip };
	ureg cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	run_x->cr2 = cr2;
	exc_hook = 0;
	flat_abort();
}

/* Instruction bytes, then JMP [abs] back: 64-bit FF 25 with RIP+0 and the address after it;
 * 32-bit CS: FF 25 with the absolute address of the pointer that follows (through CS: DS may
 * have the case's base). */
static void slot_write(int which, const uint8_t *code, unsigned len)
{
	uint8_t *s = code_ram + slot_off;
	if (pro[which]) { /* the prologue, then JMP rel32 to the instruction */
		int32_t rel = (int32_t)(slot_off - (pro_len[which] + 5));
		memcpy(code_ram, pro[which], pro_len[which]);
		code_ram[pro_len[which]] = 0xe9;
		memcpy(code_ram + pro_len[which] + 1, &rel, 4);
	}
	uint64_t back = (uintptr_t)flat_ret;
	memcpy(s, code, len);
	if (sizeof(ureg) == 8) {
		static const uint8_t jmp64[6] = { 0xff, 0x25, 0, 0, 0, 0 };
		memcpy(s + len, jmp64, 6);
		memcpy(s + len + 6, &back, 8);
		return;
	}
	uint32_t ptr = SC_SLOT + slot_off + len + 7;
	s[len] = 0x2e;
	s[len + 1] = 0xff;
	s[len + 2] = 0x25;
	memcpy(s + len + 3, &ptr, 4);
	memcpy(s + len + 7, &back, 4);
}

void flat_run(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
	      unsigned len, struct ctx *out, struct xres *x)
{
	(void)e;
	slot_write(which, code, len);
	slot_addr = SC_SLOT + (pro[which] ? 0 : slot_off);
	flat_segments(p);
	*x = (struct xres){ 0 };
	run_out = out;
	run_x = x;
	exc_hook = flat_hook;
	flat_exec(&p->in, out, pg_cr3(which), p->vec);
	exc_hook = 0;
}

#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define GDT_DATA_SEL 0x30 /* DS ES FS GS descriptors of the 32-bit runs: 0x30, 0x38, 0x40, 0x48 */

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* A flat 4 GiB read/write data segment with the given base (SDM Vol. 3A 3.4.5). */
static uint64_t data_desc(uint32_t base)
{
	return 0xffffull | (uint64_t)(base & 0xffffff) << 16 | 0x93ull << 40 | 0xcfull << 48 |
	       (uint64_t)(base >> 24) << 56;
}

/* 64-bit mode: FS and GS bases through their MSRs; 32-bit: the descriptors the thunk loads. */
void flat_segments(const struct plan *p)
{
	static const unsigned seg[4] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
	if (sizeof(ureg) == 8) {
		wrmsr(MSR_FS_BASE, p->segbase[SEG_FS]);
		wrmsr(MSR_GS_BASE, p->segbase[SEG_GS]);
		return;
	}
	for (int i = 0; i < 4; i++)
		*(volatile uint64_t *)(uintptr_t)(KEEL_GUEST_GDT + GDT_DATA_SEL + 8 * i) =
			data_desc((uint32_t)p->segbase[seg[i]]);
}
