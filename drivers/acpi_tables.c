/* RSDT/XSDT walk (ACPI 6.5 §5.2.7, §5.2.8): every table's length and checksum is verified and
 * recorded (the page allocator reserves them); MADT, FADT, DSDT and SSDTs are handed on. */
#include <keel/acpi.h>
#include <keel/phys.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/unaligned.h>

const u8 *acpi_table_map(u64 pa, u32 *len, const char **why)
{
	const u8 *h = phys_map(pa, ACPI_HDR_LEN);
	*len = 0;
	if (!h) {
		*why = "not in mapped memory";
		return NULL;
	}
	*len = get_le32(h + 4);
	if (*len < ACPI_HDR_LEN || *len > ACPI_TABLE_MAX) {
		*why = *len < ACPI_HDR_LEN ? "truncated: length below the 36-byte header" : "length is absurd";
		*len = ACPI_HDR_LEN;
		return NULL;
	}
	const u8 *t = phys_map(pa, *len);
	if (!t)
		*why = "runs past mapped memory";
	else if (!acpi_checksum_ok(t, *len))
		*why = "bad checksum";
	else
		return t;
	return NULL;
}

/* Records the table at pa; returns it mapped when it is good, NULL (after a warning) if not. */
static const u8 *acpi_table_add(struct acpi_info *ai, u64 pa, const char *expect)
{
	const char *why;
	u32 len;
	const u8 *t = acpi_table_map(pa, &len, &why);
	const u8 *h = phys_map(pa, 4);
	struct acpi_table *rec = ai->ntables < ACPI_MAX_TABLES ? &ai->tables[ai->ntables++] : NULL;
	char sig[5] = "????";
	if (h)
		for (int i = 0; i < 4; i++)
			sig[i] = h[i] >= 0x20 && h[i] < 0x7f ? (char)h[i] : '?';
	if (t && expect && memcmp(sig, expect, 4)) {
		why = "unexpected signature";
		t = NULL;
	}
	if (rec)
		*rec = (struct acpi_table){ .pa = pa, .len = h ? len : 0, .ok = t != NULL };
	if (rec)
		memcpy(rec->sig, sig, 5);
	if (!rec)
		pr_warn("acpi: more than %d tables; table at %#llx not recorded", ACPI_MAX_TABLES,
			(unsigned long long)pa);
	if (!t)
		pr_warn("acpi: table '%s' at %#llx: %s; ignored", expect && !h ? expect : sig,
			(unsigned long long)pa, why);
	return t;
}

static void acpi_use_fadt(struct acpi_info *ai, const u8 *t, u32 len)
{
	if (acpi_fadt_parse(&ai->fadt, t, len)) {
		pr_warn("acpi: FADT is too short (%u bytes); ignored", len);
		return;
	}
	const u8 *facs = ai->fadt.facs_pa ? phys_map(ai->fadt.facs_pa, 8) : NULL;
	if (facs && ai->ntables < ACPI_MAX_TABLES && !memcmp(facs, "FACS", 4))
		ai->tables[ai->ntables++] = (struct acpi_table){ "FACS", ai->fadt.facs_pa,
								MIN(get_le32(facs + 4), 4096u), true };
	const u8 *dsdt = ai->fadt.dsdt_pa ? acpi_table_add(ai, ai->fadt.dsdt_pa, "DSDT") : NULL;
	if (dsdt)
		acpi_s5_parse(&ai->s5, dsdt, get_le32(dsdt + 4));
	else
		ai->s5.why = "the FADT names no usable DSDT";
}

static void acpi_dispatch(struct acpi_info *ai, const u8 *t)
{
	u32 len = get_le32(t + 4);
	if (!memcmp(t, "APIC", 4) && !ai->madt.valid) {
		if (acpi_madt_parse(&ai->madt, t, len))
			pr_warn("acpi: MADT is malformed; ignored");
	} else if (!memcmp(t, "FACP", 4) && !ai->fadt.valid) {
		acpi_use_fadt(ai, t, len);
	}
}

/* A second pass: firmware may define \_S5 in an SSDT instead of the DSDT. */
static void acpi_s5_from_ssdts(struct acpi_info *ai)
{
	struct acpi_s5 s5 = { 0 };
	for (unsigned i = 0; i < ai->ntables && !ai->s5.valid; i++) {
		const struct acpi_table *tb = &ai->tables[i];
		if (tb->ok && !memcmp(tb->sig, "SSDT", 4) && !acpi_s5_parse(&s5, phys_map(tb->pa, tb->len), tb->len))
			ai->s5 = s5;
	}
}

static int acpi_walk_root(struct acpi_info *ai, u64 pa, bool xsdt)
{
	const u8 *root = acpi_table_add(ai, pa, xsdt ? "XSDT" : "RSDT");
	if (!root)
		return -EINVAL;
	ai->root_pa = pa;
	ai->root_is_xsdt = xsdt;
	unsigned esz = xsdt ? 8 : 4;
	u32 n = (get_le32(root + 4) - ACPI_HDR_LEN) / esz;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = root + ACPI_HDR_LEN + i * esz;
		u64 tpa = xsdt ? get_le64(e) : get_le32(e);
		const u8 *t = tpa ? acpi_table_add(ai, tpa, NULL) : NULL;
		if (t)
			acpi_dispatch(ai, t);
	}
	return 0;
}

int acpi_parse(struct acpi_info *ai, const u8 *rsdp, size_t len)
{
	const char *why = NULL;
	memset(ai, 0, sizeof(*ai));
	ai->s5.why = "no FADT";
	int rev = acpi_rsdp_check(rsdp, len, &why);
	if (rev < 0) {
		pr_warn("acpi: RSDP is invalid: %s", why);
		return rev;
	}
	ai->rsdp_rev = (u8)rev;
	u64 xsdt = rev >= 2 ? get_le64(rsdp + 24) : 0;
	int r = -ENOENT;
	if (xsdt)
		r = acpi_walk_root(ai, xsdt, true);
	if (r && get_le32(rsdp + 16))
		r = acpi_walk_root(ai, get_le32(rsdp + 16), false);
	if (r) {
		pr_warn("acpi: no usable RSDT or XSDT");
		return r;
	}
	if (!ai->s5.valid)
		acpi_s5_from_ssdts(ai);
	return 0;
}
