# Guest payloads: freestanding, built for long mode (64) and protected mode (32).
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -Iinclude -Itests/guest -MMD -MP
GUEST_LIB := console verdict hcall exc start intr apic tdevport
GUEST_PAYLOADS := basic irq smp irqfwd bench insnmemo cpufilt cpuidmemo
# Payloads built from several files: the extra objects of each.
GUEST_PARTS_irq := irq_lapic irq_timer irq_ioapic irq_legacy
GUEST_PARTS_smp := smp_ipi smp_tramp

$(B)/guest/64/%.o: tests/guest/%.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/64/lib/entry.o: tests/guest/lib/entry64.S
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/64/%.o: tests/guest/%.S | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/32/%.o: tests/guest/%.S | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m32 $(GUEST_CFLAGS) -c $< -o $@
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

$(foreach p,$(GUEST_PAYLOADS),$(foreach m,64 32,$(eval $(B)/guest/$(p)-$(m).elf: \
	$(patsubst %,$(B)/guest/$(m)/%.o,$(GUEST_PARTS_$(p))))))

GUEST_ELFS := $(foreach p,$(GUEST_PAYLOADS),$(B)/guest/$(p)-64.elf $(B)/guest/$(p)-32.elf)
.PHONY: guests
guests: $(GUEST_ELFS)
TEST_DEPS += $(GUEST_ELFS)

# Interrupt path lengths from the irq payload under QEMU -icount (tests/guest/bench_irq.py).
BENCHES += tests/guest/bench_irq.py
tests/guest/bench_irq.py: $(B)/keel.elf $(B)/guest/irq-64.elf
