# emul/: guest page walker and segment checks (walk.c, seg.c) and their host tests.
CORE_SRCS += emul/walk.c emul/seg.c

WALK_HOST := $(B)/host/walk
WALK_TEST_OBJS := $(addprefix $(WALK_HOST)/,walk_test.o walk_cases.o walk_oracle.o walk_pt.o \
	walk_mem.o emul_walk.o)
SEG_TEST_OBJS := $(addprefix $(WALK_HOST)/,seg_test.o seg_cases.o emul_seg.o)

HOST_TESTS += $(WALK_HOST)/walk_test $(WALK_HOST)/seg_test $(WALK_HOST)/walk_fuzz.sh

$(WALK_HOST)/%.o: tests/host/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(WALK_HOST)/emul_%.o: emul/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(WALK_HOST)/walk_test: $(WALK_TEST_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

$(WALK_HOST)/seg_test: $(SEG_TEST_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

# libFuzzer target (clang 14): random page tables and control state against the walker and
# the segment checks; the script runs it for a fixed number of inputs.
WALK_FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
$(WALK_HOST)/walk_fuzz: tests/host/walk_fuzz.c emul/walk.c emul/seg.c emul/walk.h emul/seg.h
	@mkdir -p $(@D)
	$(CLANG) $(WALK_FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

$(WALK_HOST)/walk_fuzz.sh: tests/host/walk_fuzz.sh $(WALK_HOST)/walk_fuzz
	install -m 755 $< $@

# Build and run just these tests (until a top-level `make test` runs every HOST_TESTS entry).
.PHONY: walk-test
walk-test: $(WALK_HOST)/walk_test $(WALK_HOST)/seg_test $(WALK_HOST)/walk_fuzz.sh
	@rc=0; for t in $^; do $$t || rc=1; done; exit $$rc

# Differential test against QEMU's page walker: a small i386/x86-64 probe kernel booted with
# qemu -kernel runs the generated cases on the emulated CPU (tests/host/walkq/).
WALKQ_CFLAGS := -m32 -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pic -fno-pie -nostdlib \
	-fno-stack-protector -mno-sse -mno-mmx -fno-asynchronous-unwind-tables -Itests/host/walkq
$(WALK_HOST)/walkq/%.o: tests/host/walkq/%.c tests/host/walkq/walkq.h
	@mkdir -p $(@D)
	$(HOSTCC) $(WALKQ_CFLAGS) -c $< -o $@
$(WALK_HOST)/walkq/%.o: tests/host/walkq/%.S
	@mkdir -p $(@D)
	$(HOSTCC) $(WALKQ_CFLAGS) -c $< -o $@
$(WALK_HOST)/walkq.elf: $(WALK_HOST)/walkq/entry.o $(WALK_HOST)/walkq/kmain.o tests/host/walkq/kernel.ld
	ld -m elf_i386 -T tests/host/walkq/kernel.ld --no-warn-rwx-segments -o $@ $(filter %.o,$^)
$(WALK_HOST)/walk_qemu: $(addprefix $(WALK_HOST)/,walk_qemu.o walk_mem.o emul_walk.o) $(WALK_HOST)/walkq.elf
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.o,$^)
HOST_TESTS += $(WALK_HOST)/walk_qemu
walk-test: $(WALK_HOST)/walk_qemu
