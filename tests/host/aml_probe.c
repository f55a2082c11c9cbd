/* aml_probe FILE: finds the first ACPI table with signature DSDT (or SSDT) in FILE (a raw .aml or
 * a firmware image), checks its length and checksum, and prints what acpi_s5_parse makes of it:
 * `s5 <a> <b>` or `no-s5 <why>`. Used by acpi_iasl.sh against iasl's view of the same bytes. */
#include "hostenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/acpi.h>

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: aml_probe FILE [OUT.aml]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; i + 36 <= n; i++) {
		if (memcmp(buf + i, "DSDT", 4) && memcmp(buf + i, "SSDT", 4))
			continue;
		uint32_t len;
		memcpy(&len, buf + i + 4, 4);
		if (len < 36 || len > n - i || !acpi_checksum_ok(buf + i, len))
			continue;
		if (argc == 3) {
			FILE *o = fopen(argv[2], "wb");
			if (!o || fwrite(buf + i, 1, len, o) != len)
				return 2;
			fclose(o);
		}
		struct acpi_s5 s5;
		if (acpi_s5_parse(&s5, buf + i, len) == 0)
			printf("s5 %u %u\n", s5.slp_typa, s5.slp_typb);
		else
			printf("no-s5 %s\n", s5.why);
		return 0;
	}
	printf("no-table\n");
	return 1;
}
