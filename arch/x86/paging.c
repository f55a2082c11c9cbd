/* Identity map for all of RAM (4-level paging, SDM Vol. 3A 4.5). Page tables come from the page
 * allocator below 4 GiB, because the AP trampoline loads CR3 in 32-bit mode. Until paging_init
 * runs, the boot map from entry.S (0-4 GiB) is in force. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <keel/errno.h>
#include <keel/phys.h>
#include <keel/pmm.h>
#include <keel/string.h>

#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_PS BIT(7)
#define PTE_NX BIT(63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define SZ_2M (2ULL << 20)
#define SZ_4G (4ULL << 30)

static u64 map_top = SZ_4G;
static u64 *pml4;

void *phys_map(u64 pa, u64 len)
{
	if (pa >= map_top || len > map_top - pa)
		return NULL;
	return (void *)(uintptr_t)pa;
}

u64 phys_mapped_bytes(u64 pa) { return pa < map_top ? map_top - pa : 0; }

u64 paging_cr3(void) { return (u64)pml4; }

static u64 *pt_alloc(void)
{
	u64 pa = pmm_alloc_in(1, PAGE_SIZE, PMM_LOW_LIMIT, SZ_4G);
	if (!pa)
		pa = pmm_alloc_in(1, PAGE_SIZE, 0, SZ_4G);
	if (pa)
		memset((void *)pa, 0, PAGE_SIZE);
	return (u64 *)pa;
}

/* The entry one level down for va, creating the table if asked. */
static u64 *pt_next(u64 *table, unsigned idx, bool create)
{
	if (!(table[idx] & PTE_P)) {
		u64 *t = create ? pt_alloc() : NULL;
		if (!t)
			return NULL;
		table[idx] = (u64)t | PTE_P | PTE_RW;
	}
	return (u64 *)(table[idx] & PTE_ADDR);
}

static u64 *pde_of(u64 pa, bool create)
{
	u64 *pdpt = pt_next(pml4, (pa >> 39) & 511, create);
	u64 *pd = pdpt ? pt_next(pdpt, (pa >> 30) & 511, create) : NULL;
	return pd ? &pd[(pa >> 21) & 511] : NULL;
}

int paging_init(u64 top, u64 exec_end)
{
	bool nx = cpu_has_ext_edx(20);
	top = MAX(ALIGN_UP(top, SZ_2M), SZ_4G);
	exec_end = ALIGN_UP(exec_end, SZ_2M);
	pml4 = pt_alloc();
	if (!pml4)
		return -ENOMEM;
	for (u64 pa = 0; pa < top; pa += SZ_2M) {
		u64 *pde = pde_of(pa, true);
		if (!pde)
			return -ENOMEM;
		*pde = pa | PTE_P | PTE_RW | PTE_PS | (nx && pa >= exec_end ? PTE_NX : 0);
	}
	cpu_enable_nx();
	write_cr3((u64)pml4);
	map_top = top;
	return 0;
}

/* The 4 KiB entry for pa, splitting its 2 MiB page first (attributes carried over). */
static u64 *pte_of(u64 pa)
{
	u64 *pde = pa < map_top ? pde_of(pa, false) : NULL;
	if (!pde || !(*pde & PTE_P))
		return NULL;
	if (*pde & PTE_PS) {
		u64 *pt = pt_alloc();
		if (!pt)
			return NULL;
		u64 attr = *pde & (PTE_P | PTE_RW | PTE_PWT | PTE_PCD | PTE_NX);
		u64 base = *pde & PTE_ADDR & ~(SZ_2M - 1);
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + i * PAGE_SIZE) | attr;
		*pde = (u64)pt | PTE_P | PTE_RW;
		invlpg(base);
	}
	return &((u64 *)(*pde & PTE_ADDR))[(pa >> 12) & 511];
}

static int paging_update(u64 pa, u64 len, u64 clear, u64 set)
{
	if (!pml4)
		return -ENODEV;
	for (u64 p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
		u64 *pte = pte_of(p);
		if (!pte)
			return -ENOMEM;
		*pte = (*pte & ~clear) | set;
		invlpg(p);
	}
	return 0;
}

int paging_set_uncached(u64 pa, u64 len) { return paging_update(pa, len, 0, PTE_PCD | PTE_PWT); }
int paging_unmap(u64 pa, u64 len) { return paging_update(pa, len, PTE_P, 0); }
