/* Hypercalls: VMCALL on Intel, VMMCALL on AMD, as Keel's CPUID leaf 0x40000001 says. */
#include "guest.h"

static bool hc_amd;

bool hc_init(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return false; /* no hypervisor bit: not under Keel */
	cpuid(0x40000000, 0, r);
	if (r[1] != 0x6c65654b || r[2] != 0x6c65654b || r[3] != 0x6c65654b) /* "Keel" ×3 */
		return false;
	cpuid(0x40000001, 0, r);
	hc_amd = r[1] == 1;
	return true;
}

struct hc_result hc(ureg nr, ureg a, ureg b, ureg c)
{
	struct hc_result r;
	if (hc_amd)
		__asm__ volatile("vmmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	else
		__asm__ volatile("vmcall" : "=a"(r.status), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
				 : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

uint64_t hc_stat(enum keel_stat s) { return hc(KEEL_HC_STAT, s, 0, 0).rbx; }

void tdev_reset(uint8_t fill) { hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_RESET, fill, 0); }

void tdev_poke(uint32_t off, uint64_t v)
{
	hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_POKE, off, (uint32_t)v);
	hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_POKE, off + 4, (uint32_t)(v >> 32));
}

uint64_t tdev_peek(uint32_t off)
{
	uint64_t lo = (uint32_t)hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_PEEK, off, 0).rbx;
	uint64_t hi = (uint32_t)hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_PEEK, off + 4, 0).rbx;
	return lo | hi << 32;
}

uint64_t tdev_log_count(void) { return hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_LOG_COUNT, 0, 0).rbx; }

bool tdev_log_entry(uint32_t i, uint32_t *off, uint8_t *size, uint8_t *dir, uint64_t *data)
{
	struct hc_result r = hc(KEEL_HC_TESTDEV, KEEL_TESTDEV_LOG_ENTRY, i, 0);
	if (r.status != KEEL_OK)
		return false;
	*off = (uint32_t)(r.rbx & 0xffff);
	*size = (uint8_t)(r.rbx >> 16);
	*dir = (uint8_t)(r.rbx >> 24);
	*data = (uint32_t)r.rcx | (uint64_t)(uint32_t)r.rdx << 32;
	return true;
}
