/* Builders for crafted ACPI tables placed in fake physical memory. */
#ifndef TESTS_HOST_ACPI_BUILD_H
#define TESTS_HOST_ACPI_BUILD_H

#include <stdint.h>

/* Writes a 36-byte SDT header (length len) at t. */
void acpi_hdr(uint8_t *t, const char *sig, uint32_t len);
/* Sets the checksum byte (offset 9) so the table sums to zero. */
void acpi_sum(uint8_t *t, uint32_t len);
/* A 36-byte RSDP: revision 0 (v1) or 2, both checksums right. */
void rsdp_build(uint8_t *p, int rev, uint32_t rsdt, uint64_t xsdt);
void put_le16(uint8_t *p, uint16_t v);
void put_le32(uint8_t *p, uint32_t v);
void put_le64(uint8_t *p, uint64_t v);

#endif
