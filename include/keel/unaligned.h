/* Little-endian loads and stores on byte buffers that may be unaligned (boot loader and ACPI
 * data, device data of guest accesses). */
#ifndef KEEL_UNALIGNED_H
#define KEEL_UNALIGNED_H

#include <keel/types.h>

static inline u16 get_le16(const void *p)
{
	const u8 *b = p;
	return (u16)(b[0] | b[1] << 8);
}

static inline u32 get_le32(const void *p)
{
	const u8 *b = p;
	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u64 get_le64(const void *p)
{
	return get_le32(p) | (u64)get_le32((const u8 *)p + 4) << 32;
}

/* An access's element of 1, 2, 4 or 8 bytes (any other size: 8) as a value and back; x86 is
 * little-endian, so each is one load or store (the exit paths move device data with these). */
static inline u64 get_le(const void *p, unsigned size)
{
	u8 b;
	u16 h;
	u32 w;
	u64 q;
	switch (size) {
	case 1: __builtin_memcpy(&b, p, 1); return b;
	case 2: __builtin_memcpy(&h, p, 2); return h;
	case 4: __builtin_memcpy(&w, p, 4); return w;
	default: __builtin_memcpy(&q, p, 8); return q;
	}
}

static inline void put_le(void *p, unsigned size, u64 v)
{
	u8 b = (u8)v;
	u16 h = (u16)v;
	u32 w = (u32)v;
	switch (size) {
	case 1: __builtin_memcpy(p, &b, 1); break;
	case 2: __builtin_memcpy(p, &h, 2); break;
	case 4: __builtin_memcpy(p, &w, 4); break;
	default: __builtin_memcpy(p, &v, 8); break;
	}
}

#endif
