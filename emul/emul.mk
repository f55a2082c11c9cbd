# emul/: decoder, emulator, request/complete state machine (owner: emul branch).
# The page walker and segment checks (emul/walk.c, emul/seg.c) come from emul/walk.mk.
EMUL_SRCS := emul/decode.c emul/decode_tables.c emul/direct.c emul/direct_str.c emul/emul.c emul/hot.c emul/hot_cont.c emul/fetch.c emul/flags.c emul/ops_alu.c \
	emul/ops_misc.c emul/ops_string.c emul/steps.c emul/xlate.c
EMUL_CORE_OBJS := $(patsubst %.c,$(B)/core/%.o,$(EMUL_SRCS)) $(B)/core/emul/vecreg.o
CORE_SRCS += $(EMUL_SRCS) emul/vecreg.S

# The core build of emul/ (freestanding, -mgeneral-regs-only), also checked by the host tests.
.PHONY: emul-core
emul-core: $(EMUL_CORE_OBJS)

# Host builds of emul/ and its tests (tests/host/emul/).
EMUL_T := tests/host/emul
EMUL_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(EMUL_SRCS) emul/walk.c emul/seg.c)
EMUL_TEST_COMMON := $(B)/host/$(EMUL_T)/fakeenv.o $(B)/host/$(EMUL_T)/manifest.o

$(B)/host/emul/%.o: emul/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/$(EMUL_T)/%.o: $(EMUL_T)/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/$(EMUL_T)/zydis_oracle: $(B)/host/$(EMUL_T)/zydis_oracle.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^) -lZydis -lZycore -lcapstone

HOST_TESTS += $(B)/host/$(EMUL_T)/zydis_oracle

$(B)/host/$(EMUL_T)/cpu_stub.o: $(EMUL_T)/cpu_stub.S
	@mkdir -p $(@D)
	$(HOSTCC) -c $< -o $@

$(B)/host/$(EMUL_T)/cpu_oracle: $(B)/host/$(EMUL_T)/cpu_oracle.o $(B)/host/$(EMUL_T)/cpu_case.o \
		$(B)/host/$(EMUL_T)/cpu_stub.o $(EMUL_HOST_OBJS) $(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

HOST_TESTS += $(B)/host/$(EMUL_T)/cpu_oracle

# libFuzzer target (clang, ASan + UBSan), its seed corpus from the manifest, and its runner.
EMUL_FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
EMUL_FUZZ_SRCS := $(EMUL_SRCS) emul/walk.c emul/seg.c $(EMUL_T)/fuzz_emul.c $(EMUL_T)/fakeenv.c
$(B)/host/fuzz/emul/fuzz_emul: $(EMUL_FUZZ_SRCS) emul/emul.h emul/emul_internal.h emul/hot.h emul/walk.h \
		emul/seg.h $(EMUL_T)/fakeenv.h
	@mkdir -p $(@D)
	$(CLANG) $(EMUL_FUZZ_CFLAGS) -o $@ $(EMUL_FUZZ_SRCS)

$(B)/host/$(EMUL_T)/fuzz_seeds: $(B)/host/$(EMUL_T)/fuzz_seeds.o $(B)/host/$(EMUL_T)/manifest.o
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

$(B)/host/fuzz/emul/corpus/.stamp: $(B)/host/$(EMUL_T)/fuzz_seeds emul/manifest.tsv
	@mkdir -p $(@D)
	$< $(@D)
	@touch $@

$(B)/host/$(EMUL_T)/fuzz_emul_run: $(EMUL_T)/fuzz_emul.sh $(B)/host/fuzz/emul/fuzz_emul \
		$(B)/host/fuzz/emul/corpus/.stamp
	printf '#!/bin/sh\nexec %s %s\n' $(EMUL_T)/fuzz_emul.sh $(B) > $@
	chmod +x $@

HOST_TESTS += $(B)/host/$(EMUL_T)/fuzz_emul_run

# Long fuzzing run: make fuzz [EMUL_FUZZ_TIME=seconds]
EMUL_FUZZ_TIME ?= 3600
.PHONY: fuzz
fuzz:: $(B)/host/fuzz/emul/fuzz_emul $(B)/host/fuzz/emul/corpus/.stamp
	@mkdir -p $(B)/host/fuzz/emul/found
	$(B)/host/fuzz/emul/fuzz_emul -max_total_time=$(EMUL_FUZZ_TIME) -max_len=512 \
		$(B)/host/fuzz/emul/found $(B)/host/fuzz/emul/corpus

# make bench: decode+emulate cost on the shared MMIO mix (tests/bench/mmio-mix.tsv).
$(B)/host/$(EMUL_T)/bench_emul: $(B)/host/$(EMUL_T)/bench_emul.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

$(B)/host/$(EMUL_T)/bench_emul_run: $(EMUL_T)/bench_emul.sh $(B)/host/$(EMUL_T)/bench_emul
	printf '#!/bin/sh\nexec %s %s\n' $(EMUL_T)/bench_emul.sh $(B) > $@
	chmod +x $@

BENCHES += $(B)/host/$(EMUL_T)/bench_emul_run

$(B)/host/$(EMUL_T)/unit_emul: $(B)/host/$(EMUL_T)/unit_emul.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

HOST_TESTS += $(B)/host/$(EMUL_T)/unit_emul

$(B)/host/$(EMUL_T)/unit_direct: $(B)/host/$(EMUL_T)/unit_direct.o $(EMUL_HOST_OBJS) \
		$(EMUL_TEST_COMMON) | $(EMUL_CORE_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)

HOST_TESTS += $(B)/host/$(EMUL_T)/unit_direct
