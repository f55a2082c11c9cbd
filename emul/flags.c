/* Arithmetic results and status flags (SDM Vol. 1 3.4.3.1, Appendix A; Vol. 2 per instruction). */
#include "emul_internal.h"

/* PF is set when the low byte has an even number of 1 bits. */
static inline uint64_t flags_pf(uint64_t res)
{
	unsigned v = (unsigned)(res ^ (res >> 4)) & 0xf;

	return ((0x6996u >> v) & 1) ? 0 : EMUL_RFLAGS_PF;
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

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP on `size`-byte values: the result, *rflags updated. CF is the
 * carry (borrow) out of the top bit, OF a sign overflow, AF the carry (borrow) out of bit 3. */
uint64_t emul_alu(unsigned sub, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
	uint64_t sign = flags_sign(size), mask = sign | (sign - 1), fl = *rflags, c, res, f;

	a &= mask;
	b &= mask;
	c = (sub == ALU_ADC || sub == ALU_SBB) ? fl & EMUL_RFLAGS_CF : 0;
	switch (sub) {
	case ALU_ADD:
	case ALU_ADC:
		res = (a + b + c) & mask;
		f = (res < a || (c && res == a)) ? EMUL_RFLAGS_CF : 0;
		f |= (((a ^ res) & (b ^ res)) & sign) ? EMUL_RFLAGS_OF : 0;
		f |= (a ^ b ^ res) & EMUL_RFLAGS_AF;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		res = (a - b - c) & mask;
		f = (a < b || (c && a == b)) ? EMUL_RFLAGS_CF : 0;
		f |= (((a ^ b) & (a ^ res)) & sign) ? EMUL_RFLAGS_OF : 0;
		f |= (a ^ b ^ res) & EMUL_RFLAGS_AF;
		break;
	case ALU_OR:
		res = a | b;
		f = 0;
		break;
	case ALU_AND:
		res = a & b;
		f = 0;
		break;
	default:
		res = a ^ b;
		f = 0;
		break;
	}
	*rflags = (fl & ~(uint64_t)EMUL_RFLAGS_ARITH) | f | flags_zsp(res, sign);
	return res;
}
