/* Case format shared by the QEMU page-walk differential test: the host generator/checker
 * (tests/host/walk_qemu.c, x86-64) and the bare-metal probe kernel it boots under QEMU
 * (tests/host/walkq/, i386 + x86-64 code). Fixed-width fields only; offsets asserted. */
#ifndef TESTS_HOST_WALKQ_H
#define TESTS_HOST_WALKQ_H

#include <stdint.h>

#define WQ_MAGIC       0x31305157u /* "WQ01" */
#define WQ_BLOB_GPA    0x00800000u /* paging structures of the case */
#define WQ_BLOB_SIZE   0x00010000u
#define WQ_FILL_GPA    0x00810000u /* filled with 0xCC (INT3; a not-present entry) */
#define WQ_FILL_END    0x01000000u
#define WQ_SCRATCH_GPA 0x00C00000u /* where tested linear addresses lead */
#define WQ_STUB_LA     0x00400000u /* user copy of the access stub (identity mapped, U/S = 1) */
#define WQ_TEST_PAGE0  5u          /* blob pages 5.. hold the tested path's tables */
#define WQ_MAX_ENT     32u

enum wq_mode { WQ_32, WQ_PAE, WQ_L4, WQ_L5 };
enum wq_op { WQ_READ, WQ_WRITE, WQ_FETCH };

/* Case flags: the control bits of the access. */
#define WQF_WP   0x001u
#define WQF_PSE  0x002u
#define WQF_SMEP 0x004u
#define WQF_SMAP 0x008u
#define WQF_PKE  0x010u
#define WQF_PKS  0x020u
#define WQF_NXE  0x040u
#define WQF_AC   0x080u

/* One paging-structure entry written into the zeroed blob before the access. */
struct wq_entry {
	uint32_t off;  /* offset in the blob */
	uint32_t size; /* 4 or 8 */
	uint64_t val;
};

struct wq_case {
	uint32_t mode, cpl, op, flags;
	uint32_t pkru, pkrs, nent, pad;
	uint64_t la, cr3;
	struct wq_entry ent[WQ_MAX_ENT];
};

struct wq_head {
	uint32_t magic, ncases;
};

_Static_assert(sizeof(struct wq_entry) == 16, "wq_entry layout");
_Static_assert(__builtin_offsetof(struct wq_case, la) == 32, "wq_case layout");
_Static_assert(sizeof(struct wq_case) == 48 + 16 * WQ_MAX_ENT, "wq_case layout");

/* The part of the tables that keeps the probe kernel alive: identity map of 0..4 MiB
 * (supervisor) and the user stub page at 4 MiB, through top-level entry 0. Blob pages 0..4. */
static inline void wq_fixed(uint32_t mode, void (*wr)(void *ctx, uint32_t off, uint64_t v,
						     unsigned size), void *ctx)
{
	const uint64_t P = 1, RW = 2, US = 4, PS = 0x80, pg = 0x1000;

	if (mode == WQ_32) {
		wr(ctx, 0, (WQ_BLOB_GPA + 1 * pg) | P | RW, 4);
		wr(ctx, 4, (WQ_BLOB_GPA + 2 * pg) | P | RW | US, 4);
		for (uint32_t i = 0; i < 1024; i++)
			wr(ctx, (uint32_t)(1 * pg + 4 * i), (uint64_t)i << 12 | P | RW, 4);
		wr(ctx, 2 * pg, WQ_STUB_LA | P | US, 4);
		return;
	}
	wr(ctx, 1 * pg + 0, 0x000000 | P | RW | PS, 8);
	wr(ctx, 1 * pg + 8, 0x200000 | P | RW | PS, 8);
	wr(ctx, 1 * pg + 16, WQ_STUB_LA | P | US | PS, 8);
	if (mode == WQ_PAE) {
		wr(ctx, 0, (WQ_BLOB_GPA + 1 * pg) | P, 8);
		return;
	}
	wr(ctx, 2 * pg, (WQ_BLOB_GPA + 1 * pg) | P | RW | US, 8);
	if (mode == WQ_L4) {
		wr(ctx, 0, (WQ_BLOB_GPA + 2 * pg) | P | RW | US, 8);
		return;
	}
	wr(ctx, 3 * pg, (WQ_BLOB_GPA + 2 * pg) | P | RW | US, 8);
	wr(ctx, 0, (WQ_BLOB_GPA + 3 * pg) | P | RW | US, 8);
}

#endif
