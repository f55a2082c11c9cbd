# The ring's host tests and benchmark (docs/ring.md §9). The core's files are built hosted here
# with gcc, and with clang under ASan/UBSan, TSan and libFuzzer.
RING_B := $(B)/host/ring
RING_LIB := $(filter-out vmm/ring_printk.c,$(wildcard vmm/ring*.c)) service/ring_svc.c tests/host/ring_testlib.c
RING_HDRS := include/keel/ring.h include/abi/ring.h include/abi/hypercall.h $(wildcard vmm/ring*.h) \
	service/ring_svc.h tests/host/ring_testlib.h tests/host/ring.mk
RING_GCC := $(HOSTCC) $(filter-out -MMD -MP,$(HOST_CFLAGS))
RING_CLANG := $(CLANG) $(filter-out -MMD -MP -O2,$(HOST_CFLAGS)) -O1 -fno-omit-frame-pointer
RING_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=all
RING_STRESS_MESSAGES := 10000000
RING_TSAN_MESSAGES := 1000000

# The service side must build with the compiler's freestanding headers only.
$(RING_B)/ring_svc_freestanding.o: service/ring_svc.c $(RING_HDRS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
		-mgeneral-regs-only -Iinclude -c $< -o $@

$(RING_B)/ring_answers $(RING_B)/ring_broken $(RING_B)/ring_svc_test: $(RING_B)/%: tests/host/%.c \
		$(RING_LIB) $(RING_HDRS) $(RING_B)/ring_svc_freestanding.o
	@mkdir -p $(@D)
	$(RING_GCC) -o $@ $< $(RING_LIB)

$(RING_B)/ring_answers_asan $(RING_B)/ring_broken_asan: $(RING_B)/%_asan: tests/host/%.c \
		$(RING_LIB) $(RING_HDRS)
	@mkdir -p $(@D)
	$(RING_CLANG) $(RING_ASAN) -o $@ $< $(RING_LIB)

$(RING_B)/ring_stress: tests/host/ring_stress.c $(RING_LIB) $(RING_HDRS)
	@mkdir -p $(@D)
	$(RING_GCC) -pthread -DRING_STRESS_MESSAGES=$(RING_STRESS_MESSAGES) \
		-o $@ $< $(RING_LIB)

$(RING_B)/ring_stress_tsan: tests/host/ring_stress.c tests/host/ring_tsan_opts.c $(RING_LIB) $(RING_HDRS)
	@mkdir -p $(@D)
	$(RING_CLANG) -fsanitize=thread -pthread -DRING_STRESS_MESSAGES=$(RING_TSAN_MESSAGES) \
		-o $@ $< tests/host/ring_tsan_opts.c $(RING_LIB)

$(RING_B)/ring_fuzz: tests/host/ring_fuzz.c $(RING_LIB) $(RING_HDRS)
	@mkdir -p $(@D)
	$(RING_CLANG) -fsanitize=fuzzer,address,undefined -o $@ $< $(RING_LIB)

# The script runs the fuzzer: building it is the script's prerequisite.
tests/host/ring_fuzz.sh: $(RING_B)/ring_fuzz

$(RING_B)/ring_bench: tests/host/ring_bench.c $(RING_LIB) $(RING_HDRS)
	@mkdir -p $(@D)
	$(RING_GCC) -pthread -o $@ $< $(RING_LIB)

HOST_TESTS += $(RING_B)/ring_answers $(RING_B)/ring_answers_asan $(RING_B)/ring_broken \
	$(RING_B)/ring_broken_asan $(RING_B)/ring_svc_test $(RING_B)/ring_stress \
	$(RING_B)/ring_stress_tsan tests/host/ring_fuzz.sh
BENCHES += $(RING_B)/ring_bench
