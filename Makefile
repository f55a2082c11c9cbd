# Keel — top-level build. Each directory lists its own sources in a module.mk that this file
# includes; here live the toolchain, the flags and the top-level targets (xv6-style, flat).
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

B       := build
CC      := gcc
HOSTCC  := gcc
CLANG   := clang
PYTHON  := python3

WARN := -Wall -Wextra -Werror
# The core never touches SSE/x87/AVX state: those registers belong to the guest at an exit.
CORE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-fno-common -fno-tree-loop-distribute-patterns \
	-Iinclude -Iarch/x86/include -I. -MMD -MP
CORE_ASFLAGS := $(filter-out -std=gnu11,$(CORE_CFLAGS)) -D__ASSEMBLY__
CORE_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,linker.ld -Wl,-z,max-page-size=0x1000 \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
# Host builds (unit tests, oracles, the config checker) compile the same sources hosted.
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -I. -MMD -MP

# Filled in by the module.mk files. Boot cases are found by name; fragments may add more, and
# TEST_DEPS lists files the cases boot with (guest payloads) so they are built first.
CORE_SRCS :=
HOST_TESTS :=
BENCHES :=
CLEAN_EXTRA :=
BOOT_CASES := $(sort $(wildcard tests/*/*.case tests/*/*/*.case))
TEST_DEPS :=

include $(sort $(wildcard */*.mk */*/*.mk */*/*/*.mk))

CORE_OBJS := $(patsubst %,$(B)/core/%.o,$(basename $(CORE_SRCS)))

$(B)/core/%.o: %.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(B)/core/%.o: %.S | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) $(CORE_ASFLAGS) -c $< -o $@

$(B)/keel.elf: $(CORE_OBJS) linker.ld $(B)/.deps
	$(CC) $(CORE_CFLAGS) $(CORE_LDFLAGS) -o $@ $(CORE_OBJS) -lgcc
	grub-file --is-x86-multiboot2 $@
	grub-file --is-x86-multiboot $@

# Idempotent: installs only the Debian packages that are missing.
$(B)/.deps: tools/deps.sh
	@mkdir -p $(B)
	tools/deps.sh
	@touch $@

.PHONY: all deps clean distclean
all: $(B)/keel.elf $(B)/keel.iso
deps: $(B)/.deps

clean:
	rm -rf $(B)/core $(B)/host $(B)/iso $(B)/*.elf $(B)/*.iso $(B)/test-* $(B)/run $(CLEAN_EXTRA)

# Also what is slow to rebuild and `clean` keeps: newlib (service/service.mk), downloads.
distclean: clean
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The demo image: keel.elf plus the modules configs/demo.cfg names (FILE:NAME pairs): the
# service VM and the demo guest (docs/partitions.md, "The demo").
DEMO_CMDLINE ?= loglevel=info config=demo
DEMO_MODULES ?= configs/demo.cfg:demo $(B)/service/service.elf:service.elf \
	$(B)/guest/demo-64.elf:demo.elf
$(B)/keel.iso: $(B)/keel.elf tools/mkiso.sh $(foreach m,$(DEMO_MODULES),$(firstword $(subst :, ,$(m))))
	tools/mkiso.sh $@ $< "$(DEMO_CMDLINE)" $(DEMO_MODULES)

# Running: the demo in QEMU (Ctrl-A X quits; QEMUFLAGS=--uefi boots it on OVMF), stopped under
# gdb, or in Bochs. Logs and run files of these go to build/run/.
QEMUFLAGS ?=
GDBPORT ?= $(shell expr $$(id -u) % 5000 + 25000)
.PHONY: run qemu-gdb bochs
run: $(B)/keel.iso
	tools/qemu.sh --iso $< --smp 3 --mem 1024 --vars $(B)/run/ovmf-vars.fd $(QEMUFLAGS)

qemu-gdb: $(B)/keel.iso
	@echo "*** QEMU waits for gdb on port $(GDBPORT); in another terminal run:"
	@echo "***   gdb -q -x tools/gdbinit -ex 'target remote localhost:$(GDBPORT)'"
	tools/qemu.sh --iso $< --smp 3 --mem 1024 --vars $(B)/run/ovmf-vars.fd --gdb $(GDBPORT) $(QEMUFLAGS)

bochs: $(B)/keel.iso
	tools/bochs.sh --iso $< --cpus 3 --dir $(B)/run/bochs --serial-log /dev/stdout --timeout 3600

# Testing (docs/testing.md). Every suite runs even when another fails; the last line sums them.
KEELTEST := $(PYTHON) tools/keeltest.py --build $(B)
.PHONY: test test-host test-qemu test-bochs bench
test: $(B)/.deps
	@rm -f $(B)/test-results/*.res
	@$(MAKE) --no-print-directory test-host || true
	@$(MAKE) --no-print-directory test-qemu || true
	@$(MAKE) --no-print-directory test-bochs || true
	@$(KEELTEST) total host qemu bochs

# Builds what it can (-k): a host test that does not build counts as failed, the others still run.
test-host: $(B)/.deps
	@ok=1; $(MAKE) --no-print-directory -k host-tests-built || ok=0; \
	$(KEELTEST) host --built $$ok $(HOST_TESTS)

.PHONY: host-tests-built
host-tests-built: $(HOST_TESTS)
	@:

test-qemu: $(B)/keel.elf $(TEST_DEPS)
	@$(KEELTEST) boot --elf $(B)/keel.elf --emulator qemu $(BOOT_CASES)

test-bochs: $(B)/keel.elf $(TEST_DEPS)
	@$(KEELTEST) boot --elf $(B)/keel.elf --emulator bochs $(BOOT_CASES)

bench: $(B)/keel.elf $(BENCHES)
	@$(KEELTEST) bench $(BENCHES)
