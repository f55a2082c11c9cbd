/* Hypercalls: VMCALL on Intel, VMMCALL on AMD, as Keel's CPUID leaf 0x40000001 says. */
#include <abi/hypercall_call.h>
#include "guest.h"

static bool hc_amd;

bool hc_init(void) { return keel_hc_probe(&hc_amd); }

struct hc_result hc(ureg nr, ureg a, ureg b, ureg c)
{
	struct keel_hc_regs k = keel_hc_call(hc_amd, nr, a, b, c);
	return (struct hc_result){ k.status, k.rbx, k.rcx, k.rdx };
}

uint64_t hc_stat(enum keel_stat s) { return hc(KEEL_HC_STAT, s, 0, 0).rbx; }

static volatile uint32_t *tdev_reg(enum keel_testdev_reg r)
{
	return (volatile uint32_t *)(uintptr_t)(KEEL_TESTDEV_GPA + r);
}

void tdev_reset(uint8_t fill) { *tdev_reg(KEEL_TESTDEV_RESET) = fill; }

static void tdev_poke32(uint32_t off, uint32_t v)
{
	*tdev_reg(KEEL_TESTDEV_ADDR) = off;
	*tdev_reg(KEEL_TESTDEV_DATA_PORT) = v;
}

static uint32_t tdev_peek32(uint32_t off)
{
	*tdev_reg(KEEL_TESTDEV_ADDR) = off;
	return *tdev_reg(KEEL_TESTDEV_DATA_PORT);
}

void tdev_poke(uint32_t off, uint64_t v)
{
	tdev_poke32(off, (uint32_t)v);
	tdev_poke32(off + 4, (uint32_t)(v >> 32));
}

uint64_t tdev_peek(uint32_t off) { return tdev_peek32(off) | (uint64_t)tdev_peek32(off + 4) << 32; }

uint64_t tdev_log_count(void) { return *tdev_reg(KEEL_TESTDEV_LOG_COUNT); }

bool tdev_log_entry(uint32_t i, uint32_t *off, uint8_t *size, uint8_t *dir, uint64_t *data)
{
	*tdev_reg(KEEL_TESTDEV_LOG_INDEX) = i;
	uint32_t info = *tdev_reg(KEEL_TESTDEV_LOG_INFO);
	if (info == 0xffffffffu)
		return false;
	*off = info & 0xffff;
	*size = (uint8_t)(info >> 16);
	*dir = (uint8_t)(info >> 24);
	*data = *tdev_reg(KEEL_TESTDEV_LOG_LO) | (uint64_t)*tdev_reg(KEEL_TESTDEV_LOG_HI) << 32;
	return true;
}
