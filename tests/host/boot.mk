# Host unit tests for the boot path: the same boot/, drivers/acpi_*, vmm/pmm.c and vmm/cmdline.c
# sources as the core, compiled hosted against tests/host/hostenv.c (fake physical memory).
BOOT_HT := $(B)/host/boot
BOOT_HT_LIB := boot/mb2.c boot/mb1.c boot/bootinfo.c drivers/acpi_rsdp.c drivers/acpi_tables.c \
	drivers/acpi_madt.c drivers/acpi_fadt.c drivers/acpi_aml.c vmm/pmm.c vmm/cmdline.c \
	tests/host/hostenv.c tests/host/mbi_build.c tests/host/acpi_build.c
BOOT_HT_LIB_OBJS := $(patsubst %.c,$(BOOT_HT)/%.o,$(BOOT_HT_LIB))
BOOT_HT_PROGS := test_mb2 test_mb1 test_pmm test_acpi test_cmdline aml_probe
BOOT_HT_TESTS := $(addprefix $(BOOT_HT)/,test_mb2 test_mb1 test_pmm test_acpi test_cmdline test_bootfuzz acpi_iasl.sh)

$(BOOT_HT)/%.o: %.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(addprefix $(BOOT_HT)/,$(BOOT_HT_PROGS)): $(BOOT_HT)/%: $(BOOT_HT)/tests/host/%.o $(BOOT_HT_LIB_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

# The mutation test runs the same sources built with AddressSanitizer and UBSan.
BOOT_HT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(BOOT_HT)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(BOOT_HT_SAN) -c $< -o $@
$(BOOT_HT)/test_bootfuzz: $(BOOT_HT)/asan/tests/host/test_bootfuzz.o $(patsubst %.c,$(BOOT_HT)/asan/%.o,$(BOOT_HT_LIB))
	$(HOSTCC) $(HOST_CFLAGS) $(BOOT_HT_SAN) -o $@ $^

# The iasl cross-check runs next to the aml_probe it drives.
$(BOOT_HT)/acpi_iasl.sh: tests/host/acpi_iasl.sh $(BOOT_HT)/aml_probe
	cp $< $@
	chmod +x $@

HOST_TESTS += $(BOOT_HT_TESTS)

.PHONY: test-boot-host
test-boot-host: $(BOOT_HT_TESTS)
	@fail=0; for t in $(BOOT_HT_TESTS); do $$t || fail=1; done; exit $$fail
