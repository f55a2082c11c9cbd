/* Fake guest RAM for the page-walker tests: a few regions at chosen guest-physical addresses,
 * with an accessor that refuses anything outside them and counts what it was asked. */
#ifndef TESTS_HOST_WALK_MEM_H
#define TESTS_HOST_WALK_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include "emul/walk.h"

#define FAKEMEM_REGIONS 4

struct fakemem {
	struct {
		uint64_t gpa, size;
		uint8_t *buf;
	} r[FAKEMEM_REGIONS];
	unsigned nr;
	/* Statistics and fault injection. */
	unsigned reads, cmpxchgs, refused;
	unsigned interfere;      /* the next N cmpxchg calls find the entry changed */
	uint64_t interfere_xor;  /* ... by this XOR, applied to the entry just before comparing */
	bool cmpxchg_refuse;     /* cmpxchg reports "outside RAM" (a ROM-like region) */
};

void fakemem_init(struct fakemem *m);
void fakemem_free(struct fakemem *m);
/* Adds a zeroed region (gpa and size 4 KiB aligned). */
void fakemem_add(struct fakemem *m, uint64_t gpa, uint64_t size);
bool fakemem_has(const struct fakemem *m, uint64_t gpa, uint64_t len);
uint64_t fakemem_rd(const struct fakemem *m, uint64_t gpa, unsigned size);
void fakemem_wr(struct fakemem *m, uint64_t gpa, uint64_t v, unsigned size);
struct emul_mem fakemem_ops(struct fakemem *m);

#endif
