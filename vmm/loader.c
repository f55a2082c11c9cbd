/* The boot structures Keel builds for a bare-metal guest and its CPU state at entry
 * (include/abi/guest_boot.h). */
#include <keel/loader.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <arch/vcpu.h>

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define GDT_TSS_SEL   0x20
#define GUEST_TSS     (KEEL_GUEST_GDT + 0x100)
#define PDE_2M_FLAGS  0xe3ull /* P | RW | A | D | PS: the guest's walker never needs to set A/D */

static void put64(u8 *ram, u64 gpa, u64 v) { memcpy(ram + gpa, &v, 8); }

/* Flat code/data descriptors and a 64-bit busy TSS (VM entry requires a usable TR:
 * SDM Vol. 3C 26.3.1.2; APM Vol. 2 15.5.1). */
static void loader_build_gdt(u8 *ram)
{
	put64(ram, KEEL_GUEST_GDT + 0x00, 0);
	put64(ram, KEEL_GUEST_GDT + KEEL_GUEST_SEL_CODE64, 0x00af9b000000ffffull);
	put64(ram, KEEL_GUEST_GDT + KEEL_GUEST_SEL_DATA, 0x00cf93000000ffffull);
	put64(ram, KEEL_GUEST_GDT + KEEL_GUEST_SEL_CODE32, 0x00cf9b000000ffffull);
	u64 b = GUEST_TSS;
	u64 lo = 0x67 | ((b & 0xffffff) << 16) | (0x8bull << 40) | ((b >> 24 & 0xff) << 56);
	put64(ram, KEEL_GUEST_GDT + GDT_TSS_SEL, lo);
	put64(ram, KEEL_GUEST_GDT + GDT_TSS_SEL + 8, b >> 32);
}

/* Identity map of 0–4 GiB: PML4 → one PDPT → four page directories of 2 MiB pages. */
static void loader_build_paging(u8 *ram)
{
	u64 pdpt = KEEL_GUEST_PML4 + 0x1000, pd = KEEL_GUEST_PML4 + 0x2000;
	put64(ram, KEEL_GUEST_PML4, pdpt | 0x23);
	for (u64 i = 0; i < 4; i++)
		put64(ram, pdpt + 8 * i, (pd + 0x1000 * i) | 0x23);
	for (u64 i = 0; i < 2048; i++)
		put64(ram, pd + 8 * i, (i << 21) | PDE_2M_FLAGS);
}

void loader_build_tables(u8 *ram, enum keel_entry_mode mode)
{
	loader_build_gdt(ram);
	if (mode == KEEL_ENTRY_LONG64)
		loader_build_paging(ram);
}

static struct emul_seg seg_flat(u16 sel, u32 attr)
{
	return (struct emul_seg){ .base = 0, .limit = 0xffffffff, .sel = sel, .attr = attr };
}

static void loader_system_segs(struct vcpu_sregs *s, bool real)
{
	s->tr = (struct emul_seg){ .base = real ? 0 : GUEST_TSS, .limit = 0x67,
				   .sel = real ? 0 : GDT_TSS_SEL, .attr = 0x8b };
	s->ldtr = (struct emul_seg){ .attr = SEG_ATTR_UNUSABLE | 0x82 };
	s->gdtr_base = real ? 0 : KEEL_GUEST_GDT;
	s->gdtr_limit = real ? 0xffff : GDT_TSS_SEL + 15;
	s->idtr_base = 0;
	s->idtr_limit = real ? 0x3ff : 0;
}

static void loader_real_state(u64 entry, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	u16 cs = (u16)(entry >> 4);
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = (struct emul_seg){ .limit = 0xffff, .attr = 0x93 };
	s->seg[SEG_CS] = (struct emul_seg){ .base = (u64)cs << 4, .limit = 0xffff, .sel = cs,
					    .attr = 0x9b };
	s->seg[SEG_SS] = (struct emul_seg){ .base = (KEEL_GUEST_STACK_TOP - 0x10000),
					    .limit = 0xffff,
					    .sel = (u16)((KEEL_GUEST_STACK_TOP - 0x10000) >> 4),
					    .attr = 0x93 };
	s->cr0 = CR0_ET | CR0_NE;
	r->rip = entry & 0xf;
	r->gpr[VCPU_RSP] = 0xfff0;
}

static void loader_prot_state(bool long64, u64 entry, struct vcpu_regs *r, struct vcpu_sregs *s)
{
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = seg_flat(KEEL_GUEST_SEL_DATA, 0xc093);
	if (long64) {
		s->seg[SEG_CS] = seg_flat(KEEL_GUEST_SEL_CODE64, 0xa09b);
		s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		s->cr3 = KEEL_GUEST_PML4;
		s->cr4 = CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
	} else {
		s->seg[SEG_CS] = seg_flat(KEEL_GUEST_SEL_CODE32, 0xc09b);
		s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	}
	r->rip = entry;
	r->gpr[VCPU_RSP] = KEEL_GUEST_STACK_TOP;
	r->gpr[VCPU_RDI] = KEEL_GUEST_START_INFO;
}

void loader_entry_state(enum keel_entry_mode mode, u64 entry, struct vcpu_regs *r,
			struct vcpu_sregs *s)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	r->rflags = 0x2;
	r->gpr[VCPU_RBX] = KEEL_GUEST_START_INFO;
	s->pat = 0x0007040600070406ull; /* the power-on PAT (SDM Vol. 3A 11.12.4) */
	s->xcr0 = 1;
	if (mode == KEEL_ENTRY_REAL)
		loader_real_state(entry, r, s);
	else
		loader_prot_state(mode == KEEL_ENTRY_LONG64, entry, r, s);
	loader_system_segs(s, mode == KEEL_ENTRY_REAL);
}

int loader_mode_parse(const char *str, enum keel_entry_mode *out)
{
	static const char *const names[] = { "long64", "prot32", "real" };
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(str, names[i])) {
			*out = (enum keel_entry_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}
