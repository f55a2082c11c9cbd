#include "mbi_build.h"

#include <string.h>

const struct mm_entry mm_qemu[] = {
	{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 }, { 0x100000, 0x1fee0000, 1 },
	{ 0x1ffe0000, 0x20000, 2 }, { 0xfffc0000, 0x40000, 2 },
};
const unsigned mm_qemu_n = sizeof(mm_qemu) / sizeof(mm_qemu[0]);

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

void mbi_init(struct mbi *m)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->len = 8;
}

void mbi_tag_sized(struct mbi *m, uint32_t type, uint32_t size, const void *payload, uint32_t plen)
{
	uint8_t *t = m->buf + m->len;
	put32(t, type);
	put32(t + 4, size);
	if (plen)
		memcpy(t + 8, payload, plen);
	m->len += (8 + plen + 7) & ~7u;
}

void mbi_tag(struct mbi *m, uint32_t type, const void *payload, uint32_t plen)
{
	mbi_tag_sized(m, type, 8 + plen, payload, plen);
}

void mbi_str(struct mbi *m, uint32_t type, const char *s) { mbi_tag(m, type, s, (uint32_t)strlen(s) + 1); }

void mbi_module(struct mbi *m, uint32_t start, uint32_t end, const char *s)
{
	uint8_t p[512];
	put32(p, start);
	put32(p + 4, end);
	size_t n = strlen(s) + 1;
	memcpy(p + 8, s, n);
	mbi_tag(m, 3, p, (uint32_t)(8 + n));
}

void mbi_mmap(struct mbi *m, const struct mm_entry *e, unsigned n)
{
	static uint8_t p[8 + 24 * 512];
	put32(p, 24);
	put32(p + 4, 0);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *q = p + 8 + 24 * i;
		memcpy(q, &e[i].base, 8);
		memcpy(q + 8, &e[i].len, 8);
		put32(q + 16, e[i].type);
		put32(q + 20, 0);
	}
	mbi_tag(m, 6, p, 8 + 24 * n);
}

void mbi_end(struct mbi *m)
{
	mbi_tag(m, 0, NULL, 0);
	put32(m->buf, m->len);
}
