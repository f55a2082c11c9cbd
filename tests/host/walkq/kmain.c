/* Probe kernel for the QEMU page-walk differential test (i386, freestanding). Reads the cases
 * from the multiboot module, runs each access on the emulated CPU and reports, on COM1, the
 * exception it ended with and the paging-structure entries it changed. */
#include <stdint.h>
#include "walkq.h"

struct wq_run {
	uint32_t cr0, cr3, cr4, efer, pkru, pkrs, la_lo, la_hi, op, cpl, eflags;
};

void kmain(uint32_t magic, const uint32_t *mbi);
void wq_run_legacy(struct wq_run *r);
void wq_run_long(struct wq_run *r);

extern uint64_t gdt[];
extern uint64_t idt32[], idt64[];
extern const uint32_t isr32_table[], isr64_table[];
extern char stub_start[], stub_end[], exc_stack_top[];
extern volatile uint32_t res_vector, res_error, res_rip;
extern volatile uint64_t res_cr2;

static uint8_t tss32[104] __attribute__((aligned(16)));
static uint8_t tss64[104] __attribute__((aligned(16)));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void puthex(uint64_t v)
{
	int started = 0;

	for (int sh = 60; sh >= 0; sh -= 4) {
		unsigned d = (unsigned)(v >> sh) & 0xf;

		if (d || started || sh == 0) {
			putc_((char)(d < 10 ? '0' + d : 'a' + d - 10));
			started = 1;
		}
	}
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static void mset(void *p, uint8_t v, uint32_t n)
{
	for (uint8_t *b = p; n--; b++)
		*b = v;
}

static void blob_wr(void *ctx, uint32_t off, uint64_t v, unsigned size)
{
	uint8_t *p = (uint8_t *)(uintptr_t)(WQ_BLOB_GPA + off);

	(void)ctx;
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t blob_rd(uint32_t off, unsigned size)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)(WQ_BLOB_GPA + off);
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t tss_desc(void *base, unsigned type)
{
	uint32_t b = (uint32_t)(uintptr_t)base;

	return 103u | (uint64_t)(b & 0xffffff) << 16 | (uint64_t)(0x80 | type) << 40 |
	       (uint64_t)(b >> 24) << 56;
}

static void tables_init(void)
{
	uint32_t esp0 = (uint32_t)(uintptr_t)exc_stack_top;

	*(uint32_t *)(tss32 + 4) = esp0;
	*(uint32_t *)(tss32 + 8) = 0x10;
	*(uint16_t *)(tss32 + 102) = 104;
	*(uint64_t *)(tss64 + 4) = esp0;
	*(uint16_t *)(tss64 + 102) = 104;
	gdt[7] = tss_desc(tss32, 9);
	gdt[8] = tss_desc(tss64, 9);
	gdt[9] = 0;
	for (unsigned i = 0; i < 33; i++) {
		unsigned v = i < 32 ? i : 0x80;
		unsigned dpl = (v == 3 || v == 0x80) ? 3 : 0;
		uint32_t h32 = isr32_table[i], h64 = isr64_table[i];

		idt32[v] = (h32 & 0xffff) | 0x08u << 16 | (uint64_t)(0x8e | dpl << 5) << 40 |
			   (uint64_t)(h32 >> 16) << 48;
		idt64[2 * v] = (h64 & 0xffff) | 0x18u << 16 | (uint64_t)(0x8e | dpl << 5) << 40 |
			       (uint64_t)(h64 >> 16) << 48;
		idt64[2 * v + 1] = 0;
	}
	__asm__ volatile("ltr %w0" : : "r"(0x38));
	__asm__ volatile("lidt idt32_desc");
}

/* CPUID features the cases may need, as WQF_* bits, and MAXPHYADDR. */
static uint32_t features(uint32_t *maxphy)
{
	uint32_t r[4], f = WQF_WP | WQF_PSE | WQF_AC;

	cpuid(7, 0, r);
	f |= (r[1] & (1u << 7)) ? WQF_SMEP : 0;
	f |= (r[1] & (1u << 20)) ? WQF_SMAP : 0;
	f |= (r[2] & (1u << 3)) ? WQF_PKE : 0;
	f |= (r[2] & (1u << 31)) ? WQF_PKS : 0;
	f |= (r[2] & (1u << 16)) ? 0x1000u : 0; /* LA57 */
	cpuid(0x80000001, 0, r);
	f |= (r[3] & (1u << 20)) ? WQF_NXE : 0;
	f |= (r[3] & (1u << 26)) ? 0x2000u : 0; /* 1-GByte pages */
	cpuid(0x80000008, 0, r);
	*maxphy = r[0] & 0xff;
	return f;
}

static void report_case(const struct wq_case *c, uint32_t idx);

/* Lays out the case's tables, runs the access in its paging mode, reports. */
static void run_case(const struct wq_case *c, uint32_t idx)
{
	struct wq_run r = { 0 };

	mset((void *)(uintptr_t)WQ_BLOB_GPA, 0, WQ_BLOB_SIZE);
	wq_fixed(c->mode, blob_wr, 0);
	for (uint32_t i = 0; i < c->nent && i < WQ_MAX_ENT; i++)
		blob_wr(0, c->ent[i].off, c->ent[i].val, c->ent[i].size);
	r.cr0 = 0x80000000u | ((c->flags & WQF_WP) ? 0x10000u : 0);
	r.cr3 = (uint32_t)c->cr3;
	r.cr4 = ((c->flags & WQF_PSE) ? 1u << 4 : 0) | ((c->flags & WQF_SMEP) ? 1u << 20 : 0) |
		((c->flags & WQF_SMAP) ? 1u << 21 : 0) | ((c->flags & WQF_PKE) ? 1u << 22 : 0) |
		((c->flags & WQF_PKS) ? 1u << 24 : 0) | (c->mode != WQ_32 ? 1u << 5 : 0) |
		(c->mode == WQ_L5 ? 1u << 12 : 0);
	r.efer = ((c->flags & WQF_NXE) ? 0x800u : 0) | (c->mode >= WQ_L4 ? 0x100u : 0);
	r.pkru = c->pkru;
	r.pkrs = c->pkrs;
	r.la_lo = (uint32_t)c->la;
	r.la_hi = (uint32_t)(c->la >> 32);
	r.op = c->op;
	r.cpl = c->cpl;
	r.eflags = 0x2u | ((c->flags & WQF_AC) ? 1u << 18 : 0);
	res_vector = 0xffffffffu;
	if (c->mode >= WQ_L4)
		wq_run_long(&r);
	else
		wq_run_legacy(&r);
	report_case(c, idx);
}

/* "R idx vector error cr2 [off=value ...]": the exception and the entries that changed. */
static void report_case(const struct wq_case *c, uint32_t idx)
{
	puts_("R ");
	puthex(idx);
	puts_(" ");
	puthex(res_vector);
	puts_(" ");
	puthex(res_error);
	puts_(" ");
	puthex(res_cr2);
	for (uint32_t i = 0; i < c->nent && i < WQ_MAX_ENT; i++) {
		uint64_t now = blob_rd(c->ent[i].off, c->ent[i].size);
		uint64_t was = c->ent[i].size == 4 ? (uint32_t)c->ent[i].val : c->ent[i].val;

		if (now != was) {
			puts_(" ");
			puthex(c->ent[i].off);
			puts_("=");
			puthex(now);
		}
	}
	puts_("\n");
}

void kmain(uint32_t magic, const uint32_t *mbi)
{
	const struct wq_head *h;
	const struct wq_case *cases;
	uint32_t maxphy = 0, feat = features(&maxphy);

	outb(0x3f9, 0);
	outb(0x3fb, 0x80);
	outb(0x3f8, 1);
	outb(0x3f9, 0);
	outb(0x3fb, 0x03);
	outb(0x3fc, 0x03);
	puts_("F ");
	puthex(maxphy);
	puts_(" ");
	puthex(feat);
	puts_("\n");
	if (magic != 0x2BADB002 || !(mbi[0] & 8) || mbi[5] == 0) {
		puts_("X no module\n");
		outb(0xf4, 1);
	}
	h = (const struct wq_head *)(uintptr_t)((const uint32_t *)(uintptr_t)mbi[6])[0];
	cases = (const struct wq_case *)(h + 1);
	if (h->magic != WQ_MAGIC) {
		puts_("X bad module\n");
		outb(0xf4, 1);
	}
	tables_init();
	for (char *p = stub_start, *q = (char *)WQ_STUB_LA; p < stub_end; p++, q++)
		*q = *p;
	mset((void *)(uintptr_t)WQ_FILL_GPA, 0xcc, WQ_FILL_END - WQ_FILL_GPA);
	for (uint32_t i = 0; i < h->ncases; i++) {
		uint32_t need = cases[i].flags & ~feat;

		if ((cases[i].mode == WQ_L5 && !(feat & 0x1000u)) || need) {
			puts_("S ");
			puthex(i);
			puts_("\n");
			continue;
		}
		run_case(&cases[i], i);
	}
	puts_("E\n");
	outb(0xf4, 0);
}
