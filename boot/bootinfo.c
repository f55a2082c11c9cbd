/* Loader-independent half of boot-information parsing: the module-naming rule and the checks
 * that apply whatever loader delivered the data (overlaps, names, memory map sanity). */
#include <keel/acpi.h>
#include <keel/bootinfo.h>
#include <keel/format.h>
#include <keel/phys.h>
#include <keel/string.h>

int bi_fail(struct bootinfo *bi, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(bi->err, sizeof(bi->err), fmt, ap);
	va_end(ap);
	return -err;
}

const char *bi_mem_type_name(u32 type)
{
	static const char *const names[] = { "?", "ram", "reserved", "acpi", "nvs", "bad" };
	return type < ARRAY_SIZE(names) ? names[type] : "reserved";
}

static bool bi_blank(char c) { return c == ' ' || c == '\t'; }

int bootinfo_set_module(struct bootinfo *bi, unsigned i, u64 start, u64 end, const char *str, size_t len)
{
	struct bi_module *m = &bi->mods[i];
	if (end < start)
		return bi_fail(bi, EINVAL, "module %u [%#llx-%#llx): end is below start", i,
			       (unsigned long long)start, (unsigned long long)end);
	size_t w = 0;
	while (w < len && bi_blank(str[w]))
		w++;
	size_t name = w;
	while (w < len && !bi_blank(str[w])) {
		if (str[w] == '/')
			name = w + 1;
		if ((u8)str[w] < 0x21 || (u8)str[w] > 0x7e)
			return bi_fail(bi, EINVAL, "module %u string has a non-printable byte %#x", i, (u8)str[w]);
		w++;
	}
	if (w == name)
		return bi_fail(bi, EINVAL, "module %u [%#llx-%#llx) has no name; give one after the file on its module2 line",
			       i, (unsigned long long)start, (unsigned long long)end);
	if (w - name >= BI_NAME_MAX)
		return bi_fail(bi, E2BIG, "module %u name is longer than %d bytes", i, BI_NAME_MAX - 1);
	size_t a = w;
	while (a < len && bi_blank(str[a]))
		a++;
	if (len - a >= BI_ARGS_MAX)
		return bi_fail(bi, E2BIG, "module %u '%.*s' arguments are longer than %d bytes", i, (int)(w - name),
			       str + name, BI_ARGS_MAX - 1);
	m->start = start;
	m->end = end;
	memcpy(m->name, str + name, w - name);
	m->name[w - name] = 0;
	memcpy(m->args, str + a, len - a);
	m->args[len - a] = 0;
	return 0;
}

const struct bi_module *bootinfo_module(const struct bootinfo *bi, const char *name)
{
	for (unsigned i = 0; i < bi->nmods; i++)
		if (!strcmp(bi->mods[i].name, name))
			return &bi->mods[i];
	return NULL;
}

static bool ranges_overlap(u64 a0, u64 a1, u64 b0, u64 b1) { return a0 < b1 && b0 < a1; }

static int bi_check_module(struct bootinfo *bi, unsigned i, u64 img0, u64 img1)
{
	const struct bi_module *m = &bi->mods[i];
	unsigned long long s = m->start, e = m->end;
	if (ranges_overlap(s, e, img0, img1))
		return bi_fail(bi, EINVAL, "module %u '%s' [%#llx-%#llx) overlaps Keel's image [%#llx-%#llx)", i,
			       m->name, s, e, (unsigned long long)img0, (unsigned long long)img1);
	if (ranges_overlap(s, e, bi->mbi_pa, bi->mbi_pa + bi->mbi_len))
		return bi_fail(bi, EINVAL, "module %u '%s' [%#llx-%#llx) overlaps the boot information at %#llx", i,
			       m->name, s, e, (unsigned long long)bi->mbi_pa);
	if (e > 1ULL << 32)
		return bi_fail(bi, ERANGE, "module %u '%s' ends above 4 GiB", i, m->name);
	for (unsigned j = 0; j < i; j++) {
		const struct bi_module *o = &bi->mods[j];
		if (!strcmp(m->name, o->name))
			return bi_fail(bi, EEXIST, "duplicate module name '%s' (modules %u and %u); module names must be unique",
				       m->name, j, i);
		if (ranges_overlap(s, e, o->start, o->end))
			return bi_fail(bi, EINVAL, "module %u '%s' [%#llx-%#llx) overlaps module %u '%s' [%#llx-%#llx)",
				       i, m->name, s, e, j, o->name, (unsigned long long)o->start,
				       (unsigned long long)o->end);
	}
	return 0;
}

static int bi_check_mmap(struct bootinfo *bi)
{
	bool ram = false, high = false;
	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct bi_range *r = &bi->mmap[i];
		if (r->base + r->len < r->base)
			return bi_fail(bi, ERANGE, "memory map entry %u [%#llx, +%#llx) wraps around", i,
				       (unsigned long long)r->base, (unsigned long long)r->len);
		if (r->type != BI_MEM_RAM || r->len < PAGE_SIZE)
			continue;
		ram = true;
		high |= r->base + r->len > (1ULL << 20) + PAGE_SIZE;
	}
	if (!ram)
		return bi_fail(bi, ENOMEM, "the memory map (%u entries) has no usable RAM", bi->nmmap);
	if (!high)
		return bi_fail(bi, ENOMEM, "the memory map has no usable RAM above 1 MiB");
	return 0;
}

int bootinfo_check(struct bootinfo *bi, u64 img0, u64 img1)
{
	if (ranges_overlap(bi->mbi_pa, bi->mbi_pa + bi->mbi_len, img0, img1))
		return bi_fail(bi, EINVAL, "the boot information [%#llx-%#llx) overlaps Keel's image",
			       (unsigned long long)bi->mbi_pa, (unsigned long long)(bi->mbi_pa + bi->mbi_len));
	for (unsigned i = 0; i < bi->nmods; i++) {
		int r = bi_check_module(bi, i, img0, img1);
		if (r)
			return r;
	}
	return bi_check_mmap(bi);
}

static void bi_find_rsdp(struct bootinfo *bi)
{
	u64 pa = acpi_rsdp_scan();
	const u8 *p = pa ? phys_map(pa, 20) : NULL;
	if (!p)
		return;
	unsigned len = p[15] >= 2 && phys_map(pa, BI_RSDP_MAX) ? BI_RSDP_MAX : 20;
	memcpy(bi->rsdp, p, len);
	bi->rsdp_len = len;
	bi->rsdp_pa = pa;
	bi->rsdp_src = BI_RSDP_SCAN;
}

int bootinfo_parse(struct bootinfo *bi, u32 magic, u64 info_pa, u64 img0, u64 img1)
{
	memset(bi, 0, sizeof(*bi));
	u64 avail = MIN(phys_mapped_bytes(info_pa), (u64)BI_MBI_MAX);
	const void *p = avail ? phys_map(info_pa, avail) : NULL;
	int r;
	if (magic == MB2_BOOT_MAGIC)
		r = mb2_parse(bi, p, info_pa, p ? avail : 0);
	else if (magic == MB1_BOOT_MAGIC)
		r = mb1_parse(bi, p, info_pa, p ? avail : 0);
	else
		r = bi_fail(bi, EINVAL, "boot magic %#x is neither multiboot2 (%#x) nor multiboot1 (%#x)", magic,
			    MB2_BOOT_MAGIC, MB1_BOOT_MAGIC);
	if (r)
		return r;
	if (!bi->loader_name[0])
		memcpy(bi->loader_name, "?", 2);
	if (bi->rsdp_src == BI_RSDP_NONE && bi->firmware == BI_FW_BIOS)
		bi_find_rsdp(bi);
	return bootinfo_check(bi, img0, img1);
}
