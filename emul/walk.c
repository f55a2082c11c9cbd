/* Guest page walker: 32-bit, PAE, 4-level and 5-level paging (SDM Vol. 3A ch. 4).
 * Reads paging structures only through struct emul_mem; every loop is bounded. */
#include "walk.h"

#define CR0_WP    (1ull << 16)
#define CR0_PG    (1ull << 31)
#define CR4_PSE   (1ull << 4)
#define CR4_PAE   (1ull << 5)
#define CR4_LA57  (1ull << 12)
#define CR4_SMEP  (1ull << 20)
#define CR4_SMAP  (1ull << 21)
#define CR4_PKE   (1ull << 22)
#define CR4_PKS   (1ull << 24)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define RFLAGS_AC (1ull << 18)

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

#define VEC_GP 13
#define VEC_PF 14

/* Restarts after a lost A/D cmpxchg race before giving up with -WALK_EAGAIN. */
#define WALK_MAX_RESTARTS 8
#define WALK_RESTART 2

enum walk_kind { WALK_K32, WALK_KPAE, WALK_K4, WALK_K5 };

#define LV_PS_PAGE 0x1u /* PS = 1 maps a page at this level */
#define LV_PS_PSE  0x2u /* PS = 1 maps a page only with CR4.PSE (32-bit PDE) */
#define LV_PS_RSVD 0x4u /* PS is reserved (PML4E, PML5E) */
#define LV_PDPTE   0x8u /* PAE PDPTE: no R/W, U/S, XD or A bits; may come from the CPU's cache */

struct walk_level {
	uint8_t shift; /* lowest linear-address bit that indexes this table */
	uint8_t bits;  /* index width */
	uint8_t flags;
};

struct walk_mode {
	uint8_t nlevels;
	uint8_t esize;
	struct walk_level lv[5];
};

/* SDM Vol. 3A 4.3, 4.4.2, 4.5.4: how each mode splits a linear address. */
static const struct walk_mode walk_modes[] = {
	[WALK_K32] = { 2, 4, { { 22, 10, LV_PS_PSE }, { 12, 10, 0 } } },
	[WALK_KPAE] = { 3, 8, { { 30, 2, LV_PDPTE }, { 21, 9, LV_PS_PAGE }, { 12, 9, 0 } } },
	[WALK_K4] = { 4, 8, { { 39, 9, LV_PS_RSVD }, { 30, 9, LV_PS_PAGE }, { 21, 9, LV_PS_PAGE },
			      { 12, 9, 0 } } },
	[WALK_K5] = { 5, 8, { { 48, 9, LV_PS_RSVD }, { 39, 9, LV_PS_RSVD }, { 30, 9, LV_PS_PAGE },
			      { 21, 9, LV_PS_PAGE }, { 12, 9, 0 } } },
};

struct walk {
	const struct walk_ctl *ctl;
	const struct emul_mem *mem;
	const struct walk_mode *mode;
	enum walk_kind kind;
	uint64_t la;
	unsigned m; /* MAXPHYADDR */
	uint64_t rsvd; /* reserved bits of every entry of a PAE or 4/5-level table (walk_rsvd) */
	bool nxe, write, fetch, user, implicit;
	/* Filled by one pass over the tables. */
	bool us, rw, xd; /* U/S and R/W set at every level, XD set at some level */
	uint64_t leaf, leaf_gpa;
	unsigned leaf_shift;
};

/* Bits hi..lo set (hi <= 63); none if hi < lo. */
static inline uint64_t walk_bits(unsigned hi, unsigned lo)
{
	return hi < lo ? 0 : (~0ull >> (63 - hi)) & (~0ull << lo);
}

static int walk_pf(const struct walk *w, uint32_t why, struct emul_fault *f)
{
	uint32_t ec = why;

	if (w->write)
		ec |= WALK_PF_W;
	if (w->user)
		ec |= WALK_PF_U;
	/* SDM 4.7: I/D is reported only with CR4.SMEP = 1, or CR4.PAE = 1 and EFER.NXE = 1. */
	if (w->fetch && ((w->ctl->cr4 & CR4_SMEP) || w->nxe))
		ec |= WALK_PF_I;
	*f = (struct emul_fault){ .vector = VEC_PF, .has_error = true, .error = ec,
				  .has_cr2 = true, .cr2 = w->la };
	return 1;
}

static int walk_gp0(struct emul_fault *f)
{
	*f = (struct emul_fault){ .vector = VEC_GP, .has_error = true };
	return 1;
}

/* Reserved bits of an entry; `large` if it maps a page above the last level (the entry-format
 * tables of SDM Vol. 3A 4.3 for 32-bit, 4.4.2 for PAE and 4.5.4 for 4-/5-level paging). */
static inline uint64_t walk_rsvd(const struct walk *w, enum walk_kind kind,
				 const struct walk_level *lv, bool large)
{
	unsigned m40 = w->m < 40 ? w->m : 40;
	uint64_t r = w->rsvd;

	if (kind == WALK_K32)
		return large ? walk_bits(21, m40 - 19) : 0;
	if (lv->flags & LV_PDPTE)
		return walk_bits(63, w->m) | walk_bits(8, 5) | walk_bits(2, 1);
	if (lv->flags & LV_PS_RSVD)
		r |= PTE_PS;
	return large ? r | walk_bits(lv->shift - 1, 13) : r;
}

/* The part of walk_rsvd common to every PAE and 4/5-level entry: physical-address bits at or
 * above MAXPHYADDR (up to 51, or 62 in PAE), XD without EFER.NXE. */
static uint64_t walk_rsvd_base(const struct walk *w)
{
	uint64_t xd = w->nxe ? 0 : PTE_XD;

	return walk_bits(w->kind == WALK_KPAE ? 62 : 51, w->m) | xd;
}

/* Physical address an entry points to: a table, or the base of the page it maps. */
static inline uint64_t walk_next(enum walk_kind kind, uint64_t e, unsigned page_shift)
{
	if (kind != WALK_K32)
		return e & walk_bits(51, page_shift);
	if (page_shift == 22) /* PSE-36: PDE bits 20:13 hold physical-address bits 39:32 */
		return (e & 0xffc00000u) | (((e >> 13) & 0xffu) << 32);
	return e & 0xfffff000u;
}

static inline uint64_t walk_root(const struct walk *w, enum walk_kind kind)
{
	uint64_t cr3 = w->ctl->cr3;

	switch (kind) {
	case WALK_K32:
		return cr3 & 0xfffff000u;
	case WALK_KPAE:
		return cr3 & 0xffffffe0u;
	default:
		return cr3 & walk_bits(w->m - 1, 12);
	}
}

/* An entry of 4 or 8 bytes, little-endian as x86 stores it. */
static inline int walk_read(const struct walk *w, const struct walk_level *lv, unsigned esize,
			    uint64_t gpa, uint64_t *e)
{
	uint64_t v = 0;

	if ((lv->flags & LV_PDPTE) && w->ctl->pdpte_valid) {
		*e = w->ctl->pdpte[(w->la >> 30) & 3];
		return 0;
	}
	if (w->mem->read(w->mem->ctx, gpa, &v, esize) != 0)
		return -WALK_EFAULT;
	*e = v;
	return 0;
}

/* SDM 4.8: the A/D update is a locked read-modify-write; a changed entry means walk again. */
static int walk_set(const struct walk *w, uint64_t gpa, uint64_t old, uint64_t new)
{
	int r = w->mem->cmpxchg(w->mem->ctx, gpa, old, new, w->mode->esize);

	if (r < 0)
		return -WALK_EFAULT;
	return r ? WALK_RESTART : 0;
}

static bool walk_is_page(const struct walk *w, const struct walk_level *lv, uint64_t e)
{
	if (!(e & PTE_PS))
		return false;
	if (lv->flags & LV_PS_PAGE)
		return true;
	return (lv->flags & LV_PS_PSE) && (w->ctl->cr4 & CR4_PSE);
}

/* SDM 4.6.2: protection keys govern data accesses in 4-/5-level paging only; PKRU for
 * user-mode addresses, IA32_PKRS for supervisor-mode ones. */
static bool walk_pkey_denies(const struct walk *w)
{
	uint64_t cr4 = w->ctl->cr4;
	bool wp = w->ctl->cr0 & CR0_WP;
	unsigned key = (w->leaf >> 59) & 0xfu;
	uint32_t rights;
	bool wd_applies;

	if (w->kind < WALK_K4 || w->fetch)
		return false;
	if (w->us) {
		if (!(cr4 & CR4_PKE))
			return false;
		rights = w->ctl->pkru;
		wd_applies = w->user || wp;
	} else {
		if (!(cr4 & CR4_PKS))
			return false;
		rights = w->ctl->pkrs;
		wd_applies = wp;
	}
	if ((rights >> (2 * key)) & 1u)
		return true;
	return w->write && wd_applies && ((rights >> (2 * key + 1)) & 1u);
}

/* SDM 4.6.1: access rights from the combined U/S, R/W and XD bits; 0 if allowed, else the
 * #PF error-code bits that describe the violation. */
static uint32_t walk_rights(const struct walk *w)
{
	uint64_t cr4 = w->ctl->cr4;
	bool smap, deny;

	if (w->fetch) {
		if (w->user)
			deny = !w->us || w->xd;
		else
			deny = w->xd || (w->us && (cr4 & CR4_SMEP));
		return deny ? WALK_PF_P : 0;
	}
	if (w->user) {
		deny = !w->us || (w->write && !w->rw);
	} else {
		smap = (cr4 & CR4_SMAP) && !((w->ctl->rflags & RFLAGS_AC) && !w->implicit);
		deny = (w->us && smap) || (w->write && !w->rw && (w->ctl->cr0 & CR0_WP));
	}
	if (walk_pkey_denies(w))
		return WALK_PF_P | WALK_PF_PK;
	return deny ? WALK_PF_P : 0;
}

/* Descend from CR3 to the leaf, setting A on the tables used (SDM 4.8). One copy per paging
 * mode (`kind` a constant), so that each level's shifts and checks fold. */
static inline __attribute__((always_inline)) int
walk_tables_k(struct walk *w, uint64_t *gpa, struct emul_fault *f, enum walk_kind kind)
{
	const struct walk_mode *md = &walk_modes[kind];
	uint64_t base = walk_root(w, kind), e = 0, egpa;
	int r;

	w->us = w->rw = true;
	w->xd = false;
#pragma GCC unroll 5
	for (unsigned i = 0; i < md->nlevels; i++) {
		const struct walk_level *lv = &md->lv[i];
		bool last = i + 1 == md->nlevels, large;

		egpa = base + ((w->la >> lv->shift) & ((1ull << lv->bits) - 1)) * md->esize;
		r = walk_read(w, lv, md->esize, egpa, &e);
		if (r < 0) {
			*gpa = egpa;
			return r;
		}
		if (!(e & PTE_P))
			return walk_pf(w, 0, f);
		large = !last && walk_is_page(w, lv, e);
		if (e & walk_rsvd(w, kind, lv, large))
			return walk_pf(w, WALK_PF_P | WALK_PF_RSVD, f);
		if (!(lv->flags & LV_PDPTE)) {
			w->us &= !!(e & PTE_US);
			w->rw &= !!(e & PTE_RW);
			w->xd |= w->nxe && (e & PTE_XD);
		}
		if (large || last) {
			w->leaf = e;
			w->leaf_gpa = egpa;
			w->leaf_shift = lv->shift;
			return 0;
		}
		if (!(lv->flags & LV_PDPTE) && !(e & PTE_A)) {
			r = walk_set(w, egpa, e, e | PTE_A);
			if (r) {
				*gpa = egpa;
				return r;
			}
		}
		base = walk_next(kind, e, 12);
	}
	return -WALK_EFAULT; /* not reached: the last level always maps a page */
}

static int walk_tables(struct walk *w, uint64_t *gpa, struct emul_fault *f)
{
	switch (w->kind) {
	case WALK_K32:
		return walk_tables_k(w, gpa, f, WALK_K32);
	case WALK_KPAE:
		return walk_tables_k(w, gpa, f, WALK_KPAE);
	case WALK_K4:
		return walk_tables_k(w, gpa, f, WALK_K4);
	default:
		return walk_tables_k(w, gpa, f, WALK_K5);
	}
}

static int walk_once(struct walk *w, uint64_t *gpa, struct emul_fault *f)
{
	uint64_t want, size;
	uint32_t why;
	int r = walk_tables(w, gpa, f);

	if (r)
		return r;
	why = walk_rights(w);
	if (why)
		return walk_pf(w, why, f);
	want = PTE_A | (w->write ? PTE_D : 0);
	if ((w->leaf & want) != want) {
		r = walk_set(w, w->leaf_gpa, w->leaf, w->leaf | want);
		if (r) {
			*gpa = w->leaf_gpa;
			return r;
		}
	}
	size = 1ull << w->leaf_shift;
	*gpa = (walk_next(w->kind, w->leaf, w->leaf_shift) & ~(size - 1)) | (w->la & (size - 1));
	return 0;
}

static enum walk_kind walk_kind_of(const struct walk_ctl *ctl)
{
	if (ctl->efer & EFER_LMA)
		return (ctl->cr4 & CR4_LA57) ? WALK_K5 : WALK_K4;
	return (ctl->cr4 & CR4_PAE) ? WALK_KPAE : WALK_K32;
}

static bool walk_canonical(uint64_t la, unsigned width)
{
	uint64_t top = la >> (width - 1);

	return top == 0 || top == (~0ull >> (width - 1));
}

static void walk_init(struct walk *w, const struct walk_ctl *ctl, const struct emul_mem *mem,
		      uint64_t la, unsigned access)
{
	unsigned m = ctl->maxphyaddr ? ctl->maxphyaddr : 52;

	w->ctl = ctl;
	w->mem = mem;
	w->kind = walk_kind_of(ctl);
	w->mode = &walk_modes[w->kind];
	w->la = w->kind >= WALK_K4 ? la : (la & 0xffffffffu);
	w->m = m < 32 ? 32 : m > 52 ? 52 : m;
	w->nxe = w->kind != WALK_K32 && (ctl->efer & EFER_NXE);
	w->rsvd = walk_rsvd_base(w);
	w->fetch = access & WALK_FETCH;
	w->write = (access & WALK_WRITE) && !w->fetch;
	w->implicit = (access & WALK_IMPLICIT) && !w->fetch;
	w->user = ctl->cpl == 3 && !w->implicit;
}

/* 4-level paging, a data access without protection keys, in one pass: the translation when
 * the address is canonical, every entry is present with no reserved bit set and its A bit
 * (and for a write the leaf's D bit) already set, and the rights allow the access (0), or
 * -WALK_EFAULT for an entry outside guest RAM; 1 with nothing done when the full walk must
 * decide (a fault, an A/D update, anything else). */
static inline int walk_fast4(const struct walk_ctl *ctl, const struct emul_mem *mem,
			     uint64_t la, bool write, uint64_t *gpa)
{
	unsigned m = ctl->maxphyaddr ? ctl->maxphyaddr : 52, shift = 39;
	uint64_t rsvd, base, e = 0, rights = PTE_US | PTE_RW;

	m = m < 32 ? 32 : m > 52 ? 52 : m;
	rsvd = walk_bits(51, m) | ((ctl->efer & EFER_NXE) ? 0 : PTE_XD);
	base = ctl->cr3 & walk_bits(m - 1, 12);
	if (!walk_canonical(la, 48))
		return 1;
	for (;;) {
		uint64_t egpa = base + ((la >> shift) & 511) * 8;
		if (mem->read(mem->ctx, egpa, &e, 8)) {
			*gpa = egpa; /* what the full walk, which gets this far too, reports */
			return -WALK_EFAULT;
		}
		if ((e & (PTE_P | PTE_A)) != (PTE_P | PTE_A) || (e & rsvd))
			return 1;
		rights &= e;
		if (shift == 12)
			break;
		if (e & PTE_PS) {
			/* SDM 4.5.4: PS is reserved in a PML4E; a large page's bits 12+ below its size */
			if (shift == 39 || (e & walk_bits(shift - 1, 13)))
				return 1;
			break;
		}
		base = e & walk_bits(51, 12);
		shift -= 9;
	}
	if (write && !(e & PTE_D))
		return 1;
	/* SDM 4.6.1, as walk_rights for a data access that is not implicit */
	if (ctl->cpl == 3 ? !(rights & PTE_US) || (write && !(rights & PTE_RW)) :
	    ((rights & PTE_US) && (ctl->cr4 & CR4_SMAP) && !(ctl->rflags & RFLAGS_AC)) ||
	    (write && !(rights & PTE_RW) && (ctl->cr0 & CR0_WP)))
		return 1;
	*gpa = (e & walk_bits(51, shift)) | (la & ((1ull << shift) - 1));
	return 0;
}

int emul_walk(const struct walk_ctl *ctl, const struct emul_mem *mem, uint64_t la,
	      unsigned access, uint64_t *gpa, struct emul_fault *fault)
{
	struct walk w;
	int r = WALK_RESTART;

	if (!(ctl->cr0 & CR0_PG)) {
		/* Without paging linear addresses are 32 bits wide (long mode requires paging). */
		*gpa = la & 0xffffffffu;
		return 0;
	}
	if ((ctl->efer & EFER_LMA) && !(ctl->cr4 & (CR4_LA57 | CR4_PKE | CR4_PKS)) &&
	    !(access & (WALK_FETCH | WALK_IMPLICIT))) {
		r = walk_fast4(ctl, mem, la, access & WALK_WRITE, gpa);
		if (r <= 0)
			return r;
		r = WALK_RESTART;
	}
	walk_init(&w, ctl, mem, la, access);
	/* SDM 4.5: the linear-address bits above 47 (56 with LA57) must copy bit 47 (56). */
	if (w.kind >= WALK_K4 && !walk_canonical(la, w.kind == WALK_K5 ? 57 : 48))
		return walk_gp0(fault);
	for (unsigned i = 0; i < WALK_MAX_RESTARTS && r == WALK_RESTART; i++)
		r = walk_once(&w, gpa, fault);
	return r == WALK_RESTART ? -WALK_EAGAIN : r;
}
