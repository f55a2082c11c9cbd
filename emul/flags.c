/* Arithmetic results and status flags (SDM Vol. 1 3.4.3.1, Appendix A; Vol. 2 per instruction). */
#include "emul_internal.h"

/* PF is set when the low byte has an even number of 1 bits. */
static uint64_t flags_pf(uint64_t res)
{
	unsigned v = (unsigned)(res ^ (res >> 4)) & 0xf;

	return ((0x6996u >> v) & 1) ? 0 : EMUL_RFLAGS_PF;
}

/* ZF, SF, PF from the result; the other flags kept. */
static inline uint64_t flags_szp(uint64_t res, unsigned size, uint64_t rflags)
{
	res = emul_trunc(res, size);
	rflags &= ~(uint64_t)(EMUL_RFLAGS_ZF | EMUL_RFLAGS_SF | EMUL_RFLAGS_PF);
	rflags |= flags_pf(res);
	if (!res)
		rflags |= EMUL_RFLAGS_ZF;
	if (res >> (size * 8 - 1))
		rflags |= EMUL_RFLAGS_SF;
	return rflags;
}

uint64_t emul_flags_szp(uint64_t res, unsigned size, uint64_t rflags)
{
	return flags_szp(res, size, rflags);
}

/* AND/OR/XOR/TEST: CF = OF = 0, SF ZF PF from the result; AF is undefined (SDM), left cleared. */
static inline uint64_t flags_logic(uint64_t res, unsigned size, uint64_t rflags)
{
	rflags &= ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF | EMUL_RFLAGS_AF);
	return flags_szp(res, size, rflags);
}

uint64_t emul_flags_logic(uint64_t res, unsigned size, uint64_t rflags)
{
	return flags_logic(res, size, rflags);
}

static uint64_t flags_add(uint64_t a, uint64_t b, uint64_t res, bool carry, unsigned size,
			  uint64_t rflags)
{
	unsigned top = size * 8 - 1;

	rflags &= ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF | EMUL_RFLAGS_AF);
	if (carry)
		rflags |= EMUL_RFLAGS_CF;
	if ((((a ^ res) & (b ^ res)) >> top) & 1)
		rflags |= EMUL_RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		rflags |= EMUL_RFLAGS_AF;
	return flags_szp(res, size, rflags);
}

static uint64_t flags_sub(uint64_t a, uint64_t b, uint64_t res, bool borrow, unsigned size,
			  uint64_t rflags)
{
	unsigned top = size * 8 - 1;

	rflags &= ~(uint64_t)(EMUL_RFLAGS_CF | EMUL_RFLAGS_OF | EMUL_RFLAGS_AF);
	if (borrow)
		rflags |= EMUL_RFLAGS_CF;
	if ((((a ^ b) & (a ^ res)) >> top) & 1)
		rflags |= EMUL_RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		rflags |= EMUL_RFLAGS_AF;
	return flags_szp(res, size, rflags);
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP on `size`-byte values: the result, *rflags updated. */
uint64_t emul_alu(unsigned sub, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
	uint64_t c = *rflags & EMUL_RFLAGS_CF, res;

	a = emul_trunc(a, size);
	b = emul_trunc(b, size);
	switch (sub) {
	case ALU_ADD:
	case ALU_ADC:
		c = sub == ALU_ADC ? c : 0;
		res = emul_trunc(a + b + c, size);
		*rflags = flags_add(a, b, res, res < a || (c && res == a), size, *rflags);
		return res;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		c = sub == ALU_SBB ? c : 0;
		res = emul_trunc(a - b - c, size);
		*rflags = flags_sub(a, b, res, a < b || (c && a == b), size, *rflags);
		return res;
	case ALU_OR:
		res = a | b;
		break;
	case ALU_AND:
		res = a & b;
		break;
	default:
		res = a ^ b;
		break;
	}
	*rflags = flags_logic(res, size, *rflags);
	return res;
}
