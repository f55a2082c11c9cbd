/* Segmentation: CPU mode, segment descriptor caches and effective → linear address checks
 * (emul/seg.c). Shared by the emulator, the instruction fetcher and the backends, which fill
 * struct emul_seg from the VMCS or VMCB. */
#ifndef EMUL_SEG_H
#define EMUL_SEG_H

#include <stdint.h>
#include "walk.h"

/* Segment register numbers in ModRM/override encoding order (SDM Vol. 2A 3.4.2). */
enum emul_segreg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* Attribute bits in the VMX access-rights layout (SDM Vol. 3C 24.4.1); the SVM backend
 * converts its packed 12-bit VMCB attributes into this form. */
#define SEG_ATTR_TYPE(a)   ((a) & 0xfu)
#define SEG_ATTR_S         (1u << 4)   /* code/data (not system) */
#define SEG_ATTR_DPL(a)    (((a) >> 5) & 3u)
#define SEG_ATTR_P         (1u << 7)
#define SEG_ATTR_AVL       (1u << 12)
#define SEG_ATTR_L         (1u << 13)
#define SEG_ATTR_DB        (1u << 14)
#define SEG_ATTR_G         (1u << 15)
#define SEG_ATTR_UNUSABLE  (1u << 16)

struct emul_seg {
	uint64_t base;
	uint32_t limit; /* byte-granular (already scaled by G) */
	uint16_t sel;
	uint32_t attr;
};

/* The CPU mode that decides default operand/address size and how segments apply. */
enum emul_mode {
	EMUL_MODE_REAL,   /* CR0.PE = 0 */
	EMUL_MODE_VM86,   /* RFLAGS.VM = 1 */
	EMUL_MODE_PROT16, /* protected or compatibility mode, CS.D = 0 */
	EMUL_MODE_PROT32, /* protected or compatibility mode, CS.D = 1 */
	EMUL_MODE_LONG64, /* EFER.LMA = 1 and CS.L = 1 */
};

/* Access kinds for emul_seg_linear: the WALK_* bits (WALK_WRITE, WALK_FETCH) plus the width
 * of 64-bit canonical checks, SEG_LA48 (CR4.LA57 = 0) or SEG_LA57 (emul_seg_width() picks).
 * With neither, 57 bits are checked here and emul_walk checks the paging mode's own width,
 * so a 4-level guest still faults, with #GP(0) even for an SS-relative access. emul_walk
 * ignores both bits: one access word can be passed to both functions. */
#define SEG_LA57 0x100u
#define SEG_LA48 0x200u

static inline unsigned emul_seg_width(uint64_t cr4)
{
	return (cr4 & (1u << 12)) ? SEG_LA57 : SEG_LA48; /* CR4.LA57 */
}

/* Turn segment `sr` + effective address `ea` (already truncated to the address size) for an
 * access of `size` bytes into a linear address: base added except for CS/DS/ES/SS in 64-bit mode,
 * limit, type and presence checks outside 64-bit mode, canonical checks in 64-bit mode.
 * Returns 0 with *la set or 1 with *fault set (#GP(0), or #SS(0) for SS-relative accesses).
 * Outside 64-bit mode *la is 32 bits and the access's later bytes wrap at 4 GiB. In real mode
 * the fault carries no error code (real-mode delivery pushes none). See docs/pagewalk.md. */
int emul_seg_linear(const struct emul_seg *segs, enum emul_mode mode, enum emul_segreg sr,
		    uint64_t ea, uint32_t size, unsigned access, uint64_t *la,
		    struct emul_fault *fault);

/* The mode from CR0, EFER, RFLAGS and the CS cache. */
enum emul_mode emul_mode_of(uint64_t cr0, uint64_t efer, uint64_t rflags, const struct emul_seg *cs);

#endif
