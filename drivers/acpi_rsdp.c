/* RSDP validation and the BIOS-area scan (ACPI 6.5 §5.2.5). */
#include <keel/acpi.h>
#include <keel/phys.h>
#include <keel/string.h>
#include <keel/unaligned.h>

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

bool acpi_checksum_ok(const u8 *p, size_t len)
{
	u8 sum = 0;
	while (len--)
		sum = (u8)(sum + *p++);
	return sum == 0;
}

int acpi_rsdp_check(const u8 *p, size_t len, const char **why)
{
	if (len < RSDP_V1_LEN || memcmp(p, "RSD PTR ", 8)) {
		*why = "no \"RSD PTR \" signature";
		return -EINVAL;
	}
	if (!acpi_checksum_ok(p, RSDP_V1_LEN)) {
		*why = "bad checksum over the first 20 bytes";
		return -EBADMSG;
	}
	if (p[15] < 2)
		return 1;
	u32 xlen = len >= RSDP_V2_LEN ? get_le32(p + 20) : 0;
	if (xlen < RSDP_V2_LEN || xlen > len) {
		*why = "revision >= 2 but the length field is not 36 (or the copy is short)";
		return -EINVAL;
	}
	if (!acpi_checksum_ok(p, xlen)) {
		*why = "bad extended checksum";
		return -EBADMSG;
	}
	return 2;
}

static u64 rsdp_scan_range(u64 start, u64 end)
{
	const char *why;
	for (u64 pa = ALIGN_UP(start, 16); pa + RSDP_V1_LEN <= end; pa += 16) {
		const u8 *p = phys_map(pa, RSDP_V1_LEN);
		if (!p || memcmp(p, "RSD PTR ", 8))
			continue;
		u64 avail = MIN(phys_mapped_bytes(pa), end - pa);
		if (acpi_rsdp_check(p, (size_t)MIN(avail, (u64)RSDP_V2_LEN), &why) > 0)
			return pa;
	}
	return 0;
}

u64 acpi_rsdp_scan(void)
{
	/* The BIOS data area word at 0x40E holds the EBDA segment (ACPI 6.5 §5.2.5.1). */
	const u8 *bda = phys_map(0x40e, 2);
	u64 ebda = bda ? (u64)get_le16(bda) << 4 : 0;
	u64 pa = 0;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		pa = rsdp_scan_range(ebda, ebda + 1024);
	return pa ? pa : rsdp_scan_range(0xe0000, 0x100000);
}
