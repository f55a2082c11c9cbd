/* Arithmetic results and status flags (SDM Vol. 1 3.4.3.1, Appendix A; Vol. 2 per instruction). */
#include "emul_internal.h"

/* PF is set when the low byte has an even number of 1 bits: PF by byte value. */
#define PF1(v) (((0x6996u >> (((v) ^ ((v) >> 4)) & 0xf)) & 1) ? 0 : EMUL_RFLAGS_PF)
#define PF4(v) PF1(v), PF1((v) + 1), PF1((v) + 2), PF1((v) + 3)
#define PF16(v) PF4(v), PF4((v) + 4), PF4((v) + 8), PF4((v) + 12)
#define PF64(v) PF16(v), PF16((v) + 16), PF16((v) + 32), PF16((v) + 48)
const uint8_t emul_pf_tab[256] = { PF64(0), PF64(64), PF64(128), PF64(192) };

static inline uint64_t flags_pf(uint64_t res)
{
	return emul_pf_tab[res & 0xff];
}

/* ZF, SF, PF of a result already cut to its size (sign = its top bit). */
static inline uint64_t flags_zsp(uint64_t res, uint64_t sign)
{
	return flags_pf(res) | (res ? 0 : EMUL_RFLAGS_ZF) | ((res & sign) ? EMUL_RFLAGS_SF : 0);
}

static inline uint64_t flags_sign(unsigned size)
{
	return 1ull << (size * 8 - 1);
}

/* ZF, SF, PF from the result; the other flags kept. */
uint64_t emul_flags_szp(uint64_t res, unsigned size, uint64_t rflags)
{
	rflags &= ~(uint64_t)(EMUL_RFLAGS_ZF | EMUL_RFLAGS_SF | EMUL_RFLAGS_PF);
	return rflags | flags_zsp(emul_trunc(res, size), flags_sign(size));
}

/* AND/OR/XOR/TEST: CF = OF = 0, SF ZF PF from the result; AF is undefined (SDM), left cleared. */
uint64_t emul_flags_logic(uint64_t res, unsigned size, uint64_t rflags)
{
	rflags &= ~(uint64_t)EMUL_RFLAGS_ARITH;
	return rflags | flags_zsp(emul_trunc(res, size), flags_sign(size));
}

/* ADC and SBB: x, y at the top of 64 bits, the carry in at bit 64 - sh. */
uint64_t emul_alu_carry(unsigned sub, uint64_t a, uint64_t b, unsigned sh, uint64_t *rflags)
{
	uint64_t x = a << sh, y = b << sh, c = (*rflags & EMUL_RFLAGS_CF) << sh, r, t, f;

	if (sub == ALU_ADC) {
		r = x + y;
		t = r + c;
		f = (r < x) | (t < r);
		f |= (((x ^ t) & (y ^ t)) >> 63) << 11;
	} else {
		r = x - y;
		t = r - c;
		f = (x < y) | (r < c);
		f |= (((x ^ y) & (x ^ t)) >> 63) << 11;
	}
	f |= (a ^ b ^ (t >> sh)) & EMUL_RFLAGS_AF;
	*rflags = (*rflags & ~(uint64_t)EMUL_RFLAGS_ARITH) | f | emul_flags_top(t, t >> sh);
	return t >> sh;
}
