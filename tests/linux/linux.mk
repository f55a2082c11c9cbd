# The Linux guest: Debian's unmodified kernel and busybox (fetched, never installed) and an
# initramfs built here from busybox and tests/linux/init.
LINUX_DIR := $(B)/linux
LINUX_KERNEL := $(LINUX_DIR)/vmlinuz
LINUX_INITRD := $(LINUX_DIR)/initrd.cpio.gz

$(LINUX_DIR)/busybox $(LINUX_KERNEL): tools/linux-fetch.sh | $(B)/.deps
	tools/linux-fetch.sh $(LINUX_DIR)

$(LINUX_INITRD): $(LINUX_DIR)/busybox tests/linux/init
	rm -rf $(LINUX_DIR)/rootfs && mkdir -p $(LINUX_DIR)/rootfs/bin
	cp $(LINUX_DIR)/busybox $(LINUX_DIR)/rootfs/bin/busybox
	ln -s busybox $(LINUX_DIR)/rootfs/bin/sh
	install -m 755 tests/linux/init $(LINUX_DIR)/rootfs/init
	cd $(LINUX_DIR)/rootfs && find . | cpio -o -H newc --quiet | gzip -9 > ../initrd.cpio.gz

.PHONY: linux-guest
linux-guest: $(LINUX_KERNEL) $(LINUX_INITRD)

# Host test of the loader against the real image and broken copies of it.
$(B)/host/linux/test_linux: tests/host/test_linux.c vmm/linux.c | $(LINUX_KERNEL) $(LINUX_INITRD)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -Iarch/x86/include -fno-builtin -o $@ tests/host/test_linux.c vmm/linux.c
HOST_TESTS += $(B)/host/linux/test_linux
