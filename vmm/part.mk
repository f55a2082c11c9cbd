# Static partitioning (docs/isolation.md): isolation evidence in the core.
CORE_SRCS += vmm/isolation.c
