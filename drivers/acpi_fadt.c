/* FADT (ACPI 6.5 §5.2.9): PM1a/PM1b control blocks, the PM timer, SMI_CMD/ACPI_ENABLE, DSDT and
 * FACS. A 64-bit X_ field wins over its 32-bit twin when the table is long enough to hold it,
 * it is non-zero and (for the GAS blocks) it lies in system I/O space. */
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/unaligned.h>

enum {
	FADT_FACS = 36, FADT_DSDT = 40, FADT_SMI_CMD = 48, FADT_ACPI_ENABLE = 52, FADT_PM1A_CNT = 64,
	FADT_PM1B_CNT = 68, FADT_PM_TMR = 76, FADT_MIN = 80, FADT_FLAGS = 112, FADT_X_FACS = 132,
	FADT_X_DSDT = 140, FADT_X_PM1A_CNT = 172, FADT_X_PM1B_CNT = 184, FADT_X_PM_TMR = 208,
};
#define FADT_TMR_VAL_EXT BIT(8)
#define GAS_SYSTEM_IO 1

static u64 fadt_addr(const u8 *t, u32 len, unsigned off32, unsigned off64)
{
	u64 x = len >= off64 + 8 ? get_le64(t + off64) : 0;
	return x ? x : get_le32(t + off32);
}

/* An I/O port block: the X_ generic address structure if usable, else the legacy field. */
static u16 fadt_port(const u8 *t, u32 len, unsigned off32, unsigned offgas, const char *name)
{
	u32 legacy = get_le32(t + off32);
	if (len >= offgas + 12) {
		const u8 *gas = t + offgas;
		u64 addr = get_le64(gas + 4);
		if (addr && gas[0] == GAS_SYSTEM_IO && addr <= 0xffff)
			return (u16)addr;
		if (addr)
			pr_warn("acpi: fadt: X_%s is %#llx in address space %u; only system I/O is supported", name,
				(unsigned long long)addr, gas[0]);
	}
	if (legacy > 0xffff) {
		pr_warn("acpi: fadt: %s %#x is not an I/O port", name, legacy);
		return 0;
	}
	return (u16)legacy;
}

int acpi_fadt_parse(struct acpi_fadt *f, const u8 *t, u32 len)
{
	memset(f, 0, sizeof(*f));
	if (len < FADT_MIN)
		return -EINVAL;
	f->pm1a_cnt = fadt_port(t, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT, "PM1a_CNT_BLK");
	f->pm1b_cnt = fadt_port(t, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT, "PM1b_CNT_BLK");
	f->pm_tmr = fadt_port(t, len, FADT_PM_TMR, FADT_X_PM_TMR, "PM_TMR_BLK");
	f->pm_tmr_32 = len >= FADT_FLAGS + 4 && (get_le32(t + FADT_FLAGS) & FADT_TMR_VAL_EXT);
	f->smi_cmd = get_le32(t + FADT_SMI_CMD);
	f->acpi_enable = t[FADT_ACPI_ENABLE];
	f->dsdt_pa = fadt_addr(t, len, FADT_DSDT, FADT_X_DSDT);
	f->facs_pa = fadt_addr(t, len, FADT_FACS, FADT_X_FACS);
	f->valid = true;
	return 0;
}
