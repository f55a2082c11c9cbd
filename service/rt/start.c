/* From the entry stub to svc_main: console, IDT, hypercalls, start information, heap. */
#include <stdio.h>
#include "rt.h"

#define RT_IDENTITY_TOP 0x100000000ull /* Keel's long64 page tables map 0-4 GiB (guest-boot.md) */

extern char _end[];
static unsigned rt_reported_failed, rt_reported_passed;
static bool rt_reported;

void rt_verdicts(unsigned failed, unsigned passed)
{
	rt_reported = true;
	rt_reported_failed = failed;
	rt_reported_passed = passed;
}

void rt_exit(unsigned code)
{
	if (rt_reported)
		rt_hcall(KEEL_HC_VERDICTS, rt_reported_failed, rt_reported_passed, 0);
	rt_hcall(KEEL_HC_EXIT, code, 0, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static bool rt_start_info_ok(const struct keel_start_info *si)
{
	return si->magic == KEEL_START_MAGIC && si->version == KEEL_START_VERSION &&
	       si->size >= sizeof(*si) && si->nr_regions <= KEEL_START_MAX_REGIONS;
}

/* The heap runs from the end of the image to the end of RAM (within the identity map), cut at
 * the first other region in between. */
static void rt_heap_setup(const struct keel_start_info *si)
{
	uint64_t lo = ((uintptr_t)_end + 0xfff) & ~0xfffull;
	uint64_t hi = si->ram_size < RT_IDENTITY_TOP ? si->ram_size : RT_IDENTITY_TOP;

	for (uint32_t i = 0; i < si->nr_regions; i++) {
		const struct keel_start_region *r = &si->region[i];
		uint64_t end = r->base + r->size < r->base ? UINT64_MAX : r->base + r->size;

		if (r->kind == KEEL_REGION_RAM || end <= lo || r->base >= hi)
			continue;
		if (r->base > lo)
			hi = r->base;
		else
			lo = (end + 0xfff) & ~0xfffull;
	}
	rt_heap_init((uintptr_t)lo, (uintptr_t)(hi > lo ? hi : lo));
}

void rt_start(const struct keel_start_info *si);
void rt_start(const struct keel_start_info *si)
{
	rt_console_init();
	rt_trap_init();
	if (!rt_hcall_init()) {
		rt_console_puts("svc: fatal: no Keel CPUID signature: not running under Keel\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	if (!rt_start_info_ok(si)) {
		rt_console_puts("svc: fatal: bad start information (magic, version or size)\n");
		rt_exit(1);
	}
	rt_heap_setup(si);
	rt_exit((unsigned)svc_main(si));
}
