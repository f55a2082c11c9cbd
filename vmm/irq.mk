# Interrupts, timers and platform devices for partitions (docs/interrupts.md).
CORE_SRCS += vmm/vlapic.c vmm/vlapic_ipi.c vmm/vlapic_timer.c vmm/virq.c vmm/vioapic.c \
	vmm/vpic.c vmm/vpit.c vmm/vplatform.c vmm/mptable.c drivers/rtc.c drivers/rtc_calendar.c
