/* Temporary stand-in for emul/walk.c and emul/seg.c until the walker lands on main: paging off
 * (linear = guest-physical), flat segments (base added, no limit checks), 64-bit canonical
 * check. Host tests only. */
#include "emul/seg.h"
#include "emul/walk.h"

int emul_walk(const struct walk_ctl *ctl, const struct emul_mem *mem, uint64_t la,
	      unsigned access, uint64_t *gpa, struct emul_fault *fault)
{
	(void)ctl;
	(void)mem;
	(void)access;
	(void)fault;
	*gpa = la;
	return 0;
}

int emul_seg_linear(const struct emul_seg *segs, enum emul_mode mode, enum emul_segreg sr,
		    uint64_t ea, uint32_t size, unsigned access, uint64_t *la,
		    struct emul_fault *fault)
{
	(void)size;
	(void)access;
	if (mode == EMUL_MODE_LONG64) {
		*la = ea + (sr >= SEG_FS ? segs[sr].base : 0);
		if ((uint64_t)(((int64_t)(*la << 16) >> 16)) != *la) {
			*fault = (struct emul_fault){ .vector = sr == SEG_SS ? 12 : 13,
						      .has_error = true };
			return 1;
		}
		return 0;
	}
	*la = (segs[sr].base + ea) & 0xffffffffu;
	return 0;
}

enum emul_mode emul_mode_of(uint64_t cr0, uint64_t efer, uint64_t rflags, const struct emul_seg *cs)
{
	if (!(cr0 & 1))
		return EMUL_MODE_REAL;
	if (rflags & (1u << 17))
		return EMUL_MODE_VM86;
	if ((efer & (1u << 10)) && (cs->attr & SEG_ATTR_L))
		return EMUL_MODE_LONG64;
	return (cs->attr & SEG_ATTR_DB) ? EMUL_MODE_PROT32 : EMUL_MODE_PROT16;
}
