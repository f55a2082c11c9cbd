CORE_SRCS += vmm/linux.c
