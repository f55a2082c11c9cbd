CORE_SRCS += boot/entry.S
