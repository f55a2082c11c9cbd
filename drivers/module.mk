CORE_SRCS += drivers/uart16550.c drivers/console.c drivers/timer.c drivers/acpi_rsdp.c drivers/acpi_tables.c \
	drivers/acpi_madt.c drivers/acpi_fadt.c drivers/acpi_aml.c drivers/acpi_power.c
