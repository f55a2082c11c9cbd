/* Little-endian loads from byte buffers that may be unaligned (boot loader and ACPI data). */
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

#endif
