/* The segment engine (real mode and 16-bit protected mode, paging off): run A gives the window
 * role's segments the device's base, run B win_ram's; scratch and stack roles point at RAM in
 * both. The descriptors live in Keel's guest GDT page after its own entries. */
#include "suite.h"

#define GDT ((volatile uint64_t *)(uintptr_t)KEEL_GUEST_GDT)
#define SEL_CODE16 0x50
#define SEL_DATA16 0x58
#define SEL_SEG(i) (0x60 + 8 * (i)) /* the test's ES CS SS DS FS GS */

int seg_exec(const struct ctx *in, struct ctx *out, unsigned real, unsigned vec);
extern char seg_back[], seg_exc_stubs[];
extern uint16_t seg_sel[6];
extern uint32_t exc_vector, exc_error, exc_ip;

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

/* 16-bit interrupt gates to the thunk's stubs (SDM Vol. 3A 6.11), for the 16-bit protected-mode
 * runs; real mode takes the IVT at 0. */
static uint64_t idt16[32] __attribute__((aligned(8)));
static struct dtr idt_pm16, idt_real = { 0x3ff, 0 }, idt_saved;
static volatile uintptr_t ivt_at; /* the real-mode IVT: linear 0 */

/* A 16-bit (B = 0) segment: read/write data or execute/read code, 64 KiB (SDM Vol. 3A 3.4.5). */
static uint64_t desc16(uint32_t base, bool code)
{
	return 0xffffull | (uint64_t)(base & 0xffffff) << 16 | (code ? 0x9bull : 0x93ull) << 40 |
	       (uint64_t)(base >> 24) << 56;
}

/* Keel's GDT page has room after its entries (guest_boot.h); the limit grows to cover ours. */
void seg_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} gdtr = { 0xff, KEEL_GUEST_GDT };
	GDT[SEL_CODE16 / 8] = desc16(SC_LOW_BASE, true);
	GDT[SEL_DATA16 / 8] = desc16(SC_LOW_BASE, false);
	for (int i = 0; i < 6; i++)
		seg_sel[i] = (uint16_t)SEL_SEG(i);
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	volatile uint32_t *ivt = (volatile uint32_t *)ivt_at;
	for (uint32_t v = 0; v < 32; v++) {
		uint32_t off = (uint32_t)(uintptr_t)seg_exc_stubs - SC_LOW_BASE + 8 * v;
		idt16[v] = (off & 0xffff) | (uint64_t)SEL_CODE16 << 16 | 0x86ull << 40;
		ivt[v] = SC_LOW_BASE << 12 | off; /* segment:offset */
	}
	idt_pm16 = (struct dtr){ sizeof(idt16) - 1, (uint32_t)(uintptr_t)idt16 };
	__asm__ volatile("sidt %0" : "=m"(idt_saved));
}

static uint32_t role_base(unsigned role, int which)
{
	switch (role) {
	case ROLE_WIN: return which ? (uint32_t)(uintptr_t)win_ram : SC_TA;
	case ROLE_SCR: return (uint32_t)(uintptr_t)scr_ram;
	default: return (uint32_t)(uintptr_t)stk_ram;
	}
}

/* The slot: the instruction, then JMP rel16 back to the thunk. */
static void slot_write(const uint8_t *code, unsigned len)
{
	uint8_t *s = (uint8_t *)(uintptr_t)(SC_LOW_BASE + SC_LOW_SLOT);
	uint16_t rel = (uint16_t)((uintptr_t)seg_back - SC_LOW_BASE - (SC_LOW_SLOT + len + 3));
	memcpy(s, code, len);
	s[len] = 0xe9;
	memcpy(s + len + 1, &rel, 2);
}

void seg_run(const struct engine *e, const struct plan *p, int which, const uint8_t *code,
	     unsigned len, struct ctx *out, struct xres *x)
{
	for (int i = 0; i < 6; i++)
		if (i != SEG_CS)
			GDT[SEL_SEG(i) / 8] = desc16(role_base(p->segrole[i], which), false);
	slot_write(code, len);
	*x = (struct xres){ 0 };
	__asm__ volatile("lidt %0" : : "m"(e->mode == MODE_REAL ? idt_real : idt_pm16));
	int exc = seg_exec(&p->in, out, e->mode == MODE_REAL, p->vec);
	__asm__ volatile("lidt %0" : : "m"(idt_saved));
	if (exc)
		*x = (struct xres){ .exc = true, .vector = (uint8_t)exc_vector, .error = exc_error,
				    .rip = exc_ip };
}
