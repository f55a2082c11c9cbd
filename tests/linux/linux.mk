# The Linux guest: Debian's unmodified kernel and busybox (fetched, never installed) and an
# initramfs built here from busybox and tests/linux/init.
LINUX_DIR := $(B)/linux
LINUX_KERNEL := $(LINUX_DIR)/vmlinuz
LINUX_INITRD := $(LINUX_DIR)/initrd.cpio.gz

# One recipe makes both files (grouped target: a parallel make runs it once).
$(LINUX_DIR)/busybox $(LINUX_KERNEL) &: tools/linux-fetch.sh | $(B)/.deps
	tools/linux-fetch.sh $(LINUX_DIR)

# /etc/keel-expected-uname: the release the image's header names (boot.rst: kernel_version + 0x200
# is a NUL-terminated version string), which /init compares with uname -r.
$(LINUX_INITRD): $(LINUX_DIR)/busybox $(LINUX_KERNEL) $(LINUX_DIR)/rdtsc tests/linux/init
	rm -rf $(LINUX_DIR)/rootfs && mkdir -p $(LINUX_DIR)/rootfs/bin $(LINUX_DIR)/rootfs/etc
	cp $(LINUX_DIR)/busybox $(LINUX_DIR)/rdtsc $(LINUX_DIR)/rootfs/bin/
	$(PYTHON) -c 'import sys, struct; d = open(sys.argv[1], "rb").read(); \
		o = struct.unpack_from("<H", d, 0x20e)[0] + 0x200; \
		print(d[o:d.index(b"\0", o)].split()[0].decode())' $(LINUX_KERNEL) \
		> $(LINUX_DIR)/rootfs/etc/keel-expected-uname
	ln -s busybox $(LINUX_DIR)/rootfs/bin/sh
	install -m 755 tests/linux/init $(LINUX_DIR)/rootfs/init
	cd $(LINUX_DIR)/rootfs && find . | cpio -o -H newc --quiet | gzip -9 > ../initrd.cpio.gz

# /bin/rdtsc: the TSC when /init starts (the benchmark's clock under -icount).
$(LINUX_DIR)/rdtsc: tests/linux/rdtsc.c
	@mkdir -p $(@D)
	$(HOSTCC) -O2 $(WARN) -static -nostdlib -ffreestanding -fno-stack-protector -mgeneral-regs-only \
		-fno-pie -no-pie -Wl,--build-id=none -o $@ $<

.PHONY: linux-guest
linux-guest: $(LINUX_KERNEL) $(LINUX_INITRD)

# Host test of the loader against the real image and broken copies of it.
$(B)/host/linux/test_linux: tests/host/test_linux.c vmm/linux.c | $(LINUX_KERNEL) $(LINUX_INITRD)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -Iarch/x86/include -fno-builtin -o $@ tests/host/test_linux.c vmm/linux.c
HOST_TESTS += $(B)/host/linux/test_linux


# The Linux boot cases need the kernel and the test initramfs.
TEST_DEPS += $(LINUX_KERNEL) $(LINUX_INITRD)

# Linux boot to /init under Keel against QEMU alone (-icount).
BENCHES += tests/linux/bench_linux.py
tests/linux/bench_linux.py: $(B)/keel.elf $(SVC_ELF) $(LINUX_KERNEL) $(LINUX_INITRD)

# The Linux boot under Bochs VMX takes many minutes: its own target, outside `make test-bochs`
# (docs/linux.md gives the time).
LINUX_BOCHS_CASES := tests/linux/bochs-vmx-linux.case
BOOT_CASES := $(filter-out $(LINUX_BOCHS_CASES),$(BOOT_CASES))
.PHONY: test-linux-bochs
test-linux-bochs: $(B)/keel.elf $(TEST_DEPS)
	@$(KEELTEST) boot --elf $(B)/keel.elf --emulator bochs --suite linux-bochs $(LINUX_BOCHS_CASES)
