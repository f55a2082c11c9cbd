/* TEMPORARY scaffolding until the boot branch lands on main (page allocator, GDT/TSS, boot
 * information, power-off). Everything here is to be deleted then; nothing else in the VMX
 * backend depends on it except vmx_page_alloc(). */
#include <keel/console.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <arch/io.h>
#include "vmx.h"
#include "scaffold.h"

#define POOL_PAGES 64

static u8 pool[POOL_PAGES][PAGE_SIZE] __aligned(PAGE_SIZE);
static unsigned pool_next;

void *vmx_page_alloc(void)
{
	unsigned i = __atomic_fetch_add(&pool_next, 1, __ATOMIC_RELAXED);
	if (i >= POOL_PAGES)
		return NULL;
	memset(pool[i], 0, PAGE_SIZE);
	return pool[i];
}

/* The command line from multiboot2 tag 1 or multiboot1 (flags bit 2, offset 16). */
const char *scaffold_cmdline(u32 magic, u32 info)
{
	if (magic == 0x2badb002) {
		const u32 *mbi = (const u32 *)(uintptr_t)info;
		return (mbi[0] & BIT(2)) ? (const char *)(uintptr_t)mbi[4] : "";
	}
	if (magic != 0x36d76289)
		return "";
	u32 total = *(const u32 *)(uintptr_t)info;
	for (u32 off = 8; off + 8 <= total && total < (1u << 20);) {
		const u32 *tag = (const u32 *)(uintptr_t)(info + off);
		if (tag[0] == 0 || tag[1] < 8)
			break;
		if (tag[0] == 1)
			return (const char *)&tag[2];
		off += (tag[1] + 7) & ~7u;
	}
	return "";
}

bool scaffold_has_word(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = cmdline; *p;) {
		if (!strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return true;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* VM entry needs a host TR (SDM Vol. 3C 26.2.3); the skeleton's GDT has no TSS. */
static u64 gdt[6] __aligned(16);
static u8 tss[104] __aligned(16);

void scaffold_host_tables(void)
{
	u16 tr;
	__asm__ volatile("str %0" : "=r"(tr));
	if (tr)
		return;
	u64 base = (u64)(uintptr_t)tss;
	gdt[1] = 0x00af9a000000ffffull;
	gdt[2] = 0x00cf92000000ffffull;
	gdt[3] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | 0x89ull << 40 | ((base >> 24) & 0xff) << 56;
	gdt[4] = base >> 32;
	struct vmx_dtr d = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0; ltr %w1" : : "m"(d), "r"(0x18) : "memory");
}

/* No host interrupt handlers exist yet: keep the legacy PIC quiet. */
void scaffold_mask_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* Bochs' shutdown port (platform.md §3), used only by the self-test in test mode. */
void scaffold_poweroff(void)
{
	console_flush();
	for (const char *s = "Shutdown"; *s; s++)
		outb(0x8900, (u8)*s);
}

/* A host IDT with two handlers that count and return, so the self-test can check that host
 * interrupts taken on VM exit reach the host's handlers; and a local-APIC self-IPI. */
#define LAPIC 0xfee00000ul

volatile u32 scaffold_irq_count, scaffold_nmi_count;
void scaffold_irq_entry(void);
void scaffold_nmi_entry(void);
__asm__(".text\n"
	"scaffold_irq_entry:\n"
	"	lock incl scaffold_irq_count(%rip)\n"
	"	push %rax\n"
	"	mov $0xfee000b0, %eax\n" /* EOI */
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"scaffold_nmi_entry:\n"
	"	lock incl scaffold_nmi_count(%rip)\n"
	"	iretq\n");

static u64 idt[256][2] __aligned(16);

static void scaffold_gate(u8 vector, void (*fn)(void))
{
	u64 a = (u64)(uintptr_t)fn;
	idt[vector][0] = (a & 0xffff) | 0x08ull << 16 | 0x8eull << 40 | ((a >> 16) & 0xffff) << 48;
	idt[vector][1] = a >> 32;
}

void scaffold_host_idt(u8 irq_vector)
{
	scaffold_gate(2, scaffold_nmi_entry);
	scaffold_gate(irq_vector, scaffold_irq_entry);
	struct vmx_dtr d = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d) : "memory");
}

static volatile u32 *lapic(u32 reg) { return (volatile u32 *)(uintptr_t)(LAPIC + reg); }

/* A fixed self-IPI (SDM Vol. 3A 10.6.1), left pending while the host runs with IF = 0. */
void scaffold_self_ipi(u8 vector)
{
	*lapic(0xf0) |= 0x100; /* software-enable the local APIC */
	*lapic(0x300) = 1u << 18 | vector;
	for (unsigned spin = 0; (*lapic(0x300) & BIT(12)) && spin < 100000; spin++)
		cpu_relax();
}
