CORE_SRCS += arch/x86/virt.c arch/x86/exit.c arch/x86/exit_misc.c arch/x86/cpuid.c arch/x86/msr_guest.c \
	arch/x86/pio.c arch/x86/mmio.c arch/x86/insn.c
