# Guest payloads of the service VM's boot cases (the guest library's rules build them).
$(B)/guest/64/uartirq.o: tests/service/uartirq.c | $(B)/.deps
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CFLAGS) -c $< -o $@

TEST_DEPS += $(B)/guest/uartirq-64.elf
