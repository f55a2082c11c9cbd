/* Per-CPU GDT, TSS and GS base. Each CPU has its own GDT so its TSS descriptor can be loaded
 * (LTR marks the descriptor busy: SDM Vol. 3A 7.2.2). */
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/trap.h>
#include <keel/string.h>

struct percpu percpu_area[KEEL_MAX_CPUS];
static unsigned percpu_used = 1;

extern char boot_stack[], boot_stack_top[];
static u8 bsp_ist[NR_IST][IST_PAGES * PAGE_SIZE] __aligned(4096);

unsigned percpu_count(void) { return percpu_used; }
struct percpu *percpu_get(unsigned i) { return i < percpu_used ? &percpu_area[i] : NULL; }

struct percpu *this_cpu_or_null(void)
{
	u64 gs = rdmsr(MSR_GS_BASE);
	u64 lo = (u64)&percpu_area[0], hi = (u64)&percpu_area[KEEL_MAX_CPUS];
	if (gs < lo || gs >= hi || (gs - lo) % sizeof(struct percpu))
		return NULL;
	return (struct percpu *)gs;
}

struct percpu *percpu_claim(u32 apic_id)
{
	if (percpu_used == KEEL_MAX_CPUS)
		return NULL;
	struct percpu *c = &percpu_area[percpu_used];
	memset(c, 0, sizeof(*c));
	c->self = c;
	c->index = percpu_used++;
	c->apic_id = apic_id;
	return c;
}

/* A 16-byte available 64-bit TSS descriptor (SDM Vol. 3A 7.2.3). */
static void gdt_set_tss(u64 *gdt, u64 base, u32 limit)
{
	gdt[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 | (u64)((limit >> 16) & 0xf) << 48 |
		 ((base >> 24) & 0xff) << 56;
	gdt[1] = base >> 32;
}

void cpu_tables_load(struct percpu *c)
{
	struct {
		u16 limit;
		u64 base;
	} __packed gdtr = { sizeof(c->gdt) - 1, (u64)c->gdt };

	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffULL; /* 64-bit code */
	c->gdt[2] = 0x00cf92000000ffffULL; /* data */
	for (int i = 0; i < NR_IST; i++)
		c->tss.ist[i] = c->ist_top[i];
	c->tss.iomap_base = sizeof(c->tss);
	gdt_set_tss(&c->gdt[3], (u64)&c->tss, sizeof(c->tss) - 1);
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmov %2, %%eax\n\t"
			 "mov %%eax, %%ds\n\t"
			 "mov %%eax, %%es\n\t"
			 "mov %%eax, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%eax, %%fs\n\t"
			 "mov %%eax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(SEL_CODE), "i"(SEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");
	wrmsr(MSR_GS_BASE, (u64)c);
	idt_load();
}

void cpu_bsp_early(void)
{
	struct percpu *c = &percpu_area[0];
	c->self = c;
	c->stack_base = (u64)boot_stack;
	c->stack_top = (u64)boot_stack_top;
	for (int i = 0; i < NR_IST; i++) {
		c->ist_base[i] = (u64)bsp_ist[i];
		c->ist_top[i] = (u64)bsp_ist[i] + sizeof(bsp_ist[i]);
	}
	cpu_state_init();
	idt_init();
	cpu_tables_load(c);
	c->started = 1;
}
