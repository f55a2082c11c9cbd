CORE_SRCS += vmm/gmem.c vmm/region.c vmm/access.c vmm/elf.c vmm/loader.c vmm/partition.c \
	vmm/vcpu.c vmm/hypercall.c vmm/testdev.c vmm/run.c
