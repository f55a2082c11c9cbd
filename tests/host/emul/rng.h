/* Seeded pseudo-random numbers for the host tests (splitmix64). */
#ifndef TESTS_EMUL_RNG_H
#define TESTS_EMUL_RNG_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline unsigned rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

/* EMUL_SEED from the environment, else the clock. */
static inline uint64_t rng_seed(void)
{
	const char *e = getenv("EMUL_SEED");

	return e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL);
}

#endif
