/* Just enough AML to read \_S5 (ACPI 6.5 §7.4.2 sleep states, §20.2 AML grammar):
 * NameOp "_S5_" PackageOp PkgLength NumElements, then SLP_TYPa and SLP_TYPb as integers. */
#include <keel/acpi.h>
#include <keel/string.h>
#include <keel/unaligned.h>

enum {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a, AML_WORD = 0x0b,
	AML_DWORD = 0x0c, AML_QWORD = 0x0e, AML_PACKAGE = 0x12, AML_ROOT = 0x5c,
};

/* Decodes one integer term at p[*i] (bounded by end); -1 if it is not a plain integer. */
static s64 aml_integer(const u8 *p, u32 *i, u32 end)
{
	static const u8 width[] = { [AML_BYTE] = 1, [AML_WORD] = 2, [AML_DWORD] = 4, [AML_QWORD] = 8 };
	if (*i >= end)
		return -1;
	u8 op = p[(*i)++];
	if (op == AML_ZERO || op == AML_ONE)
		return op;
	if (op >= sizeof(width) || !width[op] || end - *i < width[op])
		return -1;
	u64 v = 0;
	for (unsigned k = 0; k < width[op]; k++)
		v |= (u64)p[*i + k] << (8 * k);
	*i += width[op];
	return v > 0xff ? -1 : (s64)v;
}

static bool aml_is_name_decl(const u8 *p, u32 i)
{
	return (i >= 1 && p[i - 1] == AML_NAME) || (i >= 2 && p[i - 1] == AML_ROOT && p[i - 2] == AML_NAME);
}

/* Parses the package that follows "_S5_" at p[i]; returns 0 and fills s5, or sets s5->why. */
static int aml_s5_package(struct acpi_s5 *s5, const u8 *p, u32 i, u32 len)
{
	if (i >= len || p[i] != AML_PACKAGE) {
		s5->why = "\\_S5 is not a package";
		return -EINVAL;
	}
	i++;
	u32 pkglen_bytes = i < len ? 1u + (p[i] >> 6) : 0; /* PkgLength lead byte bits 7:6 */
	if (!pkglen_bytes || len - i < pkglen_bytes + 1) {
		s5->why = "\\_S5 package is truncated";
		return -EINVAL;
	}
	i += pkglen_bytes;
	u8 count = p[i++];
	s64 a = aml_integer(p, &i, len);
	s64 b = count >= 2 ? aml_integer(p, &i, len) : a;
	if (count < 1 || a < 0 || b < 0) {
		s5->why = "\\_S5 package does not start with two small integers";
		return -EINVAL;
	}
	if (a > 7 || b > 7) {
		s5->why = "\\_S5 SLP_TYP value does not fit in 3 bits";
		return -ERANGE;
	}
	*s5 = (struct acpi_s5){ true, (u8)a, (u8)b, NULL };
	return 0;
}

int acpi_s5_parse(struct acpi_s5 *s5, const u8 *t, u32 len)
{
	*s5 = (struct acpi_s5){ .why = "no \\_S5 object in the DSDT" };
	if (!t || len < ACPI_HDR_LEN + 4)
		return -ENOENT;
	for (u32 i = ACPI_HDR_LEN; i <= len - 4; i++) {
		if (memcmp(t + i, "_S5_", 4) || !aml_is_name_decl(t, i))
			continue;
		return aml_s5_package(s5, t, i + 4, len);
	}
	return -ENOENT;
}
