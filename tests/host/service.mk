# Host tests of the service VM (docs/service.md): its models and ring loop built hosted with a
# fake platform (tests/host/svc_fake.c); the loop test drives it through the core's ring library
# (vmm/ring*.c) from other threads; the testdev test compares it with the in-core model.
SVC_HT := $(B)/host/service
SVC_HT_LIB := $(SVC_CORE_SRCS) tests/host/svc_fake.c
SVC_HT_HDRS := service/svc.h service/uart.h service/ring_svc.h tests/host/svc_fake.h \
	include/abi/ring.h include/abi/hypercall.h include/abi/testdev.h tests/host/service.mk
SVC_HT_CC := $(HOSTCC) $(filter-out -MMD -MP,$(HOST_CFLAGS)) -Iarch/x86/include -pthread
# The in-core test device, hosted: its interrupt lines are recorded by a stand-in.
SVC_HT_TDEV := vmm/testdev.c tests/host/svc_virq_stub.c
SVC_HT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(SVC_HT)/svc_uart_test: tests/host/svc_uart_test.c $(SVC_HT_LIB) $(SVC_HT_HDRS)
	@mkdir -p $(@D)
	$(SVC_HT_CC) $(SVC_HT_SAN) -o $@ $< $(SVC_HT_LIB)

$(SVC_HT)/svc_testdev_test: tests/host/svc_testdev_test.c $(SVC_HT_LIB) $(SVC_HT_TDEV) \
		include/keel/testdev.h tests/host/svc_virq_stub.h $(SVC_HT_HDRS)
	@mkdir -p $(@D)
	$(SVC_HT_CC) $(SVC_HT_SAN) -o $@ $< $(SVC_HT_LIB) $(SVC_HT_TDEV)

$(SVC_HT)/svc_loop_test: tests/host/svc_loop_test.c $(SVC_HT_LIB) $(RING_LIB) $(SVC_HT_TDEV) \
		$(SVC_HT_HDRS) $(RING_HDRS)
	@mkdir -p $(@D)
	$(SVC_HT_CC) -o $@ $< $(SVC_HT_LIB) $(filter-out service/ring_svc.c,$(RING_LIB)) $(SVC_HT_TDEV)

HOST_TESTS += $(SVC_HT)/svc_uart_test $(SVC_HT)/svc_testdev_test $(SVC_HT)/svc_loop_test

$(SVC_HT)/svc_bench: tests/host/svc_bench.c $(SVC_HT_LIB) $(RING_LIB) $(SVC_HT_HDRS) $(RING_HDRS)
	@mkdir -p $(@D)
	$(SVC_HT_CC) -o $@ $< $(SVC_HT_LIB) $(filter-out service/ring_svc.c,$(RING_LIB))

# The script runs the program: building it is the script's prerequisite.
tests/host/svc_bench.sh: $(SVC_HT)/svc_bench
BENCHES += tests/host/svc_bench.sh
