CORE_SRCS += arch/x86/percpu.c arch/x86/idt.c arch/x86/trap_entry.S arch/x86/trap.c arch/x86/stacktrace.c \
	arch/x86/panic.c arch/x86/cpu.c arch/x86/lapic.c arch/x86/paging.c arch/x86/smp.c \
	arch/x86/selftest_fault.c
