/* A fake guest for host tests: RAM and device windows over host buffers, a device that answers
 * accesses from its own byte array, fake vector registers, and a driver for the ACCESS/complete
 * loop. */
#ifndef TESTS_EMUL_FAKEENV_H
#define TESTS_EMUL_FAKEENV_H

#include <stdint.h>
#include "emul/emul.h"

#define FE_MAX_WIN 4

struct fe_win {
	uint64_t gpa;
	uint64_t len;
	uint8_t *mem;
};

struct fake_env {
	struct emul_env env;
	struct fe_win ram[FE_MAX_WIN], dev[FE_MAX_WIN];
	int nram, ndev;
	uint8_t vec[16][32];          /* fake YMM0-15 */
	uint8_t ports[65536 + 8];     /* PIO: port p reads/writes ports[p..] */
	uint32_t port_fifo_reads;     /* PIO reads answered */
	unsigned accesses, bad;       /* device accesses seen; accesses outside every window */
	uint64_t max_batch;           /* largest batch seen (bytes) */
};

void fe_init(struct fake_env *f);
void fe_add_ram(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len);
void fe_add_dev(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len);
/* Answer one pending access from the device windows / ports. */
int fe_answer(struct fake_env *f, struct emul *e);
/* Run emul_start and answer accesses until a final status; at most `max_steps` accesses. */
int fe_run(struct fake_env *f, struct emul *e, struct emul_regs *r, int max_steps);
/* Flat segments for `mode` (CS.L/D set accordingly), CR0/EFER to match. */
void fe_regs_mode(struct emul_regs *r, enum emul_mode mode);

#endif
