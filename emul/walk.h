/* Guest linear → guest-physical translation and segment checks (emul/walk.c, emul/seg.c).
 * Pure library: reads guest page tables only through struct emul_mem, which refuses any address
 * outside guest RAM. Shared by the instruction fetcher, the emulator and the core's exit code. */
#ifndef EMUL_WALK_H
#define EMUL_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* Guest RAM accessor supplied by the caller (the core, or a host test's fake memory).
 * Every function returns 0, or -1 when any byte lies outside guest RAM (nothing is done then). */
struct emul_mem {
	void *ctx;
	int (*read)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, uint32_t len);
	/* Atomic compare-exchange of a 4- or 8-byte page-table entry (A/D bit updates):
	 * returns 0 and stores `new` if the entry equals `old`, 1 if it differed, -1 outside RAM. */
	int (*cmpxchg)(void *ctx, uint64_t gpa, uint64_t old, uint64_t new, uint32_t size);
};

/* The guest control state a walk depends on. */
struct walk_ctl {
	uint64_t cr0, cr3, cr4, efer, rflags;
	unsigned cpl;
};

/* Access kinds for emul_walk (bit flags). */
#define WALK_WRITE    0x1u /* data write */
#define WALK_FETCH    0x2u /* instruction fetch */
#define WALK_IMPLICIT 0x4u /* implicit supervisor access (descriptor tables): SMAP ignores AC */

/* A fault to inject into the guest. */
struct emul_fault {
	uint8_t vector;     /* 14 = #PF, 13 = #GP, 12 = #SS, 6 = #UD ... */
	bool has_error;
	uint32_t error;
	bool has_cr2;
	uint64_t cr2;
};

/* Translate linear address `la` for an access of kind `access`. Returns 0 with *gpa set,
 * 1 with *fault set (the fault the CPU would raise), or a negative errno-style value when a
 * paging structure lies outside guest RAM (see walk.c for what the core injects then). */
int emul_walk(const struct walk_ctl *ctl, const struct emul_mem *mem, uint64_t la,
	      unsigned access, uint64_t *gpa, struct emul_fault *fault);

#endif
