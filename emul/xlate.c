/* Address translation of memory operands: segment checks, alignment, the page walk (or the
 * exit's own translation) and classification, all before any access is made. */
#include "emul_internal.h"

static int emul_walk_one(struct emul *e, uint64_t la, unsigned access, uint64_t *gpa)
{
	const struct emul_exit *x = e->exit;
	struct walk_ctl ctl;
	int ret;

	if (x && x->la_valid && (x->la >> 12) == (la >> 12) && (x->write || !(access & WALK_WRITE)) &&
	    !(access & WALK_FETCH)) {
		*gpa = (x->gpa & ~0xfffull) | (la & 0xfff);
		return 0;
	}
	emul_walk_ctl(e->regs, &ctl);
	ret = emul_walk(&ctl, &e->env->mem, la, access, gpa, &e->fault);
	if (ret > 0)
		return EMUL_FAULT;
	if (ret == -WALK_EAGAIN) /* an entry kept changing under the A/D update */
		return EMUL_RETRY;
	return ret < 0 ? EMUL_BAD_TABLES : 0;
}

/* Segment checks, alignment, page walk and classification of one memory operand, before any
 * access is made (so a fault never follows a device access of the same instruction). */
int emul_translate(struct emul *e, struct emul_memop *m, enum emul_segreg sr, uint64_t ea,
		   uint32_t size, unsigned how)
{
	unsigned access = ((how & TR_WRITE) ? WALK_WRITE : 0) | emul_seg_width(e->regs->cr4);
	uint64_t la, la2;
	int r;

	if (emul_seg_linear(e->regs->seg, (enum emul_mode)e->in.mode, sr, ea, size, access, &la,
			    &e->fault))
		return EMUL_FAULT;
	/* SDM Vol. 2A MOVDQA/MOVAPS: a misaligned operand is #GP(0), before any page fault */
	if ((how & TR_ALIGN) && (la & (size - 1)))
		return emul_set_fault(e, 13, true, 0);
	m->la = la;
	m->size = size;
	m->len0 = (uint16_t)size;
	m->seg = (uint8_t)sr;
	m->read = (how & TR_READ) != 0;
	m->write = (how & TR_WRITE) != 0;
	m->dev[1] = false;
	r = emul_walk_one(e, la, access, &m->gpa[0]);
	if (r)
		return r;
	if ((la & 0xfff) + size > 0x1000) {
		m->len0 = (uint16_t)(0x1000 - (la & 0xfff));
		la2 = (la | 0xfff) + 1;
		if (!(e->regs->efer & (1u << 10)))
			la2 &= 0xffffffffu; /* linear addresses are 32-bit outside IA-32e mode */
		r = emul_walk_one(e, la2, access, &m->gpa[1]);
		if (r)
			return r;
		m->dev[1] = e->env->classify(e->env->ctx, m->gpa[1], size - m->len0) != EMUL_GPA_RAM;
	}
	m->dev[0] = e->env->classify(e->env->ctx, m->gpa[0], m->len0) != EMUL_GPA_RAM;
	return 0;
}
