/* Segmentation: CPU mode and effective → linear address checks (SDM Vol. 3A 3.4, 5.3, 5.4). */
#include "seg.h"

#define CR0_PE      (1ull << 0)
#define EFER_LMA    (1ull << 10)
#define RFLAGS_VM   (1ull << 17)

#define TYPE_CODE   0x8u /* code (1) or data (0) */
#define TYPE_EXPDN  0x4u /* data: expand-down */
#define TYPE_RW     0x2u /* data: writable; code: readable */

#define VEC_SS 12
#define VEC_GP 13

#define LIMIT_4G 0xffffffffu

static int seg_fault(struct emul_fault *f, uint8_t vector, bool has_error)
{
	*f = (struct emul_fault){ .vector = vector, .has_error = has_error };
	return 1;
}

/* Limit and canonical violations through SS raise #SS(0), others #GP(0). */
static uint8_t seg_vector(enum emul_segreg sr)
{
	return sr == SEG_SS ? VEC_SS : VEC_GP;
}

static bool seg_canonical(uint64_t la, unsigned width)
{
	uint64_t top = la >> (width - 1);

	return top == 0 || top == (~0ull >> (width - 1));
}

/* SDM 3.4.4, 5.3.1: in 64-bit mode only FS/GS bases apply, no limit or type checks; every byte
 * must be canonical (the access may wrap past 2^64 into the canonical low half). */
static int seg_long(const struct emul_seg *s, enum emul_segreg sr, uint64_t ea, uint32_t size,
		    unsigned access, uint64_t *la, struct emul_fault *f)
{
	unsigned width = (access & SEG_LA48) && !(access & SEG_LA57) ? 48 : 57;
	uint64_t lin = ea + ((sr == SEG_FS || sr == SEG_GS) ? s->base : 0);

	if (!seg_canonical(lin, width) || !seg_canonical(lin + size - 1, width))
		return seg_fault(f, seg_vector(sr), true);
	*la = lin;
	return 0;
}

/* SDM 5.3: every byte at an offset within the limit; for expand-down data segments within
 * (limit, 0xFFFF or 0xFFFFFFFF per the B flag]. With a 4-GByte limit the SDM leaves an access
 * running past 0xFFFFFFFF implementation-specific: Keel lets it wrap. */
static bool seg_within(uint32_t attr, uint32_t limit, bool expand_down, uint64_t ea, uint32_t size)
{
	uint64_t last = ea + size - 1;
	uint64_t upper = (attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;

	if (expand_down)
		return ea > limit && last <= upper;
	return limit == LIMIT_4G || last <= limit;
}

/* SDM 5.4.1: what a data or code segment register allows. */
static bool seg_type_allows(uint32_t type, unsigned access)
{
	if (access & WALK_FETCH)
		return type & TYPE_CODE;
	if (access & WALK_WRITE)
		return !(type & TYPE_CODE) && (type & TYPE_RW);
	return !(type & TYPE_CODE) || (type & TYPE_RW);
}

static int seg_protected(const struct emul_seg *s, enum emul_segreg sr, uint64_t ea,
			 uint32_t size, unsigned access, uint64_t *la, struct emul_fault *f)
{
	uint32_t type = SEG_ATTR_TYPE(s->attr);
	bool expand_down = !(type & TYPE_CODE) && (type & TYPE_EXPDN);

	if ((s->attr & SEG_ATTR_UNUSABLE) || !(s->attr & SEG_ATTR_P))
		return seg_fault(f, seg_vector(sr), true);
	if (!(s->attr & SEG_ATTR_S) || !seg_type_allows(type, access))
		return seg_fault(f, VEC_GP, true);
	if (!seg_within(s->attr, s->limit, expand_down, ea, size))
		return seg_fault(f, seg_vector(sr), true);
	*la = (s->base + ea) & 0xffffffffu;
	return 0;
}

/* Real and virtual-8086 mode: the cached base and limit (unreal mode keeps a larger one), no
 * type checks (CS is writable in real mode). Real mode pushes no error code. */
static int seg_real(const struct emul_seg *s, enum emul_mode mode, enum emul_segreg sr,
		    uint64_t ea, uint32_t size, uint64_t *la, struct emul_fault *f)
{
	if (!seg_within(0, s->limit, false, ea, size))
		return seg_fault(f, seg_vector(sr), mode == EMUL_MODE_VM86);
	*la = (s->base + ea) & 0xffffffffu;
	return 0;
}

int emul_seg_linear(const struct emul_seg *segs, enum emul_mode mode, enum emul_segreg sr,
		    uint64_t ea, uint32_t size, unsigned access, uint64_t *la,
		    struct emul_fault *fault)
{
	const struct emul_seg *s;

	if ((unsigned)sr >= SEG_COUNT)
		return seg_fault(fault, VEC_GP, mode != EMUL_MODE_REAL);
	s = &segs[sr];
	if (size == 0)
		size = 1;
	switch (mode) {
	case EMUL_MODE_LONG64:
		return seg_long(s, sr, ea, size, access, la, fault);
	case EMUL_MODE_REAL:
	case EMUL_MODE_VM86:
		return seg_real(s, mode, sr, ea, size, la, fault);
	default:
		return seg_protected(s, sr, ea, size, access, la, fault);
	}
}

enum emul_mode emul_mode_of(uint64_t cr0, uint64_t efer, uint64_t rflags, const struct emul_seg *cs)
{
	if (!(cr0 & CR0_PE))
		return EMUL_MODE_REAL;
	/* SDM 2.2: IA-32e mode has no virtual-8086 mode; CS.L selects 64-bit or compatibility. */
	if (efer & EFER_LMA) {
		if (cs->attr & SEG_ATTR_L)
			return EMUL_MODE_LONG64;
	} else if (rflags & RFLAGS_VM) {
		return EMUL_MODE_VM86;
	}
	return (cs->attr & SEG_ATTR_DB) ? EMUL_MODE_PROT32 : EMUL_MODE_PROT16;
}
