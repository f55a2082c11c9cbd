# The service VM (docs/service.md): newlib is built once into build/newlib (1.5 minutes; `make
# clean` keeps it, `make distclean` removes it), then the runtime, the ring loop and the device
# models are compiled against its headers and linked into build/service/service.elf.
NEWLIB_DIR := $(B)/newlib
NEWLIB := $(NEWLIB_DIR)/install/x86_64-elf
NEWLIB_LIBC := $(NEWLIB)/lib/libc.a
SVC_B := $(B)/service
SVC_ELF := $(SVC_B)/service.elf

# newlib's libc uses SSE, so the service VM may too; no red zone: it takes interrupts in ring 0.
SVC_CFLAGS := -std=gnu11 -O2 -g $(WARN) -nostdinc -isystem $(NEWLIB)/include \
	-isystem $(shell $(CC) -print-file-name=include) -fno-pic -fno-pie -mno-red-zone \
	-mcmodel=small -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-Iinclude -MMD -MP
SVC_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,service/rt/service.ld -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -L$(NEWLIB)/lib

# The portable part (also linked into host tests) and the VM's runtime.
SVC_CORE_SRCS := service/ring_svc.c service/loop.c service/dev_uart.c service/dev_testdev.c \
	service/dev_counter.c service/dev_silent.c
SVC_RT_SRCS := service/rt/crt0.S service/rt/stubs.S service/rt/trap.c service/rt/console.c \
	service/rt/hcall.c service/rt/lapic.c service/rt/syscalls.c service/rt/start.c \
	service/rt/main.c service/rt/selftest.c service/rt/selftest_ring.c
SVC_OBJS := $(patsubst %,$(SVC_B)/%.o,$(basename $(SVC_CORE_SRCS) $(SVC_RT_SRCS)))

$(NEWLIB_LIBC): | service/newlib.sh
	service/newlib.sh $(NEWLIB_DIR)

$(SVC_B)/%.o: %.c | $(NEWLIB_LIBC)
	@mkdir -p $(@D)
	$(CC) $(SVC_CFLAGS) -c $< -o $@

$(SVC_B)/%.o: %.S | $(NEWLIB_LIBC)
	@mkdir -p $(@D)
	$(CC) $(filter-out -std=gnu11,$(SVC_CFLAGS)) -D__ASSEMBLY__ -c $< -o $@

$(SVC_ELF): $(SVC_OBJS) service/rt/service.ld $(NEWLIB_LIBC)
	$(CC) $(SVC_CFLAGS) $(SVC_LDFLAGS) -o $@ $(SVC_OBJS) -Wl,--start-group -lc -lm -lgcc \
		-Wl,--end-group

.PHONY: service newlib
service: $(SVC_ELF)
newlib: $(NEWLIB_LIBC)

TEST_DEPS += $(SVC_ELF)
CLEAN_EXTRA += $(SVC_B)
