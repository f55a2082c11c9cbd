/* ACPI parsing on crafted tables (drivers/acpi_*.c): good v1/v2 trees, bad checksums, truncated
 * tables, missing \_S5, x2APIC entries, FADT X_ fields and the AML integer encodings. */
#include "acpi_build.h"
#include "hostenv.h"

#include <stdio.h>
#include <string.h>

#include <keel/acpi.h>

#define T 0x7fe0000ULL
enum { RSDT = 0x0, XSDT = 0x100, FADT = 0x200, DSDT = 0x400, MADT = 0x1000, FACS = 0x2000, SSDT = 0x3000 };

static uint8_t mem[0x10000];
static uint8_t rsdp[36];
static struct acpi_info ai;
static const uint8_t s5_aml[] = { 0x10, 0x05, '_', 'S', 'B', '_', 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
				  0x0a, 0x05, 0x01, 0x00, 0x00 };

static void put_table(uint32_t off, const char *sig, uint32_t len)
{
	acpi_hdr(mem + off, sig, len);
}

static void put_gas(uint8_t *g, uint8_t space, uint64_t addr)
{
	g[0] = space;
	g[1] = 16;
	put_le64(g + 4, addr);
}

static uint32_t madt_std(void)
{
	uint8_t *m = mem + MADT;
	uint32_t o = 44;
	put_le32(m + 36, 0xfee00000);
	put_le32(m + 40, 1);
	for (int i = 0; i < 4; i++, o += 8) { /* LAPIC: uid i, id i*2, enabled except #3 online-capable */
		m[o] = 0, m[o + 1] = 8, m[o + 2] = (uint8_t)i, m[o + 3] = (uint8_t)(i * 2);
		put_le32(m + o + 4, i == 3 ? 2 : 1);
	}
	m[o] = 1, m[o + 1] = 12, m[o + 2] = 9, put_le32(m + o + 4, 0xfec00000), put_le32(m + o + 8, 0), o += 12;
	m[o] = 2, m[o + 1] = 10, m[o + 2] = 0, m[o + 3] = 0, put_le32(m + o + 4, 2), put_le16(m + o + 8, 0), o += 10;
	m[o] = 2, m[o + 1] = 10, m[o + 2] = 0, m[o + 3] = 9, put_le32(m + o + 4, 9), put_le16(m + o + 8, 0xd), o += 10;
	m[o] = 4, m[o + 1] = 6, o += 6; /* LAPIC NMI: not parsed, skipped by length */
	return o;
}

/* The full tree: RSDP v2 → XSDT and RSDT → FADT (→ DSDT, FACS), MADT, SSDT. */
static void tree(int rev)
{
	memset(mem, 0, sizeof(mem));
	fakemem_reset();
	fakemem_add(T, mem, sizeof(mem));
	put_table(DSDT, "DSDT", 36 + sizeof(s5_aml));
	memcpy(mem + DSDT + 36, s5_aml, sizeof(s5_aml));
	uint8_t *f = mem + FADT;
	put_table(FADT, "FACP", 276);
	put_le32(f + 36, T + FACS);
	put_le32(f + 40, T + DSDT);
	put_le32(f + 48, 0xb2);
	f[52] = 0xf1;
	put_le32(f + 64, 0x604);
	put_le32(f + 76, 0x608);
	put_le32(f + 112, 1u << 8);
	put_gas(f + 172, 1, 0xb004);
	put_gas(f + 208, 1, 0xb008);
	memcpy(mem + FACS, "FACS", 4);
	put_le32(mem + FACS + 4, 64);
	put_table(MADT, "APIC", madt_std());
	put_table(SSDT, "SSDT", 40);
	uint32_t tabs[] = { FADT, MADT, SSDT };
	put_table(RSDT, "RSDT", 36 + 4 * 3);
	put_table(XSDT, "XSDT", 36 + 8 * 3);
	for (int i = 0; i < 3; i++) {
		put_le32(mem + RSDT + 36 + 4 * i, (uint32_t)(T + tabs[i]));
		put_le64(mem + XSDT + 36 + 8 * i, T + tabs[i]);
	}
	rsdp_build(rsdp, rev, (uint32_t)(T + RSDT), rev >= 2 ? T + XSDT : 0);
}

static void sum_all(void)
{
	uint32_t offs[] = { RSDT, XSDT, FADT, DSDT, MADT, SSDT };
	for (int i = 0; i < 6; i++) {
		uint32_t len;
		memcpy(&len, mem + offs[i] + 4, 4);
		if (len >= 36 && offs[i] + len <= sizeof(mem))
			acpi_sum(mem + offs[i], len);
	}
}

static int parse(void)
{
	sum_all();
	log_reset();
	return acpi_parse(&ai, rsdp, 36);
}

static bool has_table(const char *sig)
{
	for (unsigned i = 0; i < ai.ntables; i++)
		if (!strcmp(ai.tables[i].sig, sig) && ai.tables[i].ok)
			return true;
	return false;
}

static void test_good(void)
{
	tree(2);
	int r = parse();
	check(r == 0 && ai.rsdp_rev == 2 && ai.root_is_xsdt && ai.root_pa == T + XSDT, "acpi/v2-uses-xsdt", "r=%d", r);
	check(log_count_warn == 0, "acpi/v2-no-warnings", "'%s'", log_last);
	const struct acpi_madt *m = &ai.madt;
	check(m->valid && m->ncpus == 4 && m->nenabled == 3 && m->cpus[2].apic_id == 4 && m->cpus[3].flags == 2,
	      "acpi/madt-lapic-entries", "valid=%d n=%u en=%u", m->valid, m->ncpus, m->nenabled);
	check(m->lapic_pa == 0xfee00000 && m->nioapics == 1 && m->ioapics[0].id == 9 && m->ioapics[0].addr == 0xfec00000,
	      "acpi/madt-ioapic", "n=%u", m->nioapics);
	check(m->nisos == 2 && m->isos[1].source == 9 && m->isos[1].gsi == 9 && m->isos[1].flags == 0xd,
	      "acpi/madt-iso", "n=%u", m->nisos);
	const struct acpi_fadt *f = &ai.fadt;
	check(f->valid && f->pm1a_cnt == 0xb004 && f->pm1b_cnt == 0 && f->pm_tmr == 0xb008 && f->pm_tmr_32,
	      "acpi/fadt-x-fields-win", "pm1a=%#x tmr=%#x", f->pm1a_cnt, f->pm_tmr);
	check(f->smi_cmd == 0xb2 && f->acpi_enable == 0xf1 && f->dsdt_pa == T + DSDT && f->facs_pa == T + FACS,
	      "acpi/fadt-smi-dsdt-facs", "-");
	check(ai.s5.valid && ai.s5.slp_typa == 5 && ai.s5.slp_typb == 1, "acpi/s5-from-dsdt", "why=%s", ai.s5.why);
	check(has_table("XSDT") && has_table("FACP") && has_table("DSDT") && has_table("FACS") && has_table("APIC") &&
		      has_table("SSDT"),
	      "acpi/tables-recorded", "n=%u", ai.ntables);

	tree(0);
	r = parse();
	check(r == 0 && ai.rsdp_rev == 1 && !ai.root_is_xsdt && ai.root_pa == T + RSDT && ai.madt.valid && ai.s5.valid,
	      "acpi/v1-uses-rsdt", "r=%d", r);
}

static void test_bad_tables(void)
{
	tree(2);
	sum_all();
	mem[XSDT + 20] ^= 0x55;
	log_reset();
	int r = acpi_parse(&ai, rsdp, 36);
	check(r == 0 && !ai.root_is_xsdt && ai.madt.valid && log_seen("'XSDT'") && log_seen("bad checksum"),
	      "acpi/bad-xsdt-falls-back-to-rsdt", "r=%d last='%s'", r, log_last);

	tree(2);
	sum_all();
	mem[MADT + 50] ^= 1;
	log_reset();
	r = acpi_parse(&ai, rsdp, 36);
	check(r == 0 && !ai.madt.valid && ai.fadt.valid && log_seen("'APIC'") && log_seen("bad checksum"),
	      "acpi/bad-madt-checksum-reported", "last='%s'", log_last);

	tree(2);
	put_le32(mem + MADT + 4, 20);
	r = parse();
	check(!ai.madt.valid && log_seen("'APIC'") && log_seen("truncated"), "acpi/truncated-table", "last='%s'", log_last);

	tree(2);
	put_le32(mem + SSDT + 4, 0x100000);
	r = parse();
	check(r == 0 && log_seen("'SSDT'") && log_seen("runs past mapped memory") && ai.madt.valid,
	      "acpi/table-past-mapped-memory", "last='%s'", log_last);

	tree(2);
	put_le64(mem + XSDT + 36 + 8, 0x50000000); /* MADT pointer into nowhere */
	r = parse();
	check(r == 0 && !ai.madt.valid && log_seen("not in mapped memory"), "acpi/table-unmapped", "last='%s'", log_last);

	tree(2);
	rsdp[8] ^= 1;
	log_reset();
	r = acpi_parse(&ai, rsdp, 36);
	check(r < 0 && log_seen("RSDP is invalid"), "acpi/bad-rsdp", "last='%s'", log_last);

	tree(2);
	memcpy(mem + XSDT, "XSDX", 4);
	memcpy(mem + RSDT, "RSDX", 4);
	r = parse();
	check(r < 0 && log_seen("unexpected signature") && log_seen("no usable RSDT or XSDT"), "acpi/wrong-root-signature",
	      "last='%s'", log_last);
}

static void test_s5(void)
{
	tree(2);
	memset(mem + DSDT + 36, 0x5b, sizeof(s5_aml)); /* no _S5 anywhere */
	int r = parse();
	check(r == 0 && !ai.s5.valid && ai.s5.why && strstr(ai.s5.why, "_S5"), "acpi/missing-s5", "why=%s",
	      ai.s5.why ? ai.s5.why : "");

	tree(2);
	memset(mem + DSDT + 36, 0x5b, sizeof(s5_aml));
	put_table(SSDT, "SSDT", 36 + sizeof(s5_aml));
	memcpy(mem + SSDT + 36, s5_aml, sizeof(s5_aml));
	r = parse();
	check(r == 0 && ai.s5.valid && ai.s5.slp_typa == 5, "acpi/s5-from-ssdt", "why=%s", ai.s5.why ? ai.s5.why : "");

	tree(2);
	put_le32(mem + FADT + 40, 0);
	r = parse();
	check(r == 0 && !ai.s5.valid && strstr(ai.s5.why, "DSDT"), "acpi/fadt-without-dsdt", "why=%s", ai.s5.why);
}

/* acpi_s5_parse directly on AML bodies (after a zeroed 36-byte header). */
static int s5(const uint8_t *aml, size_t n, struct acpi_s5 *out)
{
	static uint8_t t[36 + 256];
	memset(t, 0, 36);
	memcpy(t + 36, aml, n);
	return acpi_s5_parse(out, t, (uint32_t)(36 + n));
}

static void test_aml(void)
{
	struct acpi_s5 o;
	static const struct {
		const char *name;
		uint8_t aml[24];
		size_t n;
		int ok, a, b;
	} cases[] = {
		{ "aml/zero-zero", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x00 }, 10, 1, 0, 0 },
		{ "aml/one-byte", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x01, 0x0a, 0x07 }, 11, 1, 1, 7 },
		{ "aml/word-dword", { 0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x02, 0x0b, 0x06, 0x00, 0x0c, 0x03, 0, 0, 0 },
		  16, 1, 6, 3 },
		{ "aml/root-prefix", { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0a, 0x02, 0x00 }, 12, 1, 2, 0 },
		{ "aml/pkglength-2-bytes", { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x00, 0x02, 0x01, 0x01 }, 11, 1, 1, 1 },
		{ "aml/not-a-name-decl-skipped",
		  { 0x70, '_', 'S', '5', '_', 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00 }, 15, 1, 1, 0 },
		{ "aml/ones-rejected", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x00 }, 10, 0, 0, 0 },
		{ "aml/too-big-rejected", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00 }, 11, 0, 0, 0 },
		{ "aml/not-a-package", { 0x08, '_', 'S', '5', '_', 0x0a, 0x05 }, 7, 0, 0, 0 },
		{ "aml/truncated-package", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0b, 0x06 }, 10, 0, 0, 0 },
		{ "aml/truncated-after-name", { 0x08, '_', 'S', '5', '_' }, 5, 0, 0, 0 },
		{ "aml/qword-too-big", { 0x08, '_', 'S', '5', '_', 0x12, 0x0c, 0x02, 0x0e, 0, 0, 0, 0, 0, 0, 0, 1, 0x00 },
		  18, 0, 0, 0 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = s5(cases[i].aml, cases[i].n, &o);
		bool good = cases[i].ok ? r == 0 && o.valid && o.slp_typa == cases[i].a && o.slp_typb == cases[i].b
					: r < 0 && !o.valid && o.why;
		check(good, cases[i].name, "r=%d valid=%d a=%u b=%u why=%s", r, o.valid, o.slp_typa, o.slp_typb,
		      o.why ? o.why : "");
	}
}

static void madt_x2(uint8_t *m, uint32_t *o, uint32_t id, uint32_t flags)
{
	m[*o] = 9, m[*o + 1] = 16;
	put_le32(m + *o + 4, id);
	put_le32(m + *o + 8, flags);
	put_le32(m + *o + 12, id + 100);
	*o += 16;
}

static void test_x2apic(void)
{
	static uint8_t m[512];
	uint32_t o = 44;
	struct acpi_madt md;
	memset(m, 0, sizeof(m));
	m[o] = 0, m[o + 1] = 8, m[o + 3] = 0, put_le32(m + o + 4, 1), o += 8;    /* LAPIC id 0 */
	m[o] = 0, m[o + 1] = 8, m[o + 3] = 0xff, put_le32(m + o + 4, 1), o += 8; /* id 0xFF: unusable */
	madt_x2(m, &o, 0, 1);      /* duplicate of LAPIC 0 */
	madt_x2(m, &o, 0x100, 1);  /* enabled */
	madt_x2(m, &o, 0x101, 2);  /* online capable */
	madt_x2(m, &o, 0x102, 0);  /* disabled: not listed */
	m[o] = 5, m[o + 1] = 12, put_le64(m + o + 4, 0xfee10000), o += 12;
	int r = acpi_madt_parse(&md, m, o);
	check(r == 0 && md.ncpus == 3 && md.nenabled == 2 && md.cpus[1].apic_id == 0x100 && md.cpus[1].x2apic &&
		      md.cpus[1].uid == 0x164 && md.cpus[2].flags == 2,
	      "acpi/madt-x2apic", "r=%d n=%u en=%u", r, md.ncpus, md.nenabled);
	check(md.lapic_pa == 0xfee10000, "acpi/madt-lapic-override", "%llx", (unsigned long long)md.lapic_pa);
	m[o] = 9, m[o + 1] = 16;
	r = acpi_madt_parse(&md, m, o + 10);
	check(r < 0 && !md.valid, "acpi/madt-entry-past-end", "r=%d", r);
	m[o + 1] = 0;
	r = acpi_madt_parse(&md, m, o + 16);
	check(r < 0 && !md.valid, "acpi/madt-zero-length-entry", "r=%d", r);
	m[o] = 9, m[o + 1] = 12;
	r = acpi_madt_parse(&md, m, o + 12);
	check(r < 0, "acpi/madt-short-x2apic-entry", "r=%d", r);
	r = acpi_madt_parse(&md, m, 40);
	check(r < 0, "acpi/madt-shorter-than-fixed-part", "r=%d", r);
}

static void test_fadt(void)
{
	static uint8_t f[276];
	struct acpi_fadt fd;
	memset(f, 0, sizeof(f));
	put_le32(f + 40, 0x1234000);
	put_le32(f + 64, 0x604);
	put_le32(f + 68, 0x704);
	put_le32(f + 76, 0x608);
	int r = acpi_fadt_parse(&fd, f, 116); /* ACPI 1.0 length: no X_ fields */
	check(r == 0 && fd.pm1a_cnt == 0x604 && fd.pm1b_cnt == 0x704 && fd.pm_tmr == 0x608 && !fd.pm_tmr_32 &&
		      fd.dsdt_pa == 0x1234000,
	      "acpi/fadt-v1-legacy-fields", "r=%d", r);
	put_gas(f + 172, 0, 0xfed00000); /* memory space: not usable, legacy kept */
	put_le64(f + 140, 0x5678000);
	log_reset();
	r = acpi_fadt_parse(&fd, f, 276);
	check(r == 0 && fd.pm1a_cnt == 0x604 && fd.dsdt_pa == 0x5678000 && log_seen("address space 0"),
	      "acpi/fadt-x-memory-space-falls-back", "pm1a=%#x last=%s", fd.pm1a_cnt, log_last);
	r = acpi_fadt_parse(&fd, f, 60);
	check(r < 0 && !fd.valid, "acpi/fadt-too-short", "r=%d", r);
}

int main(void)
{
	test_good();
	test_bad_tables();
	test_s5();
	test_aml();
	test_x2apic();
	test_fadt();
	return verdict_exit();
}
