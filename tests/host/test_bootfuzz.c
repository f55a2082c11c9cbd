/* Mutation test: well-formed boot information and ACPI tables, corrupted at random (fixed seed),
 * fed to the parsers built with AddressSanitizer and UBSan. A read outside the fake physical
 * memory, or any undefined behaviour, aborts the run before its PASS line is printed. */
#include "acpi_build.h"
#include "hostenv.h"
#include "mbi_build.h"

#include <stdlib.h>
#include <string.h>

#include <keel/acpi.h>
#include <keel/bootinfo.h>

#define ROUNDS 20000
#define MBI_PA 0x200000ULL

static struct bootinfo bi;
static struct acpi_info ai;
static const uint32_t interesting[] = { 0, 1, 7, 8, 15, 16, 17, 24, 36, 0x7f, 0xff, 0x1000, 0xffff, 0x100000,
					0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff };

static uint32_t rnd(uint32_t n) { return (uint32_t)rand() % n; }

static void mutate(uint8_t *p, uint32_t len, unsigned k)
{
	for (unsigned i = 0; i < k; i++) {
		uint32_t off = rnd(len);
		if (rnd(2) && off + 4 <= len) {
			uint32_t v = interesting[rnd(sizeof(interesting) / 4)];
			memcpy(p + (off & ~3u), &v, 4);
		} else {
			p[off] = (uint8_t)rand();
		}
	}
}

static void fuzz_mb2(void)
{
	static struct mbi m;
	uint8_t rsdp[36];
	uint64_t st = 0x7f000000;
	mbi_init(&m);
	mbi_str(&m, 1, "loglevel=debug test=1");
	mbi_str(&m, 2, "GRUB");
	mbi_module(&m, 0x300000, 0x300100, "cfg");
	mbi_module(&m, 0x301000, 0x305000, "svc a b");
	mbi_mmap(&m, mm_qemu, mm_qemu_n);
	rsdp_build(rsdp, 2, 0x1000, 0x2000);
	mbi_tag(&m, 15, rsdp, 36);
	mbi_tag(&m, 12, &st, 8);
	mbi_end(&m);
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t len = rnd(8) ? m.len : rnd(m.len + 1);
		uint8_t *buf = malloc(len ? len : 1);
		memcpy(buf, m.buf, len);
		mutate(buf, len ? len : 1, 1 + rnd(6));
		fakemem_reset();
		fakemem_add(MBI_PA, buf, len);
		bootinfo_parse(&bi, MB2_BOOT_MAGIC, MBI_PA, 0x100000, 0x140000);
		free(buf);
	}
	check(true, "fuzz/mb2-mutations", "-");
}

static void fuzz_mb1(void)
{
	uint8_t *low = malloc(0x10000);
	for (int i = 0; i < ROUNDS; i++) {
		memset(low, 0, 0x10000);
		uint8_t *info = low + 0x9000 - 0x8000;
		put_le32(info, 0x24d);
		put_le32(info + 16, 0x9100);
		strcpy((char *)low + 0x1100, "kernel a=1");
		put_le32(info + 20, 2);
		put_le32(info + 24, 0x9200);
		put_le32(low + 0x1200, 0x300000), put_le32(low + 0x1204, 0x301000), put_le32(low + 0x1208, 0x9300);
		put_le32(low + 0x1210, 0x302000), put_le32(low + 0x1214, 0x303000), put_le32(low + 0x1218, 0x9310);
		strcpy((char *)low + 0x1300, "a/b");
		strcpy((char *)low + 0x1310, "c d");
		put_le32(info + 44, 48), put_le32(info + 48, 0x9400);
		for (int e = 0; e < 2; e++) {
			uint8_t *q = low + 0x1400 + 24 * e;
			put_le32(q, 20), put_le64(q + 4, e ? 0x100000 : 0), put_le64(q + 12, e ? 0x1000000 : 0x9f000);
			put_le32(q + 20, 1);
		}
		put_le32(info + 64, 0x9320);
		strcpy((char *)low + 0x1320, "qemu");
		mutate(low + 0x1000, 0x500, 1 + rnd(6));
		fakemem_reset();
		fakemem_add(0x8000, low, 0x10000);
		bootinfo_parse(&bi, MB1_BOOT_MAGIC, 0x9000, 0x100000, 0x140000);
	}
	free(low);
	check(true, "fuzz/mb1-mutations", "-");
}

enum { XSDT = 0x0, MADT = 0x100, FADT = 0x200, DSDT = 0x400, TREE = 0x500 };

static void tree(uint8_t *t, uint64_t base)
{
	static const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a, 0x05, 0x01, 0x00, 0x00 };
	memset(t, 0, TREE);
	acpi_hdr(t + XSDT, "XSDT", 36 + 16);
	put_le64(t + XSDT + 36, base + MADT);
	put_le64(t + XSDT + 44, base + FADT);
	acpi_hdr(t + MADT, "APIC", 44 + 8 + 16 + 12);
	uint8_t *m = t + MADT + 44;
	m[0] = 0, m[1] = 8, m[4] = 1;
	m[8] = 9, m[9] = 16, put_le32(m + 12, 0x100), put_le32(m + 16, 1);
	m[24] = 1, m[25] = 12, put_le32(m + 28, 0xfec00000);
	acpi_hdr(t + FADT, "FACP", 276);
	put_le32(t + FADT + 40, (uint32_t)(base + DSDT));
	put_le32(t + FADT + 64, 0x604);
	acpi_hdr(t + DSDT, "DSDT", 36 + sizeof(aml));
	memcpy(t + DSDT + 36, aml, sizeof(aml));
}

static void fuzz_acpi(void)
{
	uint8_t *t = malloc(TREE), rsdp[36];
	const uint64_t base = 0x7fe0000;
	for (int i = 0; i < ROUNDS; i++) {
		tree(t, base);
		mutate(t, TREE, 1 + rnd(4));
		if (rnd(2)) /* keep checksums right half the time so the walk goes deeper */
			for (uint32_t off = 0; off < TREE; off += 0x100) {
				uint32_t len;
				memcpy(&len, t + off + 4, 4);
				if (len >= 36 && len <= TREE - off)
					acpi_sum(t + off, len);
			}
		rsdp_build(rsdp, 2, 0, base + XSDT);
		fakemem_reset();
		fakemem_add(base, t, TREE);
		log_reset();
		acpi_parse(&ai, rsdp, 36);
	}
	free(t);
	check(true, "fuzz/acpi-mutations", "-");
}

/* Each table alone, in a heap block of exactly the length passed, so any read past the table's
 * end hits a redzone. */
static void fuzz_tables(void)
{
	uint8_t *t = malloc(TREE);
	struct acpi_madt md;
	struct acpi_fadt fd;
	struct acpi_s5 s5;
	static const struct { uint32_t off, len; } tabs[] = { { MADT, 80 }, { FADT, 276 }, { DSDT, 49 } };
	for (int i = 0; i < ROUNDS; i++) {
		tree(t, 0x7fe0000);
		unsigned k = rnd(3);
		uint32_t len = rnd(4) ? tabs[k].len : rnd(tabs[k].len + 1);
		uint8_t *b = malloc(len ? len : 1);
		memcpy(b, t + tabs[k].off, len);
		mutate(b, len ? len : 1, 1 + rnd(4));
		if (k == 0)
			acpi_madt_parse(&md, b, len);
		else if (k == 1)
			acpi_fadt_parse(&fd, b, len);
		else
			acpi_s5_parse(&s5, b, len);
		free(b);
	}
	free(t);
	check(true, "fuzz/acpi-table-mutations", "-");
}

int main(void)
{
	srand(1);
	fuzz_mb2();
	fuzz_mb1();
	fuzz_acpi();
	fuzz_tables();
	return verdict_exit();
}
