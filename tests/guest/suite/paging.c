/* The paged engine's tables: an identity map of 0-4 GiB in large pages, and 4 KiB entries for the
 * 2 MiB (32-bit paging: 4 MiB) region that holds the code slot, the stack, the scratch pages and
 * the window (suite/cases.h). Root 0 maps the window to the device, root 1 to win_ram. */
#include "paging.h"
#include "suite/suite.h"

#define PAGE 0x1000u
#define REGION_64 0xfea00000u /* the 2 MiB region of the test pages (4-level, 5-level, PAE) */
#define REGION_32 0xfe800000u /* the 4 MiB region (32-bit paging) */

uint8_t code_ram[0x2000] __attribute__((aligned(4096)));

static uint64_t pml5[2][512] __attribute__((aligned(4096)));
static uint64_t pml4[2][512] __attribute__((aligned(4096)));
static uint64_t pdpt[2][512] __attribute__((aligned(4096)));
static uint64_t pd_low[3][512] __attribute__((aligned(4096)));
static uint64_t pd_top[2][512] __attribute__((aligned(4096)));
static uint64_t pt[2][512] __attribute__((aligned(4096)));
static uint32_t pd32[2][1024] __attribute__((aligned(4096)));
static uint32_t pt32[2][1024] __attribute__((aligned(4096)));
static uint64_t pae_pdpt[2][4] __attribute__((aligned(32)));
static uint64_t pd_alias[512] __attribute__((aligned(4096)));
static enum pgmode mode;

static uintptr_t phys(const void *p) { return (uintptr_t)p; }

enum pgmode pg_mode(void) { return mode; }

uintptr_t pg_cr3(int r)
{
	switch (mode) {
	case PG_5L: return phys(pml5[r]);
	case PG_4L: return phys(pml4[r]);
	case PG_PAE: return phys(pae_pdpt[r]);
	default: return phys(pd32[r]);
	}
}

/* What a test-region page maps to in root r (0 = not present). */
static uint64_t region_target(int r, uint32_t lin)
{
	if (lin >= SC_SLOT && lin < SC_SLOT + sizeof(code_ram))
		return phys(code_ram) + (lin - SC_SLOT);
	if (lin >= SC_STK && lin < SC_STK + sizeof(stk_ram))
		return phys(stk_ram) + (lin - SC_STK);
	if (lin >= SC_SCR && lin < SC_SCR + sizeof(scr_ram))
		return phys(scr_ram) + (lin - SC_SCR);
	if (lin >= SC_TA && lin < SC_TA + SC_WIN_BYTES)
		return r ? phys(win_ram) + (lin - SC_TA) : lin;
	if (lin >= SC_TA + SC_WIN_BYTES && lin < SC_TA + KEEL_TESTDEV_SIZE)
		return lin; /* the control page, on the device in both roots */
	return 0;
}

static uint64_t leaf(uint64_t target) { return target ? target | PTE_P | PTE_W | PTE_A | PTE_D : 0; }

/* Directory entries allow user access, so a leaf's U alone decides (SDM Vol. 3A 4.6.1). */
static void build_64(void)
{
	const uint64_t dir = PTE_P | PTE_W | PTE_U | PTE_A, big = PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 512; j++)
			pd_low[i][j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | big;
	for (int r = 0; r < 2; r++) {
		for (int j = 0; j < 512; j++) {
			pd_top[r][j] = (3ull << 30 | (uint64_t)j << 21) | big;
			pt[r][j] = leaf(region_target(r, REGION_64 + (uint32_t)j * PAGE));
		}
		pd_top[r][(REGION_64 >> 21) & 511] = phys(pt[r]) | dir;
		memset(pdpt[r], 0, sizeof(pdpt[r]));
		for (int i = 0; i < 3; i++)
			pdpt[r][i] = phys(pd_low[i]) | dir;
		pdpt[r][3] = phys(pd_top[r]) | dir;
		memset(pml4[r], 0, sizeof(pml4[r]));
		pml4[r][0] = phys(pdpt[r]) | dir;
		memset(pml5[r], 0, sizeof(pml5[r]));
		pml5[r][0] = phys(pml4[r]) | dir;
		for (int i = 0; i < 4; i++) /* PAE PDPTEs: P only (SDM Vol. 3A 4.4.1) */
			pae_pdpt[r][i] = (i < 3 ? phys(pd_low[i]) : phys(pd_top[r])) | PTE_P;
	}
}

static void build_32(void)
{
	for (int r = 0; r < 2; r++) {
		for (uint32_t j = 0; j < 1024; j++) {
			pd32[r][j] = j << 22 | (uint32_t)(PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS);
			pt32[r][j] = (uint32_t)leaf(region_target(r, REGION_32 + j * PAGE));
		}
		pd32[r][REGION_32 >> 22] = (uint32_t)phys(pt32[r]) | (uint32_t)(PTE_P | PTE_W | PTE_U | PTE_A);
	}
}

void pg_build(enum pgmode m)
{
	mode = m;
	if (m == PG_32)
		build_32();
	else
		build_64();
}

static bool in_region(uint32_t lin)
{
	return lin >= SC_SLOT && lin < SC_TA + KEEL_TESTDEV_SIZE;
}

uint64_t pg_pte_get(int r, uint32_t lin)
{
	if (!in_region(lin))
		return 0;
	if (mode == PG_32)
		return pt32[r][(lin - REGION_32) / PAGE];
	return pt[r][(lin - REGION_64) / PAGE];
}

void pg_pte_set(int r, uint32_t lin, uint64_t v)
{
	if (!in_region(lin))
		return;
	if (mode == PG_32)
		pt32[r][(lin - REGION_32) / PAGE] = (uint32_t)v;
	else
		pt[r][(lin - REGION_64) / PAGE] = v;
}

void pg_flags(uint32_t lin, uint32_t len, uint64_t set, uint64_t clear)
{
	for (uint32_t a = lin & ~(PAGE - 1); a < lin + len; a += PAGE)
		for (int r = 0; r < 2; r++)
			pg_pte_set(r, a, (pg_pte_get(r, a) | set) & ~clear);
}

/* The alias region: linear PG_ALIAS + x maps guest-physical x (low RAM) through large pages of
 * the mode (2 MiB, 1 GiB with `giant`, 4 MiB under 32-bit paging), in both roots. */
void pg_alias(bool giant)
{
	const uint64_t leaf = PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS;
	for (uint64_t i = 0; i < 512; i++)
		pd_alias[i] = i << 21 | leaf;
	for (int r = 0; r < 2; r++) {
		pdpt[r][PG_ALIAS >> 30] = giant ? leaf : phys(pd_alias) | PTE_P | PTE_W | PTE_U | PTE_A;
		pae_pdpt[r][PG_ALIAS >> 30] = phys(pd_alias) | PTE_P;
		for (uint32_t j = 0; j < 16; j++)
			pd32[r][(PG_ALIAS >> 22) + j] = j << 22 | (uint32_t)leaf;
	}
}

/* Sets or clears flags in the alias leaf that maps guest-physical pa, in both roots. */
void pg_alias_flags(uintptr_t pa, bool giant, uint64_t set, uint64_t clear)
{
	for (int r = 0; r < 2; r++) {
		if (mode == PG_32)
			pd32[r][(PG_ALIAS >> 22) + (pa >> 22)] =
				(uint32_t)((pd32[r][(PG_ALIAS >> 22) + (pa >> 22)] | set) & ~clear);
		else if (giant)
			pdpt[r][PG_ALIAS >> 30] = (pdpt[r][PG_ALIAS >> 30] | set) & ~clear;
	}
	if (mode != PG_32 && !giant)
		pd_alias[pa >> 21] = (pd_alias[pa >> 21] | set) & ~clear;
}

/* Where a test-region page's leaf entry lives in root r (to be changed by code in the slot). */
uintptr_t pg_pte_addr(int r, uint32_t lin)
{
	if (mode == PG_32)
		return phys(&pt32[r][(lin - REGION_32) / PAGE]);
	return phys(&pt[r][(lin - REGION_64) / PAGE]);
}
