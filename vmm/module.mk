CORE_SRCS += vmm/main.c vmm/lib/format.c vmm/lib/string.c vmm/cmdline.c vmm/verdict.c vmm/pmm.c \
	vmm/selftest_pmm.c
