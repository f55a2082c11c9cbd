/* Multiboot2 parser on crafted and malformed MBIs (boot/mb2.c, boot/bootinfo.c). */
#include "hostenv.h"
#include "mbi_build.h"

#include <stdio.h>
#include <string.h>

#include <keel/bootinfo.h>

#define MBI_PA 0x200000ULL
#define IMG0 0x100000ULL
#define IMG1 0x140000ULL

static struct mbi m;
static struct bootinfo bi;

/* A GRUB-BIOS-like MBI: command line, loader name, two modules, memory map, old RSDP. */
static void mbi_bios(void)
{
	uint8_t rsdp[20] = "RSD PTR ";
	mbi_init(&m);
	mbi_str(&m, 1, "loglevel=debug test=1");
	mbi_str(&m, 2, "GRUB 2.06-13+deb12u2");
	mbi_module(&m, 0x300000, 0x300100, "cfg");
	mbi_module(&m, 0x301000, 0x305000, "/boot/dir/svc  a=1 b=2");
	mbi_tag(&m, 4, "\x7f\x02\0\0\0\0\x08\0", 8); /* basic meminfo: ignored */
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	mbi_tag(&m, 14, rsdp, sizeof(rsdp));
}

/* Parses m (after mbi_end) at MBI_PA through the whole bootinfo_parse path. */
static int parse(void)
{
	fakemem_reset();
	fakemem_add(MBI_PA, m.buf, m.len);
	log_reset();
	return bootinfo_parse(&bi, MB2_BOOT_MAGIC, MBI_PA, IMG0, IMG1);
}

static void expect_fail(const char *name, const char *needle)
{
	mbi_end(&m);
	int r = parse();
	check(r < 0 && strstr(bi.err, needle), name, "r=%d err='%s' (wanted '%s')", r, bi.err, needle);
}

static void test_good_bios(void)
{
	mbi_bios();
	mbi_end(&m);
	int r = parse();
	check(r == 0, "mb2/good-parses", "r=%d err=%s", r, bi.err);
	check(bi.loader == BI_LOADER_MB2 && bi.firmware == BI_FW_BIOS, "mb2/good-bios-firmware", "fw=%d", bi.firmware);
	check(!strcmp(bi.cmdline, "loglevel=debug test=1"), "mb2/good-cmdline", "'%s'", bi.cmdline);
	check(!strcmp(bi.loader_name, "GRUB 2.06-13+deb12u2"), "mb2/good-loader", "'%s'", bi.loader_name);
	check(bi.nmods == 2 && bi.mods[0].start == 0x300000 && bi.mods[0].end == 0x300100 &&
		      !strcmp(bi.mods[0].name, "cfg") && !bi.mods[0].args[0],
	      "mb2/good-module0", "n=%u name='%s'", bi.nmods, bi.mods[0].name);
	check(!strcmp(bi.mods[1].name, "svc") && !strcmp(bi.mods[1].args, "a=1 b=2"), "mb2/module-name-rule",
	      "name='%s' args='%s'", bi.mods[1].name, bi.mods[1].args);
	check(bi.nmmap == mm_qemu_n && bi.mmap[3].base == 0x100000 && bi.mmap[3].len == 0x1fee0000 &&
		      bi.mmap[3].type == 1,
	      "mb2/good-mmap", "n=%u", bi.nmmap);
	check(bi.rsdp_src == BI_RSDP_TAG14 && bi.rsdp_len == 20 && !memcmp(bi.rsdp, "RSD PTR ", 8) &&
		      bi.rsdp_pa > MBI_PA && bi.rsdp_pa < MBI_PA + m.len,
	      "mb2/good-rsdp-tag14", "src=%d len=%u", bi.rsdp_src, bi.rsdp_len);
	check(bi.mbi_pa == MBI_PA && bi.mbi_len == m.len, "mb2/good-mbi-range", "len=%llu", (unsigned long long)bi.mbi_len);
	check(bootinfo_module(&bi, "svc") == &bi.mods[1] && !bootinfo_module(&bi, "nope"), "mb2/module-lookup", "-");
}

static void test_uefi(void)
{
	uint8_t rsdp_old[20] = "RSD PTR ", rsdp_new[36] = "RSD PTR ", efimm[8 + 40] = { 48 - 8 };
	uint64_t st = 0x7f000000, ih = 0x7e000000;
	mbi_init(&m);
	mbi_str(&m, 2, "GRUB");
	mbi_tag(&m, 15, rsdp_new, sizeof(rsdp_new));
	mbi_tag(&m, 14, rsdp_old, sizeof(rsdp_old)); /* after 15: must not override it */
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	mbi_tag(&m, 12, &st, 8);
	mbi_tag(&m, 20, &ih, 8);
	efimm[0] = 40;
	mbi_tag(&m, 17, efimm, sizeof(efimm));
	mbi_end(&m);
	int r = parse();
	check(r == 0 && bi.firmware == BI_FW_UEFI, "mb2/uefi-detected", "r=%d fw=%d err=%s", r, bi.firmware, bi.err);
	check(bi.rsdp_src == BI_RSDP_TAG15 && bi.rsdp_len == 36, "mb2/uefi-rsdp-tag15-wins", "src=%d", bi.rsdp_src);
	check(bi.efi_systab == st && bi.efi_image == ih && bi.efi_mmap, "mb2/uefi-efi-pointers", "st=%llx",
	      (unsigned long long)bi.efi_systab);
	check(!strcmp(bi.cmdline, ""), "mb2/no-cmdline-is-empty", "'%s'", bi.cmdline);

	/* Only one EFI tag is enough to say UEFI. */
	mbi_init(&m);
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	uint32_t st32 = 0x7f000000;
	mbi_tag(&m, 11, &st32, 4);
	mbi_end(&m);
	r = parse();
	check(r == 0 && bi.firmware == BI_FW_UEFI && bi.efi_systab == st32, "mb2/uefi-by-efi32-tag", "r=%d", r);
	check(!strcmp(bi.loader_name, "?"), "mb2/no-loader-name-is-?", "'%s'", bi.loader_name);
}

/* No tag 6: the EFI memory map (tag 17) is converted (conventional and boot-services = RAM). */
static void test_efi_mmap_only(void)
{
	uint8_t p[8 + 3 * 48] = { 0 };
	struct { uint32_t type; uint64_t base, pages; } d[3] = {
		{ 7, 0x100000, 0x1000 }, { 4, 0x1100000, 0x10 }, { 10, 0x1200000, 4 },
	};
	uint32_t dsz = 48;
	memcpy(p, &dsz, 4);
	for (int i = 0; i < 3; i++) {
		uint8_t *q = p + 8 + 48 * i;
		memcpy(q, &d[i].type, 4);
		memcpy(q + 8, &d[i].base, 8);
		memcpy(q + 24, &d[i].pages, 8);
	}
	mbi_init(&m);
	mbi_tag(&m, 17, p, sizeof(p));
	mbi_end(&m);
	int r = parse();
	check(r == 0 && bi.nmmap == 3 && bi.mmap[0].type == 1 && bi.mmap[0].len == 0x1000000 &&
		      bi.mmap[1].type == 1 && bi.mmap[2].type == 4,
	      "mb2/efi-mmap-converted", "r=%d n=%u err=%s", r, bi.nmmap, bi.err);
}

static void test_efi_mmap_bad(void)
{
	static uint8_t p[8 + 300 * 40];
	uint32_t dsz = 32;
	memset(p, 0, sizeof(p));
	memcpy(p, &dsz, 4);
	mbi_init(&m);
	mbi_tag(&m, 17, p, 8 + 2 * 32);
	expect_fail("mb2/efi-mmap-descriptor-too-small", "descriptor size 32");
	dsz = 40;
	memcpy(p, &dsz, 4);
	mbi_init(&m);
	mbi_tag(&m, 17, p, sizeof(p));
	expect_fail("mb2/efi-mmap-too-many-entries", "300 entries");
	uint64_t huge = 1ULL << 60;
	memcpy(p + 8 + 24, &huge, 8);
	mbi_init(&m);
	mbi_tag(&m, 17, p, 8 + 40);
	expect_fail("mb2/efi-mmap-absurd-page-count", "pages");
}

static void test_header(void)
{
	mbi_bios();
	mbi_end(&m);
	fakemem_reset();
	fakemem_add(MBI_PA, m.buf, m.len);
	int r = bootinfo_parse(&bi, 0x12345678, MBI_PA, IMG0, IMG1);
	check(r < 0 && strstr(bi.err, "neither multiboot2"), "mb2/wrong-magic", "err=%s", bi.err);

	uint32_t sizes[] = { 0, 8, 15, (1u << 20) + 8, 0xffffffff };
	for (unsigned i = 0; i < 5; i++) {
		mbi_bios();
		mbi_end(&m);
		memcpy(m.buf, &sizes[i], 4);
		char name[64];
		snprintf(name, sizeof(name), "mb2/absurd-total-size-%u", sizes[i]);
		r = parse();
		check(r < 0 && strstr(bi.err, "absurd"), name, "r=%d err=%s", r, bi.err);
	}
	/* total_size larger than what is mapped */
	mbi_bios();
	mbi_end(&m);
	fakemem_reset();
	fakemem_add(MBI_PA, m.buf, m.len - 8);
	r = bootinfo_parse(&bi, MB2_BOOT_MAGIC, MBI_PA, IMG0, IMG1);
	check(r < 0 && strstr(bi.err, "absurd"), "mb2/total-size-past-mapping", "err=%s", bi.err);
	/* unmapped MBI */
	fakemem_reset();
	r = bootinfo_parse(&bi, MB2_BOOT_MAGIC, MBI_PA, IMG0, IMG1);
	check(r < 0 && strstr(bi.err, "not readable"), "mb2/unmapped-mbi", "err=%s", bi.err);
	r = mb2_parse(&bi, m.buf, MBI_PA + 4, m.len);
	check(r < 0 && strstr(bi.err, "aligned"), "mb2/misaligned-mbi", "err=%s", bi.err);
}

static void test_malformed_tags(void)
{
	mbi_bios();
	mbi_tag_sized(&m, 5, 0, NULL, 0);
	expect_fail("mb2/zero-size-tag", "size 0");
	mbi_bios();
	mbi_tag_sized(&m, 5, 4, NULL, 0);
	expect_fail("mb2/tag-size-below-8", "(< 8)");
	mbi_bios();
	mbi_tag_sized(&m, 1, 0x1000, "x", 1);
	expect_fail("mb2/tag-past-end", "runs past the MBI end");
	mbi_bios();
	mbi_end(&m);
	m.len -= 8; /* drop the end tag */
	memcpy(m.buf, &m.len, 4);
	int r = parse();
	check(r < 0 && strstr(bi.err, "no end tag"), "mb2/no-end-tag", "err=%s", bi.err);
	mbi_bios();
	mbi_tag_sized(&m, 3, 12, "\0\0\0\0", 4);
	expect_fail("mb2/truncated-module-tag", "truncated");
	mbi_bios();
	mbi_tag_sized(&m, 14, 16, "RSD PTR ", 8);
	expect_fail("mb2/truncated-rsdp-tag", "truncated");
	mbi_bios();
	mbi_tag(&m, 1, "no-nul", 6);
	expect_fail("mb2/duplicate-cmdline", "duplicate");
	mbi_init(&m);
	mbi_tag(&m, 1, "no-nul-here", 11);
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	expect_fail("mb2/unterminated-string", "not NUL-terminated");
	mbi_init(&m);
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	mbi_tag_sized(&m, 42, 8, NULL, 0); /* unknown tag types are skipped */
	mbi_end(&m);
	check(parse() == 0, "mb2/unknown-tag-skipped", "err=%s", bi.err);
}

static void test_mmap_tags(void)
{
	uint8_t p[8 + 20] = { 20 };
	mbi_init(&m);
	mbi_tag(&m, 6, p, sizeof(p));
	expect_fail("mb2/mmap-entry-size-too-small", "entry size 20");
	uint8_t q[8 + 24 + 10] = { 24 };
	mbi_init(&m);
	mbi_tag(&m, 6, q, sizeof(q));
	expect_fail("mb2/mmap-truncated", "truncated");
	static struct mm_entry many[300];
	for (int i = 0; i < 300; i++)
		many[i] = (struct mm_entry){ 0x100000ULL + i * 0x10000ULL, 0x10000, 1 };
	mbi_init(&m);
	mbi_mmap(&m, many, 300);
	expect_fail("mb2/mmap-too-many-entries", "300 entries");
	struct mm_entry low[] = { { 0, 0x9f000, 1 }, { 0x100000, 0x1000000, 2 } };
	mbi_init(&m);
	mbi_mmap(&m, low, 2);
	expect_fail("mb2/mmap-no-ram-above-1m", "no usable RAM above 1 MiB");
	struct mm_entry none[] = { { 0x100000, 0x1000000, 2 } };
	mbi_init(&m);
	mbi_mmap(&m, none, 1);
	expect_fail("mb2/mmap-no-ram", "no usable RAM");
	mbi_init(&m);
	expect_fail("mb2/no-mmap-at-all", "no usable RAM");
	struct mm_entry wrap[] = { { 0x100000, 0x1000000, 1 }, { 0xfffffffffffff000ULL, 0x2000, 1 } };
	mbi_init(&m);
	mbi_mmap(&m, wrap, 2);
	expect_fail("mb2/mmap-wraps", "wraps around");
}

static void test_modules(void)
{
	mbi_bios();
	mbi_module(&m, 0x300080, 0x300200, "overlap");
	expect_fail("mb2/module-overlaps-module", "overlaps module 0 'cfg'");
	mbi_bios();
	mbi_module(&m, 0x13f000, 0x141000, "img");
	expect_fail("mb2/module-overlaps-image", "overlaps Keel's image");
	mbi_bios();
	mbi_module(&m, MBI_PA + 8, MBI_PA + 0x2000, "onmbi");
	expect_fail("mb2/module-overlaps-mbi", "overlaps the boot information");
	mbi_bios();
	mbi_module(&m, 0x400000, 0x3ff000, "backwards");
	expect_fail("mb2/module-end-below-start", "end is below start");
	mbi_bios();
	mbi_module(&m, 0x400000, 0x401000, "/other/dir/cfg x");
	expect_fail("mb2/duplicate-module-names", "duplicate module name 'cfg'");
	mbi_bios();
	mbi_module(&m, 0x400000, 0x401000, "   ");
	expect_fail("mb2/module-without-name", "has no name");
	mbi_bios();
	mbi_module(&m, 0x400000, 0x401000, "dir/");
	expect_fail("mb2/module-name-only-directory", "has no name");
	mbi_bios();
	mbi_module(&m, 0x400000, 0x401000, "bad\x01name");
	expect_fail("mb2/module-name-nonprintable", "non-printable");
	char longname[100];
	memset(longname, 'n', 99);
	longname[99] = 0;
	mbi_bios();
	mbi_module(&m, 0x400000, 0x401000, longname);
	expect_fail("mb2/module-name-too-long", "longer than 63");
	mbi_init(&m);
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	for (int i = 0; i < 33; i++) {
		char n[16];
		snprintf(n, sizeof(n), "m%d", i);
		mbi_module(&m, 0x400000 + i * 0x1000, 0x400000 + i * 0x1000 + 0x10, n);
	}
	expect_fail("mb2/too-many-modules", "more than 32 modules");
	mbi_bios();
	mbi_module(&m, 0x500000, 0x500000, "empty");
	mbi_end(&m);
	check(parse() == 0 && bi.nmods == 3 && !strcmp(bi.mods[2].name, "empty"), "mb2/empty-module-allowed", "err=%s",
	      bi.err);
}

/* The MBI itself must not overlap Keel. */
static void test_mbi_overlaps_image(void)
{
	mbi_bios();
	mbi_end(&m);
	fakemem_reset();
	fakemem_add(IMG1 - 0x100, m.buf, m.len);
	int r = bootinfo_parse(&bi, MB2_BOOT_MAGIC, IMG1 - 0x100, IMG0, IMG1);
	check(r < 0 && strstr(bi.err, "overlaps Keel's image"), "mb2/mbi-overlaps-image", "err=%s", bi.err);
}

int main(void)
{
	test_good_bios();
	test_uefi();
	test_efi_mmap_only();
	test_efi_mmap_bad();
	test_header();
	test_malformed_tags();
	test_mmap_tags();
	test_modules();
	test_mbi_overlaps_image();
	return verdict_exit();
}
