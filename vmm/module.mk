CORE_SRCS += vmm/main.c vmm/lib/format.c vmm/lib/string.c
