/* What the boot path found, for the rest of the core (valid once kmain has passed bring-up). */
#ifndef KEEL_BOOT_H
#define KEEL_BOOT_H

#include <keel/acpi.h>
#include <keel/bootinfo.h>
#include <keel/cmdline.h>

const struct bootinfo *boot_info(void);
const struct acpi_info *boot_acpi(void); /* NULL when there is no usable ACPI */
const struct keel_opts *boot_opts(void);

#endif
