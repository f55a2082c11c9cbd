/* The service VM's program: find the ring in the start information, attach, serve forever.
 * Booted without a ring (as an ordinary guest) with the argument `selftest`, it checks its own
 * runtime and ring loop instead and reports verdicts (docs/service.md). */
#include <stdio.h>
#include <string.h>
#include "rt.h"
#include "selftest.h"

static struct svc svc_state;

static struct svc_hc vm_hcall(void *ctx, uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	(void)ctx;
	return rt_hcall(nr, a, b, c);
}

static void vm_pause(void *ctx)
{
	(void)ctx;
	__builtin_ia32_pause();
}

/* The check runs with interrupts off and STI's one-instruction shadow makes `sti; hlt` atomic,
 * so a notification arriving after the check still wakes the HLT (SDM Vol. 2B STI). */
static void vm_sleep(void *ctx, bool (*ready)(struct svc *s), struct svc *s, uint32_t max_us)
{
	(void)ctx;
	__asm__ volatile("cli" ::: "memory");
	if (ready(s) || (max_us && !rt_lapic_oneshot(max_us))) {
		__asm__ volatile("sti" ::: "memory");
		return;
	}
	__asm__ volatile("sti; hlt" ::: "memory");
	if (max_us)
		rt_lapic_oneshot(0);
}

static void vm_log(void *ctx, const char *line)
{
	(void)ctx;
	rt_console_puts(line);
	rt_console_puts("\n");
}

const struct svc_platform svc_vm_platform = {
	.hcall = vm_hcall, .pause = vm_pause, .sleep = vm_sleep, .log = vm_log,
};

/* irq mode without a usable notification: still kick the core, but never halt. */
static const struct svc_platform svc_vm_platform_spin = {
	.hcall = vm_hcall, .pause = vm_pause, .log = vm_log,
};

static const struct keel_start_region *svc_find_ring(const struct keel_start_info *si)
{
	for (uint32_t i = 0; i < si->nr_regions; i++)
		if (si->region[i].kind == KEEL_REGION_RING)
			return &si->region[i];
	return NULL;
}

static bool svc_has_arg(const struct keel_start_info *si, const char *word)
{
	const char *c = (const char *)(uintptr_t)si->cmdline;
	size_t n = strlen(word);

	if (!si->cmdline || si->cmdline >= si->ram_size)
		return false;
	for (const char *p = strstr(c, word); p; p = strstr(p + 1, word))
		if ((p == c || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}

static int svc_serve(const struct keel_start_region *ring)
{
	struct svc *s = &svc_state;
	int err;

	if (ring->base > UINTPTR_MAX - ring->size || ring->base + ring->size > 0x100000000ull) {
		printf("svc: ring region %#llx+%#llx lies outside the identity-mapped 4 GiB\n",
		       (unsigned long long)ring->base, (unsigned long long)ring->size);
		return 2;
	}
	err = svc_init(s, (void *)(uintptr_t)ring->base, ring->size, &svc_vm_platform);
	if (err)
		return 2;
	if (s->notify_vector && (s->notify_vector < 32 || s->notify_vector > 254)) {
		printf("svc: notify vector %u is not usable: polling instead\n", s->notify_vector);
		s->plat = &svc_vm_platform_spin;
	} else if (s->notify_vector && !rt_lapic_present()) {
		printf("svc: irq mode but no local APIC at 0xfee00000: polling instead\n");
		s->plat = &svc_vm_platform_spin;
	} else if (s->notify_vector) {
		rt_trap_notify((uint8_t)s->notify_vector);
		rt_lapic_enable();
		rt_lapic_timer_init();
	}
	/* The loop runs with interrupts on: under Bochs VMX a guest with IF = 0 holds the IPI
	 * that stops it (docs/partitions.md, "Stopping"). */
	__asm__ volatile("sti" ::: "memory");
	err = svc_run(s);
	printf("svc: stopped: %s\n", ring_svc_strerror(err));
	return 3;
}

int svc_main(const struct keel_start_info *si)
{
	const struct keel_start_region *ring = svc_find_ring(si);

	if (svc_has_arg(si, "selftest"))
		return svc_selftest(si);
	if (!ring) {
		printf("svc: partition %u (%.31s): no ring region in the start information: nothing "
		       "to serve\n", si->partition, si->name);
		return 1;
	}
	return svc_serve(ring);
}
