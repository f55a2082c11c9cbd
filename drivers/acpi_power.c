/* ACPI S5 soft-off: SLP_TYPx from \_S5 and SLP_EN into PM1a/PM1b_CNT (ACPI 6.5 §4.8.3.2.1,
 * §16.1.7). Ports come from the FADT only; nothing emulator-specific is hard-coded. */
#include <arch/io.h>
#include <keel/acpi.h>
#include <keel/printk.h>
#include <keel/time.h>

#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN 0x2000

/* Hands the chipset from legacy to ACPI mode if firmware has not (ACPI 6.5 §4.8.2.1 SMI_CMD). */
static void acpi_enable_mode(const struct acpi_fadt *f)
{
	if ((inw(f->pm1a_cnt) & PM1_SCI_EN) || !f->smi_cmd || f->smi_cmd > 0xffff || !f->acpi_enable)
		return;
	outb((u16)f->smi_cmd, f->acpi_enable);
	for (int i = 0; i < 300 && !(inw(f->pm1a_cnt) & PM1_SCI_EN); i++)
		udelay(1000);
}

static void pm1_write(u16 port, u8 typ, u16 extra)
{
	u16 v = (u16)((inw(port) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN)) | (u16)(typ << PM1_SLP_TYP_SHIFT));
	outw(port, v | extra);
}

void acpi_poweroff(const struct acpi_info *ai)
{
	const struct acpi_fadt *f = &ai->fadt;
	if (!f->valid || !f->pm1a_cnt) {
		pr_warn("acpi: power-off impossible: no FADT PM1a control block");
		return;
	}
	if (!ai->s5.valid) {
		pr_warn("acpi: power-off impossible: %s", ai->s5.why);
		return;
	}
	acpi_enable_mode(f);
	pm1_write(f->pm1a_cnt, ai->s5.slp_typa, 0);
	if (f->pm1b_cnt)
		pm1_write(f->pm1b_cnt, ai->s5.slp_typb, 0);
	pm1_write(f->pm1a_cnt, ai->s5.slp_typa, PM1_SLP_EN);
	if (f->pm1b_cnt)
		pm1_write(f->pm1b_cnt, ai->s5.slp_typb, PM1_SLP_EN);
	udelay(100000);
	pr_warn("acpi: still running 100 ms after the S5 request to port %#x", f->pm1a_cnt);
}
