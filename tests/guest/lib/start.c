/* The payload's C start: console, hypercalls, exceptions, then guest_main. */
#include "guest.h"

void guest_start(const struct keel_start_info *si);
void guest_start(const struct keel_start_info *si)
{
	con_init();
	exc_init();
	if (!hc_init()) {
		g_printf("VERDICT FAIL guest/keel-present CPUID shows no Keel signature\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	if (si->magic != KEEL_START_MAGIC || si->version != KEEL_START_VERSION) {
		verdict_fail("guest", "start-info", "magic %lx version %u", (unsigned long)si->magic,
			     si->version);
		guest_exit(1);
	}
	int rc = guest_main(si);
	guest_exit(rc || verdict_failed());
}
