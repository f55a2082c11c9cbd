/* ELF32/ELF64 and flat-binary guest images. The image is untrusted: every header field is
 * range-checked before use, and every segment must land inside guest RAM above the area Keel
 * builds (KEEL_GUEST_IMAGE_MIN). */
#include <keel/loader.h>
#include <keel/errno.h>
#include <keel/string.h>

#define EI_CLASS 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PHDR_MAX 64

struct elf_seg {
	u64 offset, filesz, paddr, memsz;
};

struct elf_view {
	const u8 *img;
	u64 len;
	bool is64;
	u64 entry, phoff;
	u32 phnum, phentsize;
};

static u64 rd(const u8 *p, unsigned n)
{
	u64 v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static int elf_header(struct elf_view *e, const char **why)
{
	const u8 *h = e->img;
	e->is64 = h[EI_CLASS] == ELFCLASS64;
	if (h[EI_CLASS] != ELFCLASS32 && !e->is64)
		return *why = "ELF class is neither 32- nor 64-bit", -ENOEXEC;
	if (h[5] != 1)
		return *why = "ELF is not little-endian", -ENOEXEC;
	if (e->len < (e->is64 ? 64u : 52u))
		return *why = "ELF header truncated", -ENOEXEC;
	u64 machine = rd(h + 18, 2);
	if (machine != (e->is64 ? EM_X86_64 : EM_386))
		return *why = "ELF machine is not x86", -ENOEXEC;
	if (rd(h + 16, 2) != ET_EXEC)
		return *why = "ELF is not an executable (ET_EXEC)", -ENOEXEC;
	e->entry = e->is64 ? rd(h + 24, 8) : rd(h + 24, 4);
	e->phoff = e->is64 ? rd(h + 32, 8) : rd(h + 28, 4);
	e->phentsize = (u32)rd(h + (e->is64 ? 54 : 42), 2);
	e->phnum = (u32)rd(h + (e->is64 ? 56 : 44), 2);
	if (e->phentsize < (e->is64 ? 56u : 32u) || e->phnum == 0 || e->phnum > PHDR_MAX)
		return *why = "ELF program header table size is invalid", -ENOEXEC;
	if (e->phoff > e->len || (u64)e->phnum * e->phentsize > e->len - e->phoff)
		return *why = "ELF program headers lie outside the image", -ENOEXEC;
	return 0;
}

static void elf_segment(const struct elf_view *e, u32 i, u32 *type, struct elf_seg *s)
{
	const u8 *p = e->img + e->phoff + (u64)i * e->phentsize;
	*type = (u32)rd(p, 4);
	if (e->is64)
		*s = (struct elf_seg){ rd(p + 8, 8), rd(p + 32, 8), rd(p + 24, 8), rd(p + 40, 8) };
	else
		*s = (struct elf_seg){ rd(p + 4, 4), rd(p + 16, 4), rd(p + 12, 4), rd(p + 20, 4) };
}

static int elf_check_segment(const struct elf_view *e, const struct elf_seg *s, u64 ram_size,
			     const char **why)
{
	if (s->filesz > s->memsz)
		return *why = "ELF segment has filesz > memsz", -ENOEXEC;
	if (s->offset > e->len || s->filesz > e->len - s->offset)
		return *why = "ELF segment data lies outside the image", -ENOEXEC;
	if (s->paddr < KEEL_GUEST_IMAGE_MIN)
		return *why = "ELF segment loads below 0x10000 (Keel's boot area)", -ENOEXEC;
	if (s->paddr >= ram_size || s->memsz > ram_size - s->paddr)
		return *why = "ELF segment does not fit in the partition's RAM", -ENOEXEC;
	return 0;
}

static int elf_load(u8 *ram, u64 ram_size, struct elf_view *e, struct guest_image *out,
		    const char **why)
{
	int rc = elf_header(e, why);
	if (rc)
		return rc;
	out->start = ~0ull;
	out->end = 0;
	for (u32 i = 0; i < e->phnum; i++) {
		u32 type;
		struct elf_seg s;
		elf_segment(e, i, &type, &s);
		if (type != PT_LOAD || !s.memsz)
			continue;
		if ((rc = elf_check_segment(e, &s, ram_size, why)))
			return rc;
		memcpy(ram + s.paddr, e->img + s.offset, s.filesz);
		memset(ram + s.paddr + s.filesz, 0, s.memsz - s.filesz);
		out->start = MIN(out->start, s.paddr);
		out->end = MAX(out->end, s.paddr + s.memsz);
	}
	if (!out->end)
		return *why = "ELF has no loadable segment", -ENOEXEC;
	if (e->entry < out->start || e->entry >= out->end)
		return *why = "ELF entry point lies outside its loaded segments", -ENOEXEC;
	out->entry = e->entry;
	out->format = e->is64 ? "elf64" : "elf32";
	return 0;
}

static int flat_load(u8 *ram, u64 ram_size, const u8 *img, u64 len, enum keel_entry_mode mode,
		     struct guest_image *out, const char **why)
{
	u64 at = mode == KEEL_ENTRY_REAL ? KEEL_GUEST_IMAGE_MIN : KEEL_GUEST_FLAT_LOAD;
	u64 limit = mode == KEEL_ENTRY_REAL ? 0xa0000 : ram_size;
	if (at >= ram_size || len > MIN(limit, ram_size) - at)
		return *why = "flat image does not fit in the partition's RAM", -ENOEXEC;
	memcpy(ram + at, img, len);
	*out = (struct guest_image){ .entry = at, .start = at, .end = at + len, .format = "flat" };
	return 0;
}

static bool mode_accepts(enum keel_entry_mode mode, const struct guest_image *g, bool is64)
{
	if (mode == KEEL_ENTRY_LONG64)
		return is64;
	if (mode == KEEL_ENTRY_REAL)
		return !is64 && g->end <= 0xa0000;
	return !is64 && g->end <= 0x100000000ull;
}

int loader_load(u8 *ram, u64 ram_size, const u8 *img, u64 len, enum keel_entry_mode mode,
		struct guest_image *out, const char **why)
{
	*why = "";
	if (len == 0)
		return *why = "image is empty", -ENOEXEC;
	if (len < 4 || memcmp(img, "\177ELF", 4))
		return flat_load(ram, ram_size, img, len, mode, out, why);
	struct elf_view e = { .img = img, .len = len };
	if (len < 6)
		return *why = "ELF header truncated", -ENOEXEC;
	int rc = elf_load(ram, ram_size, &e, out, why);
	if (rc)
		return rc;
	if (!mode_accepts(mode, out, e.is64))
		return *why = "ELF class or placement does not suit the entry mode", -ENOEXEC;
	return 0;
}
