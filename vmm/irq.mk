# Interrupts, timers and platform devices for partitions (docs/interrupts.md).
CORE_SRCS += vmm/vlapic.c vmm/vlapic_ipi.c vmm/vlapic_timer.c vmm/virq.c vmm/vioapic.c \
	vmm/vpic.c vmm/vpit.c vmm/vplatform.c vmm/mptable.c drivers/rtc.c drivers/rtc_calendar.c

# The RTC's calendar against the C library (tests/host/test_rtc.c).
$(B)/host/irq/test_rtc: tests/host/test_rtc.c drivers/rtc_calendar.c include/keel/rtc.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/host/test_rtc.c drivers/rtc_calendar.c
HOST_TESTS += $(B)/host/irq/test_rtc
