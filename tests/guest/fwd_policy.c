/* A partition's `unbacked` policy and its `none` and passthrough regions (docs/partitions.md),
 * run instead of the forwarding cases when the command line says `unbacked-gp` or
 * `unbacked-stop`. The addresses come from tests/fwd/policy.cfg. */
#include "fwd.h"

#define UNBACKED 0xfe000000u /* nothing behind it */
#define NONE_MMIO 0xfe100000u /* mmio ... none */
#define PASS_PORT 0x80        /* port ... passthrough (QEMU's and Bochs' POST port) */
#define PASS_MMIO 0xfed00000u /* mmio ... passthrough: QEMU's HPET */

static void read_unbacked(void *arg)
{
	*(uint32_t *)arg = *(volatile uint32_t *)(uintptr_t)UNBACKED;
}

static void read_unbacked_port(void *arg)
{
	*(uint8_t *)arg = inb(0x2e0);
}

void fwd_policy_gp(void)
{
	struct guest_exc x;
	uint32_t v = 0;
	exc_try(read_unbacked, &v, &x);
	verdict_check(S, "unbacked-gp-mmio", x.raised && x.vector == 13 && x.error == 0,
		      "raised %u vector %u error %x", x.raised, x.vector, x.error);
	uint8_t b = 0;
	exc_try(read_unbacked_port, &b, &x);
	verdict_check(S, "unbacked-gp-port", x.raised && x.vector == 13 && x.error == 0,
		      "raised %u vector %u error %x", x.raised, x.vector, x.error);
	v = *(volatile uint32_t *)(uintptr_t)(NONE_MMIO + 0x20);
	*(volatile uint32_t *)(uintptr_t)(NONE_MMIO + 0x20) = 5;
	verdict_check(S, "none-region-ones", v == 0xffffffffu, "read %x", v);
	uint64_t pio = hc_stat(KEEL_STAT_PIO_EXITS);
	for (int i = 0; i < 4; i++)
		outb(PASS_PORT, (uint8_t)i);
	uint64_t pio2 = hc_stat(KEEL_STAT_PIO_EXITS);
	verdict_check(S, "passthrough-port-no-exit", pio2 == pio, "%lu port exits",
		      (unsigned long)(pio2 - pio));
	/* HPET GCAP_ID (IA-PC HPET spec 2.3.1): bits 31:16 vendor, QEMU's hpet.c reports 0x8086 */
	uint64_t mmio = hc_stat(KEEL_STAT_MMIO_EXITS);
	uint32_t id = *(volatile uint32_t *)(uintptr_t)PASS_MMIO;
	uint64_t mmio2 = hc_stat(KEEL_STAT_MMIO_EXITS);
	verdict_check(S, "passthrough-mmio-no-exit", mmio2 == mmio && id >> 16 == 0x8086,
		      "%lu mmio exits, GCAP_ID %x", (unsigned long)(mmio2 - mmio), id);
}

/* Keel stops the partition at this read; nothing after it may run. */
void fwd_policy_stop(void)
{
	uint32_t v;
	read_unbacked(&v);
	verdict_fail(S, "unbacked-stop", "the partition still runs after reading %x", v);
}
