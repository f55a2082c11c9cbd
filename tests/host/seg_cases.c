/* Segment-check single cases with literal numbers (SDM Vol. 3A 3.4, 5.3, 5.4, 20.1) and
 * emul_mode_of() against a table of CR0/EFER/RFLAGS/CS states (SDM 2.2, 5.2.1). */
#include <stdio.h>
#include "seg_test.h"

#define A_DATA_RW   (0x3u | SEG_ATTR_S | SEG_ATTR_P)
#define A_DATA_RO   (0x1u | SEG_ATTR_S | SEG_ATTR_P)
#define A_DATA_ED   (0x7u | SEG_ATTR_S | SEG_ATTR_P)
#define A_CODE_XR   (0xbu | SEG_ATTR_S | SEG_ATTR_P)
#define A_CODE_X    (0x9u | SEG_ATTR_S | SEG_ATTR_P)

struct scase {
	const char *name;
	enum emul_mode mode;
	enum emul_segreg sr;
	struct emul_seg seg;
	uint64_t ea;
	uint32_t size;
	unsigned access;
	int vector;     /* 0: no fault */
	bool has_error;
	uint64_t la;
};

static const struct scase scases[] = {
	/* Real mode: base = selector << 4 (0x1234 -> 0x12340), 64-KiB limit. */
	{ "real/base", EMUL_MODE_REAL, SEG_DS, { 0x12340, 0xffff, 0x1234, A_DATA_RW }, 0xfffe, 2, 0,
	  0, false, 0x2233e },
	/* SDM Vol. 3A "Segment Wraparound": a word at 0xFFFF faults, #GP or #SS, no error code. */
	{ "real/wrap-gp", EMUL_MODE_REAL, SEG_DS, { 0x12340, 0xffff, 0x1234, A_DATA_RW }, 0xffff, 2,
	  0, 13, false, 0 },
	{ "real/wrap-ss", EMUL_MODE_REAL, SEG_SS, { 0x12340, 0xffff, 0x1234, A_DATA_RW }, 0xffff, 2,
	  WALK_WRITE, 12, false, 0 },
	/* Unreal mode: a 4-GiB limit cached from protected mode stays in force. */
	{ "real/unreal", EMUL_MODE_REAL, SEG_DS, { 0, 0xffffffff, 0, A_DATA_RW }, 0x200000, 4, 0, 0,
	  false, 0x200000 },
	/* No type checks in real mode: CS is writable. */
	{ "real/cs-write", EMUL_MODE_REAL, SEG_CS, { 0xf0000, 0xffff, 0xf000, A_CODE_XR }, 0x10, 4,
	  WALK_WRITE, 0, false, 0xf0010 },
	/* Linear addresses are 32 bits outside 64-bit mode. */
	{ "real/la-wrap", EMUL_MODE_REAL, SEG_ES, { 0xfffffff0, 0xffffffff, 0, A_DATA_RW }, 0x20, 1,
	  0, 0, false, 0x10 },
	/* Virtual-8086 mode: same limits, but faults push an error code (0). */
	{ "vm86/wrap-gp", EMUL_MODE_VM86, SEG_DS, { 0x12340, 0xffff, 0x1234, 0xf3 }, 0xffff, 2, 0, 13,
	  true, 0 },
	/* SDM 5.3: expand-down, B = 0: valid offsets limit+1 .. 0xFFFF. */
	{ "prot/expdown16-low-ok", EMUL_MODE_PROT16, SEG_DS, { 0x10000, 0xfff, 8, A_DATA_ED }, 0x1000,
	  2, 0, 0, true, 0x11000 },
	{ "prot/expdown16-at-limit", EMUL_MODE_PROT16, SEG_DS, { 0x10000, 0xfff, 8, A_DATA_ED },
	  0xfff, 1, 0, 13, true, 0 },
	{ "prot/expdown16-top-ok", EMUL_MODE_PROT16, SEG_DS, { 0x10000, 0xfff, 8, A_DATA_ED },
	  0xfffe, 2, WALK_WRITE, 0, true, 0x1fffe },
	{ "prot/expdown16-past-top", EMUL_MODE_PROT16, SEG_DS, { 0x10000, 0xfff, 8, A_DATA_ED },
	  0xffff, 2, 0, 13, true, 0 },
	{ "prot/expdown16-stack", EMUL_MODE_PROT16, SEG_SS, { 0x10000, 0xfff, 8, A_DATA_ED }, 0xffe,
	  2, WALK_WRITE, 12, true, 0 },
	/* B = 1: valid offsets limit+1 .. 0xFFFFFFFF. */
	{ "prot/expdown32-top-ok", EMUL_MODE_PROT32, SEG_SS,
	  { 0, 0xfff, 8, A_DATA_ED | SEG_ATTR_DB }, 0xfffffffc, 4, WALK_WRITE, 0, true, 0xfffffffc },
	{ "prot/expdown32-past-top", EMUL_MODE_PROT32, SEG_SS,
	  { 0, 0xfff, 8, A_DATA_ED | SEG_ATTR_DB }, 0xfffffffe, 4, 0, 12, true, 0 },
	/* SDM 5.3: a doubleword at an offset greater than limit-3 faults. */
	{ "prot/limit-dword-ok", EMUL_MODE_PROT32, SEG_ES, { 0x400000, 0xfffff, 8, A_DATA_RW },
	  0xffffc, 4, 0, 0, true, 0x4ffffc },
	{ "prot/limit-dword-over", EMUL_MODE_PROT32, SEG_ES, { 0x400000, 0xfffff, 8, A_DATA_RW },
	  0xffffd, 4, 0, 13, true, 0 },
	/* SDM 5.3: 4-GByte limit: running past 0xFFFFFFFF is implementation-specific; Keel wraps. */
	{ "prot/flat-wrap", EMUL_MODE_PROT32, SEG_DS, { 0, 0xffffffff, 8, A_DATA_RW }, 0xfffffffe, 4,
	  0, 0, true, 0xfffffffe },
	/* SDM 5.4.1: writes to code and read-only data, reads of execute-only code, fetches from
	 * data all raise #GP(0) (also through SS). */
	{ "prot/write-ro", EMUL_MODE_PROT32, SEG_DS, { 0, 0xffff, 8, A_DATA_RO }, 0, 1, WALK_WRITE,
	  13, true, 0 },
	{ "prot/write-ro-ss", EMUL_MODE_PROT32, SEG_SS, { 0, 0xffff, 8, A_DATA_RO }, 0, 1, WALK_WRITE,
	  13, true, 0 },
	{ "prot/write-code", EMUL_MODE_PROT32, SEG_CS, { 0, 0xffff, 8, A_CODE_XR }, 0, 1, WALK_WRITE,
	  13, true, 0 },
	{ "prot/read-xonly", EMUL_MODE_PROT32, SEG_CS, { 0, 0xffff, 8, A_CODE_X }, 0, 1, 0, 13, true,
	  0 },
	{ "prot/read-code", EMUL_MODE_PROT32, SEG_ES, { 0x1000, 0xffff, 8, A_CODE_XR }, 4, 4, 0, 0,
	  true, 0x1004 },
	{ "prot/fetch-xonly", EMUL_MODE_PROT32, SEG_CS, { 0x1000, 0xffff, 8, A_CODE_X }, 4, 4,
	  WALK_FETCH, 0, true, 0x1004 },
	{ "prot/fetch-data", EMUL_MODE_PROT32, SEG_CS, { 0, 0xffff, 8, A_DATA_RW }, 0, 1, WALK_FETCH,
	  13, true, 0 },
	{ "prot/fetch-past-limit", EMUL_MODE_PROT32, SEG_CS, { 0, 0xffff, 8, A_CODE_XR }, 0xfffe, 4,
	  WALK_FETCH, 13, true, 0 },
	/* Null (unusable) and not-present segments. */
	{ "prot/null-ds", EMUL_MODE_PROT32, SEG_DS, { 0, 0, 0, SEG_ATTR_UNUSABLE }, 0, 1, 0, 13, true,
	  0 },
	{ "prot/null-ss", EMUL_MODE_PROT32, SEG_SS, { 0, 0, 0, SEG_ATTR_UNUSABLE }, 0, 1, 0, 12, true,
	  0 },
	{ "prot/not-present", EMUL_MODE_PROT32, SEG_FS, { 0, 0xffff, 8, A_DATA_RW & ~SEG_ATTR_P }, 0,
	  1, 0, 13, true, 0 },
	{ "prot/system-type", EMUL_MODE_PROT32, SEG_GS, { 0, 0xffff, 8, 0x3u | SEG_ATTR_P }, 0, 1, 0,
	  13, true, 0 },
	/* SDM 3.4.4: compatibility mode ignores the upper 32 bits of the FS/GS base. */
	{ "compat/fs-base-high", EMUL_MODE_PROT32, SEG_FS,
	  { 0x100001000ull, 0xffffffff, 8, A_DATA_RW }, 0x10, 4, 0, 0, true, 0x1010 },
	/* 64-bit mode: CS/DS/ES/SS bases are 0, FS/GS bases apply; no limit or type checks. */
	{ "long/ds-base-ignored", EMUL_MODE_LONG64, SEG_DS, { 0x5000, 0, 0, A_DATA_RO }, 0x10, 8,
	  WALK_WRITE, 0, true, 0x10 },
	{ "long/fs-base", EMUL_MODE_LONG64, SEG_FS, { 0xffff800000000000ull, 0, 0, 0 }, 0x10, 8, 0, 0,
	  true, 0xffff800000000010ull },
	{ "long/gs-null-base", EMUL_MODE_LONG64, SEG_GS, { 0x7000, 0, 0, SEG_ATTR_UNUSABLE }, 0x10,
	  8, 0, 0, true, 0x7010 },
	{ "long/cs-write", EMUL_MODE_LONG64, SEG_CS, { 0, 0, 8, A_CODE_X | SEG_ATTR_L }, 0x1000, 8,
	  WALK_WRITE, 0, true, 0x1000 },
	/* SDM 3.3.7.1: non-canonical -> #GP(0), #SS(0) through SS; every byte counts. */
	{ "long/noncanonical", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0x0000800000000000ull, 1, SEG_LA48,
	  13, true, 0 },
	{ "long/noncanonical-ss", EMUL_MODE_LONG64, SEG_SS, { 0 }, 0xffff7ffffffffff8ull, 8,
	  WALK_WRITE | SEG_LA48, 12, true, 0 },
	{ "long/straddle", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0x00007ffffffffffeull, 4, SEG_LA48, 13,
	  true, 0 },
	{ "long/top-wrap", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0xfffffffffffffffeull, 4, SEG_LA48, 0,
	  true, 0xfffffffffffffffeull },
	{ "long/la57", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0x00fffffffffff000ull, 8, SEG_LA57, 0, true,
	  0x00fffffffffff000ull },
	{ "long/la48", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0x00fffffffffff000ull, 8, SEG_LA48, 13, true,
	  0 },
	/* Neither width given: 57 bits here, the walker checks its own paging mode. */
	{ "long/width-default", EMUL_MODE_LONG64, SEG_DS, { 0 }, 0x00fffffffffff000ull, 8, 0, 0,
	  true, 0x00fffffffffff000ull },
	{ "long/width-default-bad", EMUL_MODE_LONG64, SEG_SS, { 0 }, 0x0100000000000000ull, 8, 0, 12,
	  true, 0 },
};

static void seg_width(void)
{
	bool ok = emul_seg_width(0) == SEG_LA48 && emul_seg_width(1u << 12) == SEG_LA57 &&
		  emul_seg_width(~(uint64_t)(1u << 12)) == SEG_LA48;

	sverdict("seg/width-helper", ok, "CR4.LA57 picks SEG_LA57, else SEG_LA48");
}

static void seg_hand(void)
{
	for (size_t i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];
		struct emul_seg segs[SEG_COUNT] = { 0 };
		struct emul_fault f = { 0 };
		uint64_t la = 0;
		char name[80];
		bool ok;
		int r;

		segs[c->sr] = c->seg;
		r = emul_seg_linear(segs, c->mode, c->sr, c->ea, c->size, c->access, &la, &f);
		if (c->vector)
			ok = r == 1 && f.vector == c->vector && f.has_error == c->has_error &&
			     f.error == 0 && !f.has_cr2;
		else
			ok = r == 0 && la == c->la;
		snprintf(name, sizeof(name), "seg/hand/%s", c->name);
		sverdict(name, ok, "r %d vector %u error %s la %#llx", r, f.vector,
			 f.has_error ? "yes" : "no", (unsigned long long)la);
	}
}

#define PE  (1ull << 0)
#define LMA (1ull << 10)
#define VM  (1ull << 17)

/* SDM 2.2 and 5.2.1: CR0.PE, EFER.LMA, RFLAGS.VM and CS.L/CS.D decide the mode. */
static void seg_mode_of(void)
{
	static const struct {
		uint64_t cr0, efer, rflags;
		uint32_t cs_attr;
		enum emul_mode want;
	} v[] = {
		{ 0, 0, 0, 0, EMUL_MODE_REAL },
		{ 0, 0, VM, SEG_ATTR_DB, EMUL_MODE_REAL },
		{ PE, 0, VM, 0, EMUL_MODE_VM86 },
		{ PE, 0, 0, 0, EMUL_MODE_PROT16 },
		{ PE, 0, 0, SEG_ATTR_DB, EMUL_MODE_PROT32 },
		{ PE, 0, 0, SEG_ATTR_L, EMUL_MODE_PROT16 },
		{ PE, LMA, 0, SEG_ATTR_L, EMUL_MODE_LONG64 },
		{ PE, LMA, 0, SEG_ATTR_L | SEG_ATTR_DB, EMUL_MODE_LONG64 },
		{ PE, LMA, 0, SEG_ATTR_DB, EMUL_MODE_PROT32 },
		{ PE, LMA, 0, 0, EMUL_MODE_PROT16 },
		{ PE, LMA, VM, SEG_ATTR_DB, EMUL_MODE_PROT32 },
	};
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct emul_seg cs = { .attr = v[i].cs_attr | A_CODE_XR };
		enum emul_mode m = emul_mode_of(v[i].cr0 | (1ull << 31 & -(v[i].efer != 0)),
						v[i].efer, v[i].rflags | 2, &cs);

		if (m != v[i].want) {
			printf("  mode_of case %zu: got %d want %d\n", i, m, v[i].want);
			bad++;
		}
	}
	sverdict("seg/mode-of", !bad, "%u of %zu wrong", bad, sizeof(v) / sizeof(v[0]));
}

void seg_cases(void)
{
	seg_hand();
	seg_width();
	seg_mode_of();
}
