# Guest payloads: freestanding, built for long mode (64) and protected mode (32).
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -Iinclude -Itests/guest -MMD -MP
GUEST_LIB := console verdict hcall exc start tdevport
GUEST_PAYLOADS := basic

$(B)/guest/64/%.o: tests/guest/%.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/64/lib/entry.o: tests/guest/lib/entry64.S
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/32/%.o: tests/guest/%.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m32 -march=i686 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/32/lib/entry.o: tests/guest/lib/entry32.S
	@mkdir -p $(@D)
	$(CC) -m32 $(GUEST_CFLAGS) -c $< -o $@

guest_lib = $(B)/guest/$(1)/lib/entry.o $(patsubst %,$(B)/guest/$(1)/lib/%.o,$(GUEST_LIB))

$(B)/guest/%-64.elf: $(B)/guest/64/%.o $(call guest_lib,64) tests/guest/lib/guest64.ld
	$(CC) -m64 $(GUEST_CFLAGS) -static -Wl,-T,tests/guest/lib/guest64.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ $(filter %.o,$^) -lgcc
$(B)/guest/%-32.elf: $(B)/guest/32/%.o $(call guest_lib,32) tests/guest/lib/guest64.ld
	$(CC) -m32 $(GUEST_CFLAGS) -static -Wl,-T,tests/guest/lib/guest64.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ $(filter %.o,$^) -lgcc

GUEST_ELFS := $(foreach p,$(GUEST_PAYLOADS),$(B)/guest/$(p)-64.elf $(B)/guest/$(p)-32.elf)
.PHONY: guests
guests: $(GUEST_ELFS)
TEST_DEPS += $(GUEST_ELFS)
