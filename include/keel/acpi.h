/* ACPI table discovery (drivers/acpi_*.c). The tables are firmware data: every length and
 * checksum is verified; a bad table is reported and ignored, never trusted. Physical memory is
 * read through phys_map only, so the same code runs in host tests on crafted tables. */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include <keel/errno.h>
#include <keel/types.h>

#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_ISOS 24
#define ACPI_HDR_LEN 36
#define ACPI_TABLE_MAX (16u << 20) /* a longer table is corrupt */

#define ACPI_CPU_ENABLED 0x1u
#define ACPI_CPU_ONLINE_CAPABLE 0x2u

struct acpi_table {
	char sig[5];
	u64 pa;
	u32 len;
	bool ok; /* mapped, length sane, checksum good */
};

struct acpi_cpu {
	u32 apic_id, uid, flags;
	bool x2apic; /* came from a type 9 entry */
};

struct acpi_madt {
	bool valid;
	u64 lapic_pa;
	u32 flags;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned ncpus;      /* entries kept (enabled or online-capable), duplicates dropped */
	unsigned nenabled;
	struct { u8 id; u32 addr, gsi_base; } ioapics[ACPI_MAX_IOAPICS];
	unsigned nioapics;
	struct { u8 bus, source; u32 gsi; u16 flags; } isos[ACPI_MAX_ISOS];
	unsigned nisos;
};

struct acpi_fadt {
	bool valid;
	u16 pm1a_cnt, pm1b_cnt; /* I/O ports, 0 = absent */
	u16 pm_tmr;
	bool pm_tmr_32;         /* FADT flags TMR_VAL_EXT */
	u32 smi_cmd;
	u8 acpi_enable;
	u64 dsdt_pa, facs_pa;
};

struct acpi_s5 {
	bool valid;
	u8 slp_typa, slp_typb;
	const char *why; /* set when !valid */
};

struct acpi_info {
	u8 rsdp_rev;             /* 1 or 2: the format parsed */
	u64 root_pa;
	bool root_is_xsdt;
	struct acpi_table tables[ACPI_MAX_TABLES];
	unsigned ntables;
	struct acpi_madt madt;
	struct acpi_fadt fadt;
	struct acpi_s5 s5;
};

/* Finds the RSDP in the first KiB of the EBDA and in 0xE0000-0xFFFFF (ACPI 6.5 §5.2.5.1).
 * Returns its physical address, or 0. */
u64 acpi_rsdp_scan(void);

/* Validates an RSDP copy (signature, checksum, and for revision >= 2 length and extended
 * checksum). Returns 1 or 2 (the format to use), or a negative errno with *why set. */
int acpi_rsdp_check(const u8 *p, size_t len, const char **why);

/* Parses everything reachable from the RSDP copy `rsdp` (len bytes). Returns 0 when a root table
 * was usable; bad tables are warned about and skipped. */
int acpi_parse(struct acpi_info *ai, const u8 *rsdp, size_t len);

/* Table walkers, also called by host tests directly on buffers. */
bool acpi_checksum_ok(const u8 *p, size_t len);
int acpi_madt_parse(struct acpi_madt *m, const u8 *t, u32 len);
int acpi_fadt_parse(struct acpi_fadt *f, const u8 *t, u32 len);
int acpi_s5_parse(struct acpi_s5 *s5, const u8 *dsdt, u32 len);

/* Maps the table at pa after checking length and checksum: NULL with *why on failure. */
const u8 *acpi_table_map(u64 pa, u32 *len, const char **why);

/* Power (drivers/acpi_power.c): S5 through PM1a/PM1b control. Returns only if it failed. */
void acpi_poweroff(const struct acpi_info *ai);

#endif
