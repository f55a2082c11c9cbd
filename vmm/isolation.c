/* Isolation evidence (docs/isolation.md): Keel's text and read-only data are hashed at boot and
 * again at the end of a test run; canaries lie in Keel's data, in a page of its heap, in the
 * ring's header page and in every partition's RAM. A canary's words are derived from their own
 * host-physical address, so a value copied from one canary to another is caught too. */
#include <keel/isolation.h>
#include <keel/boot.h>
#include <keel/cmdline.h>
#include <keel/config.h>
#include <keel/format.h>
#include <keel/fwd.h>
#include <keel/partition.h>
#include <keel/pmm.h>
#include <keel/printk.h>
#include <keel/verdict.h>

#define CANARY_SEED 0x4b45454c43414e59ull /* "KEELCANY" */
#define HASH_BASIS 0xcbf29ce484222325ull  /* FNV-1a 64, taken eight bytes at a time */
#define HASH_PRIME 0x100000001b3ull

extern char _load_start[], _rodata_end[];

struct canary {
	u64 pa, bytes;
	char name[48];
};

static u64 isolation_hash_boot;
static u64 isolation_data_page[PAGE_SIZE / 8] __aligned(PAGE_SIZE) = { 1 };
static struct canary canaries[PARTITION_MAX + 3];
static u32 ncanaries;

static u64 isolation_hash(void)
{
	u64 h = HASH_BASIS;
	for (const u64 *w = (const u64 *)_load_start; w < (const u64 *)_rodata_end; w++)
		h = (h ^ *w) * HASH_PRIME;
	return h;
}

/* splitmix64 of the word's address (Steele et al., "Fast splittable pseudorandom number
 * generators", 2014): any two canary words differ. */
static u64 canary_word(u64 pa)
{
	u64 z = pa ^ CANARY_SEED;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void canary_fill(u64 pa, u64 bytes)
{
	for (u64 off = 0; off < bytes; off += 8)
		*(volatile u64 *)(uintptr_t)(pa + off) = canary_word(pa + off);
}

/* The first word that differs, or ~0 when none does. */
static u64 canary_bad(const struct canary *c)
{
	for (u64 off = 0; off < c->bytes; off += 8)
		if (*(volatile u64 *)(uintptr_t)(c->pa + off) != canary_word(c->pa + off))
			return off;
	return ~0ull;
}

static void canary_add(u64 pa, u64 bytes, const char *name)
{
	if (!pa || ncanaries == ARRAY_SIZE(canaries))
		return;
	struct canary *c = &canaries[ncanaries++];
	*c = (struct canary){ pa, bytes, { 0 } };
	snprintf(c->name, sizeof(c->name), "isolation/canary-%s", name);
	canary_fill(pa, bytes);
	pr_info("isolation: canary %s at host %#llx+%#llx", name, (unsigned long long)pa,
		(unsigned long long)bytes);
}

void isolation_boot(void)
{
	isolation_hash_boot = isolation_hash();
	canary_add((u64)(uintptr_t)isolation_data_page, PAGE_SIZE, "keel-data");
	pr_info("isolation: text and rodata [%#llx-%#llx) hash %#llx",
		(unsigned long long)(uintptr_t)_load_start, (unsigned long long)(uintptr_t)_rodata_end,
		(unsigned long long)isolation_hash_boot);
}

void isolation_plant(const struct keel_config *c)
{
	char name[48];
	if (!boot_opts()->canaries)
		return;
	canary_add(pmm_alloc_page(), PAGE_SIZE, "keel-heap");
	u64 ring = fwd_area();
	if (ring)
		canary_add(ring + PAGE_SIZE - ISOLATION_CANARY_BYTES, ISOLATION_CANARY_BYTES, "ring");
	for (u32 i = 0; i < c->npartitions; i++) {
		const struct partition *p = partition_get(i);
		if (!p)
			continue;
		snprintf(name, sizeof(name), "%s", p->name);
		canary_add(p->mem.hpa + ISOLATION_GUEST_CANARY, ISOLATION_CANARY_BYTES, name);
	}
}

void isolation_check(void)
{
	u64 h = isolation_hash();
	if (h == isolation_hash_boot)
		verdict_pass("isolation/keel-text-hash");
	else
		verdict_fail("isolation/keel-text-hash", "hash %#llx at the end, %#llx at boot",
			     (unsigned long long)h, (unsigned long long)isolation_hash_boot);
	for (u32 i = 0; i < ncanaries; i++) {
		const struct canary *c = &canaries[i];
		u64 off = canary_bad(c);
		if (off == ~0ull)
			verdict_pass(c->name);
		else
			verdict_fail(c->name, "host %#llx holds %#llx, not %#llx",
				     (unsigned long long)(c->pa + off),
				     (unsigned long long)*(volatile u64 *)(uintptr_t)(c->pa + off),
				     (unsigned long long)canary_word(c->pa + off));
	}
}
