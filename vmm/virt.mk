CORE_SRCS += vmm/gmem.c vmm/region.c vmm/access.c vmm/elf.c vmm/loader.c vmm/partition.c \
	vmm/partition_regions.c vmm/vcpu.c vmm/hypercall.c vmm/hypercall_svc.c vmm/testdev.c \
	vmm/run.c vmm/run_cmdline.c vmm/fwd.c
