/* Host-CPU oracle: one random case per call, run natively and under emul/, compared. */
#ifndef TESTS_EMUL_CPU_ORACLE_H
#define TESTS_EMUL_CPU_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include "manifest.h"

#define CPU_DEV_OFF 0x1000u  /* device window: two pages */
#define CPU_DEV_LEN 0x2000u
#define CPU_STK_OFF 0x3000u  /* RAM page: stack and RAM string operands */
#define CPU_STK_LEN 0x1000u
#define CPU_AREA_LEN 0x5000u

struct cpu_ctx {
	uint64_t gpr[16];
	uint64_t rflags, target, host_rsp, pad;
	uint8_t ymm[16][32];
};

struct cpu_state {
	uint64_t gpr[16], rflags;
	uint8_t ymm[16][32];
	uint8_t dev[CPU_DEV_LEN], stk[CPU_STK_LEN];
};

struct cpu_case {
	const struct mf_entry *m;
	uint8_t code[32];
	int len;
	struct cpu_state in;
};

/* Fills c with a random case of entry m (64-bit mode); area = the mapped pages. */
bool cpu_case_make(struct cpu_case *c, const struct mf_entry *m, uint8_t *area, uint64_t *rng);

#endif
