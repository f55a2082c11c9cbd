/* Self-test helpers shared by the mode scripts: exit-field checks, the base sequence every
 * mode runs, and the segment state of each mode. */
#include <keel/string.h>
#include "selftest.h"

#define GPAT_DEFAULT 0x0007040600070406ull

u64 st_gpr(struct st *t, unsigned r) { return t->v->regs.gpr[r]; }
u32 st_gpr32(struct st *t, unsigned r) { return (u32)t->v->regs.gpr[r]; }

void st_inject(struct st *t, u8 type, u8 vector, bool has_error, u32 error)
{
	struct vevent e = { .type = type, .vector = vector, .has_error = has_error, .error = error };
	t->ops->vcpu_inject(t->v, &e);
}

int st_io_is(struct st *t, u16 port, u8 size, bool in, bool string, bool rep)
{
	const struct vexit *x = &t->v->exit;

	if (x->io.port != port || x->io.size != size || x->io.in != in || x->io.string != string ||
	    x->io.rep != rep)
		return st_fail(t, "io port %#x size %u in %d str %d rep %d, expected %#x %u %d %d %d",
			       x->io.port, x->io.size, x->io.in, x->io.string, x->io.rep, port, size,
			       in, string, rep);
	return 0;
}

int st_npf_is(struct st *t, u64 gpa, bool write, bool fetch, bool present)
{
	const struct vexit *x = &t->v->exit;

	if (x->npf.gpa != gpa || x->npf.write != write || x->npf.fetch != fetch ||
	    x->npf.present != present)
		return st_fail(t, "npf gpa %#llx w %d x %d p %d, expected %#llx %d %d %d",
			       (unsigned long long)x->npf.gpa, x->npf.write, x->npf.fetch,
			       x->npf.present, (unsigned long long)gpa, write, fetch, present);
	return 0;
}

int st_exc_is(struct st *t, u8 vector, bool has_error, u32 error, u64 info)
{
	const struct vexit *x = &t->v->exit;

	if (x->exc.vector != vector || x->exc.has_error != has_error || x->exc.error != error ||
	    x->exc.info != info)
		return st_fail(t, "exception %u err %d/%#x info %#llx, expected %u %d/%#x %#llx",
			       x->exc.vector, x->exc.has_error, x->exc.error,
			       (unsigned long long)x->exc.info, vector, has_error, error,
			       (unsigned long long)info);
	return 0;
}

/* The base sequence every mode runs: cpuid, out, in, rep outsb, MMIO read and write, hlt,
 * then a sum of the GPRs the host set at the hlt. */
int st_chk_cpuid(struct st *t, const struct step *s)
{
	(void)s;
	return st_gpr(t, VCPU_RAX) ? st_fail(t, "rax %#llx, expected 0", (unsigned long long)st_gpr(t, VCPU_RAX)) : 0;
}

void st_act_cpuid(struct st *t, const struct step *s)
{
	st_set_gpr(t, VCPU_RAX, 0x11223344);
	st_skip_insn(t, s);
}

int st_chk_out(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x80, 4, false, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != 0x11223344 ? st_fail(t, "eax %#x: the RAX written back at the cpuid exit did not reach the guest", st_gpr32(t, VCPU_RAX)) : 0;
}

int st_chk_in(struct st *t, const struct step *s)
{
	(void)s;
	return st_io_is(t, 0x70, 1, true, false, false);
}

int st_chk_outs(struct st *t, const struct step *s)
{
	(void)s;
	if (st_io_is(t, 0x80, 1, false, true, true))
		return -1;
	if (st_gpr32(t, VCPU_RCX) != 3 || st_gpr32(t, VCPU_RSI) != ST_DATA)
		return st_fail(t, "ecx %#x esi %#x, expected 3 and %#llx", st_gpr32(t, VCPU_RCX),
			       st_gpr32(t, VCPU_RSI), ST_DATA);
	return 0;
}

void st_act_outs(struct st *t, const struct step *s)
{
	st_set_gpr(t, VCPU_RCX, 0);
	st_set_gpr(t, VCPU_RSI, ST_DATA + 3);
	st_skip_insn(t, s);
}

int st_chk_npf_read(struct st *t, const struct step *s)
{
	(void)s;
	return st_npf_is(t, t->m->npf_gpa, false, false, false);
}

void st_act_npf_read(struct st *t, const struct step *s)
{
	st_set_gpr(t, VCPU_RAX, 0xcafef00d);
	st_skip_insn(t, s);
}

int st_chk_npf_write(struct st *t, const struct step *s)
{
	(void)s;
	if (st_npf_is(t, t->m->npf_gpa + 0x10, true, false, false))
		return -1;
	return st_gpr32(t, VCPU_RAX) != 0xcafef00d ? st_fail(t, "eax %#x, expected 0xcafef00d", st_gpr32(t, VCPU_RAX)) : 0;
}

void st_act_hlt(struct st *t, const struct step *s)
{
	static const u8 regs[] = { VCPU_RBX, VCPU_RCX, VCPU_RDX, VCPU_RSI, VCPU_RDI, VCPU_RBP,
				   8, 9, 10, 11, 12, 13, 14, 15 };
	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++)
		st_set_gpr(t, regs[i], i + 1);
	st_skip_insn(t, s);
}

int st_chk_sum(struct st *t, const struct step *s)
{
	(void)s;
	if (st_gpr32(t, VCPU_RAX) != t->m->gpr_sum)
		return st_fail(t, "guest summed %u, expected %u", st_gpr32(t, VCPU_RAX), t->m->gpr_sum);
	if (st_gpr(t, VCPU_RSP) != t->m->sp)
		return st_fail(t, "rsp %#llx, expected %#llx", (unsigned long long)st_gpr(t, VCPU_RSP),
			       (unsigned long long)t->m->sp);
	return 0;
}

static void seg(struct emul_seg *sg, u16 sel, u64 base, u32 limit, u32 attr)
{
	*sg = (struct emul_seg){ .base = base, .limit = limit, .sel = sel, .attr = attr };
}

static void sregs_common(struct vcpu_sregs *s)
{
	memset(s, 0, sizeof(*s));
	seg(&s->tr, 0, 0, 0x67, 0x8b);
	seg(&s->ldtr, 0, 0, 0, SEG_ATTR_UNUSABLE);
	s->pat = GPAT_DEFAULT;
	s->xcr0 = 1;
}

void st_sregs_real(struct vcpu_sregs *s)
{
	sregs_common(s);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg(&s->seg[i], 0, 0, 0xffff, 0x93);
	seg(&s->seg[SEG_CS], ST_CODE >> 4, ST_CODE, 0xffff, 0x9b);
	s->idtr_limit = 0x3ff;
	s->gdtr_limit = 0xffff;
	s->cr0 = 0x10;
}

void st_sregs_prot32(struct vcpu_sregs *s)
{
	sregs_common(s);
	for (unsigned i = 0; i < SEG_COUNT; i++)
		seg(&s->seg[i], 0x10, 0, 0xffffffff, 0xc093);
	seg(&s->seg[SEG_CS], 0x08, 0, 0xffffffff, 0xc09b);
	s->gdtr_base = ST_GDT;
	s->gdtr_limit = 0x27;
	s->idtr_base = ST_IDT;
	s->idtr_limit = 0x7ff;
	s->cr0 = 0x11;
}

void st_sregs_long64(struct vcpu_sregs *s)
{
	st_sregs_prot32(s);
	seg(&s->seg[SEG_CS], 0x18, 0, 0xffffffff, 0xa09b);
	s->seg[SEG_FS].base = ST_GUEST_FS;
	s->seg[SEG_GS].base = 0x777000;
	s->idtr_limit = 0xfff;
	s->cr0 = 0x80000011;
	s->cr3 = ST_PML4;
	s->cr4 = 0x20;
	s->efer = BIT(8) | BIT(10);
}

void st_start(struct st *t, void (*fill)(struct vcpu_sregs *))
{
	struct vcpu_sregs s;

	fill(&s);
	t->ops->vcpu_set_sregs(t->v, &s);
	vcpu_set_rip(t->v, t->m->rip_base);
	st_set_gpr(t, VCPU_RSP, t->m->sp);
	t->v->regs.rflags = 2;
	t->v->dirty |= VCPU_DIRTY_RFLAGS;
}

