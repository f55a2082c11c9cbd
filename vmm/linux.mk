CORE_SRCS += vmm/linux.c vmm/partition_linux.c
