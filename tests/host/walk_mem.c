/* Fake guest RAM for the page-walker tests (see walk_mem.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "walk_mem.h"

void fakemem_init(struct fakemem *m)
{
	memset(m, 0, sizeof(*m));
}

void fakemem_free(struct fakemem *m)
{
	for (unsigned i = 0; i < m->nr; i++)
		free(m->r[i].buf);
	fakemem_init(m);
}

void fakemem_add(struct fakemem *m, uint64_t gpa, uint64_t size)
{
	if (m->nr == FAKEMEM_REGIONS || (gpa | size) & 0xfff) {
		fprintf(stderr, "fakemem: bad region %#llx+%#llx\n", (unsigned long long)gpa,
			(unsigned long long)size);
		exit(2);
	}
	m->r[m->nr].gpa = gpa;
	m->r[m->nr].size = size;
	m->r[m->nr].buf = calloc(1, size);
	if (!m->r[m->nr].buf) {
		perror("fakemem");
		exit(2);
	}
	m->nr++;
}

static uint8_t *fakemem_ptr(const struct fakemem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nr; i++) {
		uint64_t off = gpa - m->r[i].gpa;

		if (gpa >= m->r[i].gpa && off < m->r[i].size && len <= m->r[i].size - off)
			return m->r[i].buf + off;
	}
	return NULL;
}

bool fakemem_has(const struct fakemem *m, uint64_t gpa, uint64_t len)
{
	return fakemem_ptr(m, gpa, len) != NULL;
}

uint64_t fakemem_rd(const struct fakemem *m, uint64_t gpa, unsigned size)
{
	uint8_t *p = fakemem_ptr(m, gpa, size);
	uint64_t v = 0;

	if (!p) {
		fprintf(stderr, "fakemem: test read outside RAM at %#llx\n", (unsigned long long)gpa);
		exit(2);
	}
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void fakemem_wr(struct fakemem *m, uint64_t gpa, uint64_t v, unsigned size)
{
	uint8_t *p = fakemem_ptr(m, gpa, size);

	if (!p) {
		fprintf(stderr, "fakemem: test write outside RAM at %#llx\n", (unsigned long long)gpa);
		exit(2);
	}
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int fakemem_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	struct fakemem *m = ctx;
	uint8_t *p = fakemem_ptr(m, gpa, len);

	m->reads++;
	if (!p) {
		m->refused++;
		return -1;
	}
	memcpy(buf, p, len);
	return 0;
}

static int fakemem_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	struct fakemem *m = ctx;
	uint8_t *p = fakemem_ptr(m, gpa, len);

	if (!p) {
		m->refused++;
		return -1;
	}
	memcpy(p, buf, len);
	return 0;
}

static int fakemem_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new, uint32_t size)
{
	struct fakemem *m = ctx;
	uint64_t cur;

	m->cmpxchgs++;
	if ((size != 4 && size != 8) || !fakemem_ptr(m, gpa, size) || m->cmpxchg_refuse) {
		m->refused++;
		return -1;
	}
	if (m->interfere) {
		m->interfere--;
		fakemem_wr(m, gpa, fakemem_rd(m, gpa, size) ^ m->interfere_xor, size);
	}
	cur = fakemem_rd(m, gpa, size);
	if (cur != old)
		return 1;
	fakemem_wr(m, gpa, new, size);
	return 0;
}

struct emul_mem fakemem_ops(struct fakemem *m)
{
	return (struct emul_mem){ .ctx = m, .read = fakemem_read, .write = fakemem_write,
				  .cmpxchg = fakemem_cmpxchg };
}
