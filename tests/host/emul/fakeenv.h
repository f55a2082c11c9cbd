/* A fake guest for host tests: RAM and device windows over host buffers, a device that answers
 * accesses from its own byte array, fake vector registers, and a driver for the ACCESS/complete
 * loop. */
#ifndef TESTS_EMUL_FAKEENV_H
#define TESTS_EMUL_FAKEENV_H

#include <stdint.h>
#include "emul/emul.h"

#define FE_MAX_WIN 5
/* Identity page tables the fake guest pages with (a RAM window of their own): 4-level paging
 * with 1-GiB pages for 64-bit mode (0-512 GiB, and the top 512 GiB onto 0-512 GiB), 32-bit
 * paging with 4-MiB pages for protected mode; A and D already set. */
#define FE_PT_GPA 0xc0000000ull /* below 4 GiB: CR3 of 32-bit paging */
#define FE_PML4_GPA FE_PT_GPA
#define FE_PD32_GPA (FE_PT_GPA + 0x3000)

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
/* Read-only view of the identity page tables, for environments other than fake_env. */
int fe_tables_read(uint64_t gpa, void *buf, uint32_t len);
void fe_add_ram(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len);
void fe_add_dev(struct fake_env *f, uint64_t gpa, void *mem, uint64_t len);
/* Answer one pending access from the device windows / ports. */
int fe_answer(struct fake_env *f, struct emul *e);
/* Run emul_start and answer accesses until a final status; at most `max_steps` accesses. */
int fe_run(struct fake_env *f, struct emul *e, struct emul_regs *r, int max_steps);
/* The same with what the exit reported (NULL: nothing). */
int fe_run_exit(struct fake_env *f, struct emul *e, struct emul_regs *r,
		const struct emul_exit *x, int max_steps);
/* Flat segments for `mode` (CS.L/D set accordingly), CR0/CR3/CR4/EFER to match: paging on
 * through the identity tables outside real mode. */
void fe_regs_mode(struct emul_regs *r, enum emul_mode mode);

#endif
