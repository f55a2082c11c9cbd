/* MADT (ACPI 6.5 §5.2.12): processor LAPIC/x2APIC entries, IOAPICs, interrupt source overrides
 * and the LAPIC address override. A malformed entry makes the whole table invalid. */
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/unaligned.h>

#define MADT_ENTRIES 44

static void madt_add_cpu(struct acpi_madt *m, u32 apic_id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & (ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE)))
		return;
	for (unsigned i = 0; i < m->ncpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			return; /* firmware may list a CPU as both LAPIC and x2APIC */
	if (m->ncpus == ACPI_MAX_CPUS) {
		pr_warn("acpi: madt: more than %d cpus; apic id %u ignored", ACPI_MAX_CPUS, apic_id);
		return;
	}
	m->cpus[m->ncpus++] = (struct acpi_cpu){ apic_id, uid, flags, x2 };
	if (flags & ACPI_CPU_ENABLED)
		m->nenabled++;
}

static void madt_lapic(struct acpi_madt *m, const u8 *e)
{
	if (e[3] != 0xff) /* APIC ID 0xFF is not a usable xAPIC ID */
		madt_add_cpu(m, e[3], e[2], get_le32(e + 4), false);
}

static void madt_x2apic(struct acpi_madt *m, const u8 *e)
{
	madt_add_cpu(m, get_le32(e + 4), get_le32(e + 12), get_le32(e + 8), true);
}

static void madt_ioapic(struct acpi_madt *m, const u8 *e)
{
	if (m->nioapics < ACPI_MAX_IOAPICS)
		m->ioapics[m->nioapics++] = (typeof(m->ioapics[0])){ e[2], get_le32(e + 4), get_le32(e + 8) };
	else
		pr_warn("acpi: madt: more than %d IOAPICs; id %u ignored", ACPI_MAX_IOAPICS, e[2]);
}

static void madt_iso(struct acpi_madt *m, const u8 *e)
{
	if (m->nisos < ACPI_MAX_ISOS)
		m->isos[m->nisos++] = (typeof(m->isos[0])){ e[2], e[3], get_le32(e + 4), get_le16(e + 8) };
	else
		pr_warn("acpi: madt: more than %d interrupt source overrides; irq %u ignored", ACPI_MAX_ISOS, e[3]);
}

static void madt_lapic_override(struct acpi_madt *m, const u8 *e) { m->lapic_pa = get_le64(e + 4); }

static const struct {
	u8 min_len;
	void (*fn)(struct acpi_madt *m, const u8 *e);
} madt_types[] = {
	[0] = { 8, madt_lapic },
	[1] = { 12, madt_ioapic },
	[2] = { 10, madt_iso },
	[5] = { 12, madt_lapic_override },
	[9] = { 16, madt_x2apic },
};

int acpi_madt_parse(struct acpi_madt *m, const u8 *t, u32 len)
{
	memset(m, 0, sizeof(*m));
	if (len < MADT_ENTRIES)
		return -EINVAL;
	m->lapic_pa = get_le32(t + 36);
	m->flags = get_le32(t + 40);
	for (u32 off = MADT_ENTRIES; off < len;) {
		u8 type = t[off], elen = off + 1 < len ? t[off + 1] : 0;
		if (elen < 2 || elen > len - off) {
			pr_warn("acpi: madt: entry type %u at offset %u (length %u) runs past the %u-byte table",
				type, off, elen, len);
			return -EINVAL;
		}
		if (type < ARRAY_SIZE(madt_types) && madt_types[type].fn) {
			if (elen < madt_types[type].min_len) {
				pr_warn("acpi: madt: entry type %u at offset %u is %u bytes (need %u)", type, off, elen,
					madt_types[type].min_len);
				return -EINVAL;
			}
			madt_types[type].fn(m, t + off);
		}
		off += elen;
	}
	m->valid = true;
	return 0;
}
