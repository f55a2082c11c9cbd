# The core's end of the service-VM ring (docs/ring.md); tests/host/ring.mk builds it hosted.
RING_CORE_SRCS := vmm/ring.c vmm/ring_poll.c vmm/ring_pending.c vmm/ring_log.c
CORE_SRCS += $(RING_CORE_SRCS) vmm/ring_printk.c
