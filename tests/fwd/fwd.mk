# Forwarding to the service VM (docs/partitions.md): the payloads (tests/guest/fwd*.c,
# coninput.c), the boot cases and configurations in tests/fwd/ (the ones with the service VM are
# in tests/service/), and the benchmark.
FWD_ELFS := $(B)/guest/fwd-64.elf $(B)/guest/fwd-32.elf $(B)/guest/coninput-64.elf

$(B)/guest/fwd-64.elf: $(B)/guest/64/fwd_str.o $(B)/guest/64/fwd_bench.o $(B)/guest/64/fwd_policy.o
$(B)/guest/fwd-32.elf: $(B)/guest/32/fwd_str.o $(B)/guest/32/fwd_bench.o $(B)/guest/32/fwd_policy.o

TEST_DEPS += $(FWD_ELFS)
BENCHES += tests/fwd/bench_fwd.py
.PHONY: fwd-guests
fwd-guests: $(FWD_ELFS)

# The console-input router, hosted.
$(B)/host/console_in_test: tests/host/console_in_test.c drivers/console_in.c include/keel/console_in.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all -o $@ \
		tests/host/console_in_test.c drivers/console_in.c
HOST_TESTS += $(B)/host/console_in_test
# The benchmark boots what these build.
tests/fwd/bench_fwd.py: $(FWD_ELFS) $(SVC_ELF)
