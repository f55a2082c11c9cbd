/* Keel keeps a vCPU's answer to a CPUID leaf whose answer depends on the leaf alone
 * (arch/x86/cpuid.c) and gives it again on later calls. Every answer must be that leaf's: the
 * leaves with a recognisable answer are checked against what the SDM, the APM and Keel's
 * documented leaves say they hold (a vendor string, a brand string, an address width, Keel's
 * signature...), and every answer to a leaf must equal the first, whatever other leaves were
 * asked in between (some share a slot). Leaf 1's OSXSAVE bit must follow CR4.OSXSAVE at every
 * call (SDM Vol. 2A CPUID, ECX bit 27); a leaf with subleaves (0BH: ECX[7:0] returns the level
 * number it was asked for) must never be answered from another subleaf. */
#include "lib/guest.h"

#define S "cpuid-memo"
#define ROUNDS 8
#define CR4_OSXSAVE (1ul << 18)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)

static const uint32_t leaves[] = {
	0, 1, 2, 3, 5, 6, 0xa, 0x15, 0x16, 0x40000000, 0x40000001, 0x40000010,
	0x80000000, 0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000005, 0x80000006,
	0x80000007, 0x80000008, 0x8000000a,
};
#define NLEAVES (sizeof(leaves) / sizeof(leaves[0]))

static uint32_t first[NLEAVES][4];

static bool is_str(const uint32_t r[4], unsigned a, unsigned b, unsigned c, const char *s)
{
	const uint32_t w[3] = { r[a], r[b], r[c] };
	for (unsigned i = 0; i < 12; i++)
		if ((char)(w[i / 4] >> (8 * (i % 4))) != s[i])
			return false;
	return true;
}

static bool printable(const uint32_t r[4])
{
	for (unsigned i = 0; i < 16; i++) {
		uint8_t c = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
		if (c && (c < 0x20 || c > 0x7e))
			return false;
	}
	return true;
}

/* Whether r can be the answer to `leaf`: true for leaves without a recognisable answer. */
static bool identifies(uint32_t leaf, const uint32_t r[4])
{
	switch (leaf) {
	case 0: /* vendor in EBX, EDX, ECX */
		return r[0] >= 1 && (is_str(r, 1, 3, 2, "GenuineIntel") ||
				     is_str(r, 1, 3, 2, "AuthenticAMD"));
	case 1: /* a signature; Keel sets the hypervisor bit (ECX 31) */
		return r[0] && (r[2] >> 31);
	case 0x40000000:
		return r[0] >= 0x40000001 && is_str(r, 1, 2, 3, "KeelKeelKeel");
	case 0x40000001:
		return r[0] == KEEL_ABI_VERSION && r[1] <= 1;
	case 0x40000010: /* TSC and LAPIC timer kHz */
		return r[0] && r[1];
	case 0x80000000:
		return r[0] >= 0x80000008 && r[0] <= 0x800000ff;
	case 0x80000001: /* long mode (EDX 29) on every CPU the cases use */
		return (r[3] >> 29) & 1;
	case 0x80000002: case 0x80000003: case 0x80000004:
		return printable(r);
	case 0x80000008: /* physical address width */
		return (r[0] & 0xff) >= 32 && (r[0] & 0xff) <= 52;
	}
	return true;
}

static inline ureg get_cr4(void)
{
	ureg v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void set_cr4(ureg v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

/* Leaf 1 without the OSXSAVE bit, which follows CR4 and has its own case. */
static void ask(unsigned i, uint32_t r[4])
{
	cpuid(leaves[i], 0, r);
	if (leaves[i] == 1)
		r[2] &= ~CPUID1_ECX_OSXSAVE;
}

static void test_identity(void)
{
	unsigned bad = 0, bad_leaf = 0;
	for (unsigned i = 0; i < NLEAVES; i++) {
		ask(i, first[i]);
		if (!identifies(leaves[i], first[i]) && !bad++)
			bad_leaf = leaves[i];
	}
	verdict_check(S, "answers-identify-leaf", !bad, "%u answers are not their leaf's (leaf 0x%x)",
		      bad, bad_leaf);
}

static void test_repeat(void)
{
	unsigned bad = 0, bad_leaf = 0, calls = 0;
	/* forwards, backwards and with a stride: each leaf follows different leaves each round */
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (unsigned k = 0; k < NLEAVES; k++) {
			unsigned i = round % 3 == 0 ? k : round % 3 == 1 ? NLEAVES - 1 - k
							     : (k * 7 + round) % NLEAVES;
			uint32_t r[4];
			ask(i, r);
			calls++;
			for (unsigned j = 0; j < 4; j++)
				if (r[j] != first[i][j] && !bad++)
					bad_leaf = leaves[i];
		}
	}
	verdict_check(S, "repeat-equals-first", !bad, "%u of %u answers differ from the first (leaf 0x%x)",
		      bad, calls, bad_leaf);
}

static bool osxsave_bit(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[2] & CPUID1_ECX_OSXSAVE;
}

static void test_osxsave(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & CPUID1_ECX_XSAVE)) {
		verdict_skip(S, "osxsave-follows-cr4", "no XSAVE: CR4.OSXSAVE cannot be set");
		return;
	}
	ureg cr4 = get_cr4();
	unsigned wrong = 0;
	for (unsigned round = 0; round < 4; round++) {
		bool on = round & 1;
		set_cr4(on ? cr4 | CR4_OSXSAVE : cr4 & ~CR4_OSXSAVE);
		for (unsigned k = 0; k < 3; k++)
			wrong += osxsave_bit() != on;
	}
	set_cr4(cr4);
	wrong += osxsave_bit() != !!(cr4 & CR4_OSXSAVE);
	verdict_check(S, "osxsave-follows-cr4", !wrong, "%u of 13 answers disagree with CR4.OSXSAVE",
		      wrong);
}

static void test_subleaf(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	if (r[0] < 0xb) {
		verdict_skip(S, "subleaf-not-kept", "no leaf 0BH");
		return;
	}
	cpuid(0xb, 0, r);
	if ((r[2] & 0xff) != 0 || !(r[2] & 0xff00)) {
		verdict_skip(S, "subleaf-not-kept", "leaf 0BH reports no topology level 0");
		return;
	}
	unsigned wrong = 0, calls = 0;
	for (unsigned round = 0; round < 4; round++)
		for (unsigned k = 0; k < 3; k++) {
			uint32_t level = round & 1 ? 2 - k : k;
			cpuid(0xb, level, r);
			calls++;
			wrong += (r[2] & 0xff) != level;
		}
	verdict_check(S, "subleaf-not-kept", !wrong, "%u of %u answers name another level", wrong,
		      calls);
}

int guest_main(const struct keel_start_info *si)
{
	(void)si;
	test_identity();
	test_repeat();
	test_osxsave();
	test_subleaf();
	return 0;
}
