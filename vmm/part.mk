# Static partitioning (docs/partitions.md): isolation evidence in the core.
CORE_SRCS += vmm/isolation.c
