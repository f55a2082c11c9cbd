#include "acpi_build.h"

#include <string.h>

void put_le16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
void put_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
void put_le64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

void acpi_hdr(uint8_t *t, const char *sig, uint32_t len)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = 2;
	memcpy(t + 10, "KEELTS", 6);
	memcpy(t + 16, "TESTTABL", 8);
}

void acpi_sum(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0x100 - sum(t, len));
}

void rsdp_build(uint8_t *p, int rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "KEELTS", 6);
	p[15] = (uint8_t)rev;
	put_le32(p + 16, rsdt);
	put_le32(p + 20, 36);
	put_le64(p + 24, xsdt);
	p[8] = (uint8_t)(0x100 - sum(p, 20));
	p[32] = (uint8_t)(0x100 - sum(p, 36));
}
