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
