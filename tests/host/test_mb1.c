/* Multiboot1 parser (QEMU -kernel) and the RSDP scan, on fake low memory (boot/mb1.c,
 * drivers/acpi_rsdp.c). */
#include "acpi_build.h"
#include "hostenv.h"
#include "mbi_build.h"

#include <stdio.h>
#include <string.h>

#include <keel/acpi.h>
#include <keel/bootinfo.h>

#define INFO 0x9000
#define STR 0x9100
#define MODS 0x9400
#define MMAP 0x9800
#define IMG0 0x100000ULL
#define IMG1 0x140000ULL

static uint8_t low[0x80000], ebda[0x400], bios[0x20000];
static struct bootinfo bi;

static void mem_setup(void)
{
	fakemem_reset();
	memset(low, 0, sizeof(low));
	memset(ebda, 0, sizeof(ebda));
	memset(bios, 0, sizeof(bios));
	fakemem_add(0, low, sizeof(low));
	fakemem_add(0x9fc00, ebda, sizeof(ebda));
	fakemem_add(0xe0000, bios, sizeof(bios));
	put_le16(low + 0x40e, 0x9fc0); /* EBDA segment */
}

static uint32_t put_str(uint32_t pa, const char *s)
{
	strcpy((char *)low + pa, s);
	return pa;
}

static void put_mmap(const struct mm_entry *e, unsigned n, uint32_t entry_size)
{
	uint8_t *p = low + MMAP;
	for (unsigned i = 0; i < n; i++, p += entry_size + 4) {
		put_le32(p, entry_size);
		put_le64(p + 4, e[i].base);
		put_le64(p + 12, e[i].len);
		put_le32(p + 20, e[i].type);
	}
	put_le32(low + INFO + 44, n * (entry_size + 4));
	put_le32(low + INFO + 48, MMAP);
}

static void put_mod(unsigned i, uint32_t start, uint32_t end, uint32_t str)
{
	uint8_t *p = low + MODS + 16 * i;
	put_le32(p, start);
	put_le32(p + 4, end);
	put_le32(p + 8, str);
}

/* What QEMU -kernel passes: cmdline (with the kernel path first), two modules, mmap, loader. */
static void info_qemu(void)
{
	mem_setup();
	uint8_t *info = low + INFO;
	put_le32(info, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9));
	put_le32(info + 4, 639);
	put_le32(info + 8, 523136);
	put_le32(info + 16, put_str(STR, "build/keel.elf loglevel=debug test=1"));
	put_le32(info + 64, put_str(STR + 0x80, "qemu"));
	put_le32(info + 20, 2);
	put_le32(info + 24, MODS);
	put_mod(0, 0x200000, 0x200100, put_str(STR + 0x100, "build/mods/cfg"));
	put_mod(1, 0x201000, 0x202000, put_str(STR + 0x180, "/tmp/x/svc.bin a b  c"));
	put_mmap(mm_qemu, mm_qemu_n, 20);
}

static int parse(void)
{
	log_reset();
	return bootinfo_parse(&bi, MB1_BOOT_MAGIC, INFO, IMG0, IMG1);
}

static void expect_fail(const char *name, const char *needle)
{
	int r = parse();
	check(r < 0 && strstr(bi.err, needle), name, "r=%d err='%s' (wanted '%s')", r, bi.err, needle);
}

static void test_good(void)
{
	info_qemu();
	int r = parse();
	check(r == 0, "mb1/good-parses", "r=%d err=%s", r, bi.err);
	check(bi.loader == BI_LOADER_MB1 && bi.firmware == BI_FW_BIOS && !strcmp(bi.loader_name, "qemu"),
	      "mb1/good-loader", "'%s'", bi.loader_name);
	check(!strcmp(bi.cmdline, "loglevel=debug test=1"), "mb1/cmdline-drops-kernel-path", "'%s'", bi.cmdline);
	check(bi.nmods == 2 && !strcmp(bi.mods[0].name, "cfg") && !bi.mods[0].args[0], "mb1/module-name-is-basename",
	      "'%s'", bi.mods[0].name);
	check(!strcmp(bi.mods[1].name, "svc.bin") && !strcmp(bi.mods[1].args, "a b  c") && bi.mods[1].start == 0x201000,
	      "mb1/module-args", "'%s' '%s'", bi.mods[1].name, bi.mods[1].args);
	check(bi.nmmap == mm_qemu_n && bi.mmap[3].base == 0x100000 && bi.mmap[3].len == 0x1fee0000,
	      "mb1/good-mmap", "n=%u", bi.nmmap);
	check(bi.rsdp_src == BI_RSDP_NONE && bi.rsdp_len == 0, "mb1/no-rsdp-anywhere", "src=%d", bi.rsdp_src);

	/* Wider mmap entries (size 24) are stepped over by their size field. */
	info_qemu();
	put_mmap(mm_qemu, mm_qemu_n, 28);
	r = parse();
	check(r == 0 && bi.nmmap == mm_qemu_n && bi.mmap[5].base == 0xfffc0000, "mb1/mmap-wide-entries", "r=%d %s", r,
	      bi.err);

	/* Only the basic meminfo (flag 0): two RAM ranges are made from it. */
	info_qemu();
	put_le32(low + INFO, 1 << 0);
	r = parse();
	check(r == 0 && bi.nmmap == 2 && bi.mmap[1].base == 0x100000 && bi.mmap[1].len == 523136ULL * 1024 &&
		      bi.nmods == 0 && !strcmp(bi.loader_name, "?"),
	      "mb1/meminfo-fallback", "r=%d n=%u", r, bi.nmmap);
}

static void test_bad(void)
{
	info_qemu();
	put_le32(low + INFO, 0);
	expect_fail("mb1/no-memory-info", "no memory information");
	info_qemu();
	put_le32(low + INFO + 20, 100000);
	expect_fail("mb1/huge-module-count", "100000 modules");
	info_qemu();
	put_le32(low + INFO + 24, 0x7fff8);
	expect_fail("mb1/module-list-unmapped", "module list");
	info_qemu();
	put_mod(1, 0x201000, 0x202000, 0x5000000);
	expect_fail("mb1/module-string-unmapped", "not in mapped memory");
	info_qemu();
	memset(low + 0x20000, 'x', 0x1000);
	put_mod(1, 0x201000, 0x202000, 0x20000);
	expect_fail("mb1/module-string-too-long", "longer than");
	info_qemu();
	put_le32(low + INFO + 16, sizeof(low) - 4);
	memset(low + sizeof(low) - 4, 'y', 4);
	expect_fail("mb1/cmdline-unterminated-at-end-of-memory", "not terminated");
	info_qemu();
	put_mod(1, 0x200080, 0x202000, STR + 0x180);
	expect_fail("mb1/modules-overlap", "overlaps module 0");
	info_qemu();
	put_mod(1, 0x202000, 0x201000, STR + 0x180);
	expect_fail("mb1/module-end-below-start", "end is below start");
	info_qemu();
	put_mod(1, 0x201000, 0x202000, STR + 0x100);
	expect_fail("mb1/duplicate-names", "duplicate module name 'cfg'");
	info_qemu();
	put_mmap(mm_qemu, mm_qemu_n, 16);
	expect_fail("mb1/mmap-entry-too-small", "has size 16");
	info_qemu();
	put_le32(low + INFO + 44, 6 * 24 + 2);
	expect_fail("mb1/mmap-truncated", "truncated");
	info_qemu();
	put_le32(low + INFO + 48, 0x7fff0);
	expect_fail("mb1/mmap-unmapped", "memory map at");
	mem_setup();
	log_reset();
	int r = mb1_parse(&bi, low + INFO, INFO, 40);
	check(r < 0 && strstr(bi.err, "truncated"), "mb1/info-truncated", "err=%s", bi.err);
}

/* RSDP scan: EBDA first KiB, then 0xE0000-0xFFFFF, 16-byte steps, checksums verified. */
static void test_rsdp_scan(void)
{
	uint8_t r1[36], r2[36];
	rsdp_build(r1, 0, 0x1234, 0);
	rsdp_build(r2, 2, 0x5678, 0x9abc);

	info_qemu();
	memcpy(bios + 0x5a0, r1, 20);
	int r = parse();
	check(r == 0 && bi.rsdp_src == BI_RSDP_SCAN && bi.rsdp_pa == 0xe05a0 && bi.rsdp_len == 20,
	      "rsdp/scan-bios-area-v1", "src=%d pa=%llx", bi.rsdp_src, (unsigned long long)bi.rsdp_pa);

	info_qemu();
	memcpy(ebda + 0x40, r2, 36);
	memcpy(bios + 0x5a0, r1, 20);
	r = parse();
	check(r == 0 && bi.rsdp_pa == 0x9fc40 && bi.rsdp_len == 36 && !memcmp(bi.rsdp, r2, 36),
	      "rsdp/scan-ebda-first-v2", "pa=%llx", (unsigned long long)bi.rsdp_pa);

	info_qemu();
	memcpy(bios + 0x100, r1, 20);
	bios[0x100 + 8] ^= 1; /* bad checksum: skipped */
	memcpy(bios + 0x200, r2, 36);
	bios[0x200 + 32] ^= 1; /* bad extended checksum: skipped */
	memcpy(bios + 0x1ff00, r1, 20);
	r = parse();
	check(r == 0 && bi.rsdp_pa == 0xfff00, "rsdp/scan-skips-bad-checksums", "pa=%llx", (unsigned long long)bi.rsdp_pa);

	info_qemu();
	memcpy(bios + 0x108, r1, 20); /* not on a 16-byte boundary */
	r = parse();
	check(r == 0 && bi.rsdp_src == BI_RSDP_NONE, "rsdp/scan-16-byte-aligned-only", "pa=%llx",
	      (unsigned long long)bi.rsdp_pa);

	info_qemu();
	memcpy(ebda + 0x3f0 + 0, r1, 16); /* straddles the end of the EBDA's first KiB: not found */
	put_le16(low + 0x40e, 0x1234);     /* absurd EBDA segment: EBDA not scanned */
	memcpy(ebda + 0x40, r1, 20);
	r = parse();
	check(r == 0 && bi.rsdp_src == BI_RSDP_NONE, "rsdp/scan-ignores-absurd-ebda", "pa=%llx",
	      (unsigned long long)bi.rsdp_pa);

	const char *why = NULL;
	check(acpi_rsdp_check(r1, 20, &why) == 1 && acpi_rsdp_check(r2, 36, &why) == 2, "rsdp/check-good", "-");
	r2[20] = 30;
	check(acpi_rsdp_check(r2, 36, &why) < 0 && strstr(why, "length"), "rsdp/check-bad-length", "%s", why);
	check(acpi_rsdp_check(r2, 20, &why) < 0, "rsdp/check-v2-short-copy", "%s", why);
	memcpy(r1, "RSD PTX ", 8);
	check(acpi_rsdp_check(r1, 20, &why) < 0 && strstr(why, "signature"), "rsdp/check-bad-signature", "%s", why);
}

int main(void)
{
	test_good();
	test_bad();
	test_rsdp_scan();
	return verdict_exit();
}
