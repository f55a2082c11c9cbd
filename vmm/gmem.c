/* Guest RAM and the nested page tables that map it. The table format (EPT or NPT) belongs to the
 * backend: entries are built only through virt->npt_table/npt_leaf. Both formats keep the next
 * table's address in bits 51:12 and are all-zero when absent, which is all this file relies on. */
#include <keel/gmem.h>
#include <keel/errno.h>
#include <keel/pmm.h>
#include <keel/string.h>
#include <arch/virt.h>

#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define LEVEL_SHIFT(l) (12 + 9 * (l)) /* level 0 = 4 KiB leaf, 1 = 2 MiB, 2 = 1 GiB, 3 = PML4;
					* virt_ops numbers them one higher (1 = 4 KiB) */
#define NPT_LEVELS 4

static u64 *gmem_table(u64 hpa) { return (u64 *)(uintptr_t)hpa; }

static u64 gmem_table_alloc(struct gmem *g)
{
	u64 hpa = pmm_alloc_page();
	if (hpa) {
		memset(gmem_table(hpa), 0, PAGE_SIZE);
		g->npt_pages++;
	}
	return hpa;
}

/* Maps one page of size 1 << LEVEL_SHIFT(leaf_level) at gpa. */
static int gmem_map_one(struct gmem *g, u64 gpa, u64 hpa, unsigned leaf_level, unsigned prot,
			unsigned mt)
{
	u64 *table = gmem_table(g->npt_root);
	for (unsigned level = NPT_LEVELS - 1; level > leaf_level; level--) {
		u64 *e = &table[(gpa >> LEVEL_SHIFT(level)) & 511];
		if (!*e) {
			u64 next = gmem_table_alloc(g);
			if (!next)
				return -ENOMEM;
			*e = virt->npt_table(next);
		}
		table = gmem_table(*e & PTE_ADDR_MASK);
	}
	table[(gpa >> LEVEL_SHIFT(leaf_level)) & 511] =
		virt->npt_leaf(hpa, prot, (enum npt_memtype)mt, leaf_level + 1);
	return 0;
}

int gmem_map(struct gmem *g, u64 gpa, u64 hpa, u64 size, unsigned prot, unsigned memtype)
{
	if ((gpa | hpa | size) & (PAGE_SIZE - 1))
		return -EINVAL;
	bool big_ok = virt->npt_leaf(0, prot, (enum npt_memtype)memtype, 2) != 0;
	while (size) {
		unsigned level = 0;
		u64 big = 1ull << LEVEL_SHIFT(1);
		if (big_ok && !((gpa | hpa) & (big - 1)) && size >= big)
			level = 1;
		int rc = gmem_map_one(g, gpa, hpa, level, prot, memtype);
		if (rc)
			return rc;
		u64 step = 1ull << LEVEL_SHIFT(level);
		gpa += step;
		hpa += step;
		size -= step;
	}
	return 0;
}

void *gmem_ptr(const struct gmem *g, u64 gpa, u64 len)
{
	if (gpa >= g->ram_size || len > g->ram_size - gpa)
		return NULL;
	return (void *)(uintptr_t)(g->hpa + gpa);
}

/* Page-table entries (4 and 8 bytes) are most of what the emulator reads: one load each. */
static int gmem_read(void *ctx, u64 gpa, void *buf, u32 len)
{
	const void *p = gmem_ptr(ctx, gpa, len);
	if (!p)
		return -1;
	if (len == 8)
		__builtin_memcpy(buf, p, 8);
	else if (len == 4)
		__builtin_memcpy(buf, p, 4);
	else
		memcpy(buf, p, len);
	return 0;
}

static int gmem_write(void *ctx, u64 gpa, const void *buf, u32 len)
{
	void *p = gmem_ptr(ctx, gpa, len);
	if (!p)
		return -1;
	memcpy(p, buf, len);
	return 0;
}

/* Page-table A/D updates race with the guest's other vCPUs: compare-exchange, as the CPU's
 * own walker does (SDM Vol. 3A 4.8: locked operation on the paging-structure entry). */
static int gmem_cmpxchg(void *ctx, u64 gpa, u64 old, u64 new, u32 size)
{
	void *p = gmem_ptr(ctx, gpa, size);
	if (!p || (size != 4 && size != 8) || (gpa & (size - 1)))
		return -1;
	if (size == 8)
		return __atomic_compare_exchange_n((u64 *)p, &old, new, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST) ? 0 : 1;
	u32 o = (u32)old;
	return __atomic_compare_exchange_n((u32 *)p, &o, (u32)new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST) ? 0 : 1;
}

int gmem_create(struct gmem *g, u64 ram_size, u64 hpa)
{
	memset(g, 0, sizeof(*g));
	if (!ram_size || (ram_size & ((2ull << 20) - 1)))
		return -EINVAL;
	if (hpa == GMEM_HPA_ANY)
		g->hpa = pmm_alloc(ram_size / PAGE_SIZE, 2ull << 20);
	else if (hpa && !(hpa & ((2ull << 20) - 1)) && hpa + ram_size > hpa)
		g->hpa = hpa;
	if (!g->hpa)
		return hpa == GMEM_HPA_ANY ? -ENOMEM : -EINVAL;
	g->ram_size = ram_size;
	memset((void *)(uintptr_t)g->hpa, 0, ram_size);
	g->npt_root = gmem_table_alloc(g);
	if (!g->npt_root)
		return -ENOMEM;
	g->mem = (struct emul_mem){ g, gmem_read, gmem_write, gmem_cmpxchg };
	return gmem_map(g, 0, g->hpa, ram_size, NPT_RWX, NPT_MT_WB);
}
