/* The IDT: one interrupt gate per vector, all pointing at the 16-byte stubs of trap_entry.S.
 * #DF, NMI and #MC run on their own IST stacks so they work even on a broken stack
 * (SDM Vol. 3A 6.14.5). */
#include <arch/percpu.h>
#include <arch/trap.h>

struct idt_gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, reserved;
} __packed;

extern char trap_stubs[];
static struct idt_gate idt[256] __aligned(16);

static unsigned idt_ist(unsigned v)
{
	switch (v) {
	case 8: return IST_DF;
	case 2: return IST_NMI;
	case 18: return IST_MC;
	default: return 0;
	}
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		u64 a = (u64)trap_stubs + 16 * v;
		idt[v] = (struct idt_gate){ (u16)a, SEL_CODE, (u8)idt_ist(v), 0x8e, (u16)(a >> 16), (u32)(a >> 32), 0 };
	}
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed idtr = { sizeof(idt) - 1, (u64)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
