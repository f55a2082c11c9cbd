/* Multiboot1 information parser (QEMU -kernel, GRUB `multiboot`). Fields count only when their
 * flag bit is set (Multiboot 0.6.96 §3.3); every pointer is checked through phys_map. */
#include <keel/bootinfo.h>
#include <keel/phys.h>
#include <keel/string.h>
#include <keel/unaligned.h>

#define MB1_INFO_MIN 88 /* through the VBE fields; older loaders end there */
#define MB1_MOD_SIZE 16

enum {
	F_MEM = BIT(0), F_CMDLINE = BIT(2), F_MODS = BIT(3), F_MMAP = BIT(6), F_LOADER = BIT(9),
};

/* Copies the NUL-terminated string at physical pa into dst (dstsz bytes at most, NUL included). */
static int mb1_str(struct bootinfo *bi, u64 pa, char *dst, size_t dstsz, const char *what)
{
	u64 avail = phys_mapped_bytes(pa);
	const char *s = avail ? phys_map(pa, 1) : NULL;
	if (!s)
		return bi_fail(bi, EFAULT, "mb1: %s at %#llx is not in mapped memory", what, (unsigned long long)pa);
	size_t lim = (size_t)MIN(avail, (u64)dstsz);
	size_t n = strnlen(s, lim);
	if (n == lim)
		return bi_fail(bi, E2BIG, "mb1: %s at %#llx is longer than %zu bytes or not terminated", what,
			       (unsigned long long)pa, dstsz - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* Multiboot1 loaders put the kernel's own path first on its command line: drop that word. */
static void mb1_strip_image_path(char *cmd)
{
	char *p = cmd;
	while (*p == ' ')
		p++;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	memmove(cmd, p, strlen(p) + 1);
}

static int mb1_mods(struct bootinfo *bi, u32 count, u64 addr)
{
	static char str[BI_NAME_MAX + BI_ARGS_MAX];
	if (count > BI_MAX_MODULES)
		return bi_fail(bi, E2BIG, "mb1: %u modules (at most %d)", count, BI_MAX_MODULES);
	const u8 *m = phys_map(addr, (u64)count * MB1_MOD_SIZE);
	if (count && !m)
		return bi_fail(bi, EFAULT, "mb1: module list at %#llx is not in mapped memory", (unsigned long long)addr);
	for (u32 i = 0; i < count; i++, m += MB1_MOD_SIZE) {
		u32 spa = get_le32(m + 8);
		str[0] = 0;
		if (spa) {
			int r = mb1_str(bi, spa, str, sizeof(str), "module string");
			if (r)
				return r;
		}
		int r = bootinfo_set_module(bi, i, get_le32(m), get_le32(m + 4), str, strlen(str));
		if (r)
			return r;
		bi->nmods = i + 1;
	}
	return 0;
}

static int mb1_mmap(struct bootinfo *bi, u32 len, u64 addr)
{
	const u8 *p = phys_map(addr, len);
	if (len && !p)
		return bi_fail(bi, EFAULT, "mb1: memory map at %#llx is not in mapped memory", (unsigned long long)addr);
	for (u32 off = 0; off < len;) {
		if (len - off < 4)
			return bi_fail(bi, EINVAL, "mb1: memory map is truncated at byte %u of %u", off, len);
		u32 size = get_le32(p + off);
		if (size < 20 || size > len - off - 4)
			return bi_fail(bi, EINVAL, "mb1: memory map entry at byte %u has size %u (need 20..%u)", off,
				       size, len - off >= 4 ? len - off - 4 : 0);
		if (bi->nmmap >= BI_MAX_MMAP)
			return bi_fail(bi, E2BIG, "mb1: memory map has more than %d entries", BI_MAX_MMAP);
		const u8 *e = p + off + 4;
		bi->mmap[bi->nmmap++] = (struct bi_range){ get_le64(e), get_le64(e + 8), get_le32(e + 16) };
		off += size + 4;
	}
	return 0;
}

static int mb1_meminfo(struct bootinfo *bi, u32 lower_kib, u32 upper_kib)
{
	bi->mmap[bi->nmmap++] = (struct bi_range){ 0, (u64)lower_kib << 10, BI_MEM_RAM };
	bi->mmap[bi->nmmap++] = (struct bi_range){ 1ULL << 20, (u64)upper_kib << 10, BI_MEM_RAM };
	return 0;
}

int mb1_parse(struct bootinfo *bi, const void *info, u64 pa, u64 avail)
{
	const u8 *p = info;
	int r = 0;
	bi->loader = BI_LOADER_MB1;
	bi->firmware = BI_FW_BIOS;
	if (avail < MB1_INFO_MIN)
		return bi_fail(bi, EFAULT, "mb1: boot information at %#llx is truncated (%llu bytes, need %d)",
			       (unsigned long long)pa, (unsigned long long)avail, MB1_INFO_MIN);
	bi->mbi_pa = pa;
	bi->mbi_len = MB1_INFO_MIN;
	u32 flags = get_le32(p);
	if (flags & F_CMDLINE) {
		r = mb1_str(bi, get_le32(p + 16), bi->cmdline, sizeof(bi->cmdline), "command line");
		mb1_strip_image_path(bi->cmdline);
	}
	if (!r && (flags & F_LOADER))
		r = mb1_str(bi, get_le32(p + 64), bi->loader_name, sizeof(bi->loader_name), "boot loader name");
	if (!r && (flags & F_MODS))
		r = mb1_mods(bi, get_le32(p + 20), get_le32(p + 24));
	if (r)
		return r;
	if (flags & F_MMAP)
		return mb1_mmap(bi, get_le32(p + 44), get_le32(p + 48));
	if (flags & F_MEM)
		return mb1_meminfo(bi, get_le32(p + 4), get_le32(p + 8));
	return bi_fail(bi, ENODATA, "mb1: no memory information (flags %#x: bits 0 and 6 clear)", flags);
}
