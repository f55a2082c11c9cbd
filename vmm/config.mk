# The configuration parser and validator (docs/config.md): in the core; hosted in the host tool
# build/keel-config (check and dump); its tests (the case tables built with ASan and UBSan,
# keel-config on configs/ and tests/host/config-bad/, a libFuzzer run); `make fuzz-config`.
CONFIG_SRCS := vmm/config_lex.c vmm/config_parse.c vmm/config_keys.c vmm/config_region.c \
	vmm/config_valid.c vmm/config_host.c vmm/config_dump.c
CORE_SRCS += $(CONFIG_SRCS) vmm/config_boot.c

CONFIG_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(CONFIG_SRCS))

$(B)/host/vmm/config_%.o: vmm/config_%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/tools/keel-config.o: tools/keel-config.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/keel-config: $(B)/host/tools/keel-config.o $(CONFIG_HOST_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

all: $(B)/keel-config
CLEAN_EXTRA += $(B)/keel-config

CONFIG_TEST_SRCS := tests/host/config_test.c tests/host/config_test_fields.c \
	tests/host/config_cases_syntax.c tests/host/config_cases_keys.c tests/host/config_cases_check.c
CONFIG_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(B)/host/config_test: $(CONFIG_TEST_SRCS) $(CONFIG_SRCS) tests/host/config_test.h include/keel/config.h \
	vmm/config_int.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(CONFIG_SANITIZE) -o $@ $(CONFIG_TEST_SRCS) $(CONFIG_SRCS)

CONFIG_FUZZ_FLAGS := -g -O1 -std=gnu11 $(WARN) -Iinclude -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
$(B)/host/config_fuzz: tests/host/config_fuzz.c $(CONFIG_SRCS) include/keel/config.h vmm/config_int.h
	@mkdir -p $(@D)
	$(CLANG) $(CONFIG_FUZZ_FLAGS) -o $@ tests/host/config_fuzz.c $(CONFIG_SRCS)

HOST_TESTS += $(B)/host/config_test tests/host/config-files.sh tests/host/config-fuzz.sh
# The scripts run what these build.
tests/host/config-files.sh: $(B)/keel-config
tests/host/config-fuzz.sh: $(B)/host/config_fuzz

.PHONY: test-config fuzz-config
test-config: $(B)/host/config_test $(B)/keel-config $(B)/host/config_fuzz
	@rc=0; for t in $(B)/host/config_test tests/host/config-files.sh tests/host/config-fuzz.sh; do \
		./$$t || rc=1; done; exit $$rc

# Long runs keep their corpus in build/host/config-corpus (FUZZ_TIME seconds, default 600).
FUZZ_TIME ?= 600
fuzz-config: $(B)/host/config_fuzz
	@mkdir -p $(B)/host/config-corpus
	$(B)/host/config_fuzz -max_total_time=$(FUZZ_TIME) -dict=tests/host/config-fuzz.dict -max_len=70000 \
		-artifact_prefix=$(B)/host/config-fuzz- \
		-print_final_stats=1 $(B)/host/config-corpus configs tests/host/config-bad
