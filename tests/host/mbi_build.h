/* Builders for crafted boot information: multiboot2 MBIs and multiboot1 info blocks. */
#ifndef TESTS_HOST_MBI_BUILD_H
#define TESTS_HOST_MBI_BUILD_H

#include <stdint.h>

struct mbi {
	_Alignas(8) uint8_t buf[1 << 16];
	uint32_t len;
};

struct mm_entry {
	uint64_t base, len;
	uint32_t type;
};

void mbi_init(struct mbi *m);
/* Appends a tag whose size field says 8 + plen (then pads to 8). */
void mbi_tag(struct mbi *m, uint32_t type, const void *payload, uint32_t plen);
/* Appends a tag with an arbitrary size field and `plen` payload bytes. */
void mbi_tag_sized(struct mbi *m, uint32_t type, uint32_t size, const void *payload, uint32_t plen);
void mbi_str(struct mbi *m, uint32_t type, const char *s);
void mbi_module(struct mbi *m, uint32_t start, uint32_t end, const char *s);
void mbi_mmap(struct mbi *m, const struct mm_entry *e, unsigned n);
void mbi_end(struct mbi *m); /* end tag, then total_size */

/* The memory map most tests use: QEMU's, 512 MiB. */
extern const struct mm_entry mm_qemu[];
extern const unsigned mm_qemu_n;

#endif
