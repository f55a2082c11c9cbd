/* Multiboot2 information parser. The MBI is untrusted: every tag is bounds-checked against the
 * MBI's total size before any field is read (Multiboot2 spec §3.6). */
#include <keel/bootinfo.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/unaligned.h>

enum {
	TAG_END = 0, TAG_CMDLINE = 1, TAG_LOADER = 2, TAG_MODULE = 3, TAG_MMAP = 6, TAG_EFI32 = 11,
	TAG_EFI64 = 12, TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15, TAG_EFI_MMAP = 17, TAG_EFI32_IH = 19,
	TAG_EFI64_IH = 20, TAG_MAX = 32,
};

struct mb2_ctx {
	struct bootinfo *bi;
	const u8 *base;
	u64 pa;
	u32 seen; /* bit per tag type already parsed */
	const u8 *efi_mmap;
	u32 efi_mmap_size;
};

typedef int (*tag_fn)(struct mb2_ctx *c, const u8 *t, u32 size, u32 off);

struct tag_desc {
	u32 min_size;
	bool once;
	const char *name;
	tag_fn fn;
};

static int mb2_string(struct mb2_ctx *c, const u8 *s, u32 len, char *dst, size_t dstsz,
		      const char *what)
{
	size_t n = strnlen((const char *)s, len);
	if (n == len)
		return bi_fail(c->bi, EINVAL, "mb2: %s string is not NUL-terminated", what);
	if (n >= dstsz)
		return bi_fail(c->bi, E2BIG, "mb2: %s is %zu bytes long (at most %zu)", what, n, dstsz - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

static int tag_cmdline(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	(void)off;
	return mb2_string(c, t + 8, size - 8, c->bi->cmdline, sizeof(c->bi->cmdline), "command line");
}

static int tag_loader(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	(void)off;
	return mb2_string(c, t + 8, size - 8, c->bi->loader_name, sizeof(c->bi->loader_name),
			  "boot loader name");
}

static int tag_module(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	struct bootinfo *bi = c->bi;
	(void)off;
	if (bi->nmods >= BI_MAX_MODULES)
		return bi_fail(bi, E2BIG, "mb2: more than %d modules", BI_MAX_MODULES);
	const char *s = (const char *)t + 16;
	size_t n = strnlen(s, size - 16);
	if (n == size - 16)
		return bi_fail(bi, EINVAL, "mb2: module %u string is not NUL-terminated", bi->nmods);
	int r = bootinfo_set_module(bi, bi->nmods, get_le32(t + 8), get_le32(t + 12), s, n);
	if (r)
		return r;
	bi->nmods++;
	return 0;
}

static int tag_mmap(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	struct bootinfo *bi = c->bi;
	u32 esz = get_le32(t + 8);
	(void)off;
	if (esz < 24 || esz % 8)
		return bi_fail(bi, EINVAL, "mb2: memory map entry size %u is invalid (need >= 24, multiple of 8)", esz);
	u32 bytes = size - 16;
	if (bytes % esz)
		return bi_fail(bi, EINVAL, "mb2: memory map is truncated (%u bytes is not a multiple of entry size %u)",
			       bytes, esz);
	if (bytes / esz > BI_MAX_MMAP)
		return bi_fail(bi, E2BIG, "mb2: memory map has %u entries (at most %d)", bytes / esz, BI_MAX_MMAP);
	for (u32 i = 0; i < bytes / esz; i++) {
		const u8 *e = t + 16 + (u64)i * esz;
		bi->mmap[bi->nmmap++] = (struct bi_range){ get_le64(e), get_le64(e + 8), get_le32(e + 16) };
	}
	return 0;
}

static int tag_efi(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	u32 type = get_le32(t);
	(void)off;
	c->bi->firmware = BI_FW_UEFI;
	u64 v = size >= 16 && (type == TAG_EFI64 || type == TAG_EFI64_IH) ? get_le64(t + 8) : get_le32(t + 8);
	if (type == TAG_EFI32 || type == TAG_EFI64)
		c->bi->efi_systab = v;
	else
		c->bi->efi_image = v;
	return 0;
}

static int tag_acpi(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	struct bootinfo *bi = c->bi;
	bool is_new = get_le32(t) == TAG_ACPI_NEW;
	/* Tag 15 (ACPI 2.0+ RSDP) wins over tag 14 when both are present. */
	if (!is_new && bi->rsdp_src == BI_RSDP_TAG15)
		return 0;
	bi->rsdp_src = is_new ? BI_RSDP_TAG15 : BI_RSDP_TAG14;
	bi->rsdp_pa = c->pa + off + 8;
	bi->rsdp_len = MIN(size - 8, (u32)BI_RSDP_MAX);
	memcpy(bi->rsdp, t + 8, bi->rsdp_len);
	return 0;
}

static int tag_efi_mmap(struct mb2_ctx *c, const u8 *t, u32 size, u32 off)
{
	(void)off;
	c->bi->firmware = BI_FW_UEFI;
	c->bi->efi_mmap = true;
	c->efi_mmap = t;
	c->efi_mmap_size = size;
	return 0;
}

static const struct tag_desc mb2_tags[TAG_MAX] = {
	[TAG_CMDLINE] = { 9, true, "command line", tag_cmdline },
	[TAG_LOADER] = { 9, true, "boot loader name", tag_loader },
	[TAG_MODULE] = { 17, false, "module", tag_module },
	[TAG_MMAP] = { 16, true, "memory map", tag_mmap },
	[TAG_EFI32] = { 12, true, "EFI32 system table", tag_efi },
	[TAG_EFI64] = { 16, true, "EFI64 system table", tag_efi },
	[TAG_ACPI_OLD] = { 8 + 20, true, "ACPI old RSDP", tag_acpi },
	[TAG_ACPI_NEW] = { 8 + 36, true, "ACPI new RSDP", tag_acpi },
	[TAG_EFI_MMAP] = { 16, true, "EFI memory map", tag_efi_mmap },
	[TAG_EFI32_IH] = { 12, true, "EFI32 image handle", tag_efi },
	[TAG_EFI64_IH] = { 16, true, "EFI64 image handle", tag_efi },
};

/* EFI memory types (UEFI spec 2.x §7.2): after ExitBootServices loader and boot-services
 * memory is free RAM too. */
static u32 efi_type_to_mb(u32 t)
{
	static const u8 map[] = { BI_MEM_RESERVED, BI_MEM_RAM, BI_MEM_RAM, BI_MEM_RAM, BI_MEM_RAM,
				  BI_MEM_RESERVED, BI_MEM_RESERVED, BI_MEM_RAM, BI_MEM_BAD, BI_MEM_ACPI,
				  BI_MEM_NVS };
	return t < sizeof(map) ? map[t] : BI_MEM_RESERVED;
}

static int mb2_efi_mmap_convert(struct mb2_ctx *c)
{
	struct bootinfo *bi = c->bi;
	u32 dsz = get_le32(c->efi_mmap + 8);
	if (dsz < 40)
		return bi_fail(bi, EINVAL, "mb2: EFI memory descriptor size %u is too small (need >= 40)", dsz);
	u32 n = (c->efi_mmap_size - 16) / dsz;
	if (n > BI_MAX_MMAP)
		return bi_fail(bi, E2BIG, "mb2: EFI memory map has %u entries (at most %d)", n, BI_MAX_MMAP);
	for (u32 i = 0; i < n; i++) {
		const u8 *d = c->efi_mmap + 16 + (u64)i * dsz;
		u64 pages = get_le64(d + 24);
		if (pages > (~0ULL >> 12))
			return bi_fail(bi, ERANGE, "mb2: EFI memory descriptor %u has %llu pages", i,
				       (unsigned long long)pages);
		bi->mmap[bi->nmmap++] = (struct bi_range){ get_le64(d + 8), pages << 12, efi_type_to_mb(get_le32(d)) };
	}
	return 0;
}

static int mb2_tag(struct mb2_ctx *c, u32 off, u32 type, u32 size)
{
	const u8 *t = c->base + off;
	if (type >= TAG_MAX || !mb2_tags[type].fn)
		return 0;
	const struct tag_desc *d = &mb2_tags[type];
	if (size < d->min_size)
		return bi_fail(c->bi, EINVAL, "mb2: %s tag (type %u) at offset %#x is truncated: size %u < %u",
			       d->name, type, off, size, d->min_size);
	if (d->once && (c->seen & BIT(type)))
		return bi_fail(c->bi, EINVAL, "mb2: duplicate %s tag (type %u) at offset %#x", d->name, type, off);
	c->seen |= (u32)BIT(type);
	return d->fn(c, t, size, off);
}

int mb2_parse(struct bootinfo *bi, const void *p, u64 pa, u64 avail)
{
	struct mb2_ctx c = { .bi = bi, .base = p, .pa = pa };
	bi->loader = BI_LOADER_MB2;
	if (pa & 7)
		return bi_fail(bi, EINVAL, "mb2: MBI at %#llx is not 8-byte aligned", (unsigned long long)pa);
	if (avail < 16)
		return bi_fail(bi, EFAULT, "mb2: MBI at %#llx is not readable", (unsigned long long)pa);
	u32 total = get_le32(p);
	if (total < 16 || total > BI_MBI_MAX || total > avail)
		return bi_fail(bi, EINVAL, "mb2: MBI total size %u is absurd (need 16..%u, %llu bytes mapped)",
			       total, total > avail ? (u32)MIN(avail, (u64)BI_MBI_MAX) : BI_MBI_MAX,
			       (unsigned long long)avail);
	bi->mbi_pa = pa;
	bi->mbi_len = total;
	for (u32 off = 8; off <= total - 8; off = (u32)ALIGN_UP((u64)off + get_le32(c.base + off + 4), 8)) {
		u32 type = get_le32(c.base + off), size = get_le32(c.base + off + 4);
		if (size < 8)
			return bi_fail(bi, EINVAL, "mb2: tag type %u at offset %#x has size %u (< 8)", type, off, size);
		if (size > total - off)
			return bi_fail(bi, EINVAL, "mb2: tag type %u at offset %#x (size %u) runs past the MBI end (%u bytes)",
				       type, off, size, total);
		if (type == TAG_END) {
			if (!bi->nmmap && c.efi_mmap)
				return mb2_efi_mmap_convert(&c);
			return 0;
		}
		int r = mb2_tag(&c, off, type, size);
		if (r)
			return r;
	}
	return bi_fail(bi, EINVAL, "mb2: no end tag within the MBI's %u bytes", total);
}
